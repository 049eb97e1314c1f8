/**
 * Which environment a command talks to, and with which credentials. Pure: the profiles file, the
 * command-line options and the environment variables go in, one `ConnectionSettings` comes out.
 *
 * Selection:
 * 1. `--profile <name>` (or `D365FO_PROFILE`): that profile; command-line options override its fields.
 * 2. otherwise `--base-url` (or `D365FO_BASE_URL`): no profile; options, then `D365FO_*` variables.
 * 3. otherwise the default profile.
 *
 * Client secret, first found: the profile's `clientSecretEnv` variable, the profile's stored
 * secret, `D365FO_CLIENT_SECRET`.
 */
import { ProfileError } from "./errors.js";
import {
  defaultProfileName,
  isProductionUrl,
  isReadOnlyProfile,
  type Profile,
  type ProfilesFile,
  type SecretSource,
  unknownProfile,
} from "./profiles.js";

/** Connection options the global command line accepts. */
export interface ConnectionOptions {
  profile?: string;
  baseUrl?: string;
  tenantId?: string;
  clientId?: string;
  authorityHost?: string;
  cacheDir?: string;
  /** PostgreSQL URL of a shared store (`--cache-url`); carries a password, so never printed. */
  cacheUrl?: string;
}

export interface ConnectionSettings {
  /** The profile used, or null when the environment came from options / variables. */
  profileName: string | null;
  baseUrl: string;
  tenantId?: string;
  clientId?: string;
  /** Never printed, logged or written anywhere by the CLI. */
  clientSecret?: string;
  /**
   * A bearer token to use as is (`D365FO_ACCESS_TOKEN`, or `--access-token-stdin` once read):
   * it takes precedence over the client secret. Never printed, logged or written anywhere.
   */
  accessToken?: string;
  /** Where the secret came from (for messages): a profile's store, an env var, or nowhere. */
  secretSource: SecretSource;
  /** The variable the profile names for its secret, when that variable is not set. */
  missingSecretEnv?: string;
  authorityHost?: string;
  cacheDir?: string;
  /** A PostgreSQL store a team shares, else the SQLite file in `cacheDir`. Never printed as is. */
  cacheUrl?: string;
  /** Writes refused: the profile's `readOnly`, else true for a production URL (`D365FO_READ_ONLY=1` forces it). */
  readOnly?: boolean;
}

function forcedReadOnly(env: NodeJS.ProcessEnv): boolean | undefined {
  const value = nonEmpty(env.D365FO_READ_ONLY)?.toLowerCase();
  if (value === undefined) return undefined;
  return !["0", "false", "no", "off"].includes(value);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== "" ? value.trim() : undefined;
}

/** The client secret for `profile` (or for no profile) from the sources, in order. */
export function resolveSecret(
  profile: Profile | undefined,
  env: NodeJS.ProcessEnv,
): { secret?: string; source: SecretSource; missingEnv?: string } {
  if (profile?.clientSecretEnv) {
    const fromNamed = env[profile.clientSecretEnv];
    if (fromNamed) return { secret: fromNamed, source: "env" };
    // The profile asked for this variable; falling back silently would hide the real problem.
    if (!profile.clientSecret) return { source: "none", missingEnv: profile.clientSecretEnv };
  }
  if (profile?.clientSecret) return { secret: profile.clientSecret, source: "stored" };
  const fromDefault = env.D365FO_CLIENT_SECRET;
  if (fromDefault) return { secret: fromDefault, source: "env" };
  return { source: "none" };
}

function accessTokenFrom(env: NodeJS.ProcessEnv): { accessToken?: string } {
  const token = nonEmpty(env.D365FO_ACCESS_TOKEN);
  return token ? { accessToken: token } : {};
}

export function resolveConnectionSettings(
  file: ProfilesFile,
  options: ConnectionOptions,
  env: NodeJS.ProcessEnv,
): ConnectionSettings {
  const cacheDir = nonEmpty(options.cacheDir) ?? nonEmpty(env.D365FO_CACHE_DIR);
  const cacheUrl = resolveCacheUrl(options, env);
  const explicitProfile = nonEmpty(options.profile) ?? nonEmpty(env.D365FO_PROFILE);
  const explicitBaseUrl = nonEmpty(options.baseUrl) ?? nonEmpty(env.D365FO_BASE_URL);

  if (explicitProfile || !explicitBaseUrl) {
    const name = explicitProfile ?? defaultProfileName(file);
    if (!name) {
      throw new ProfileError(
        Object.keys(file.profiles).length === 0
          ? "No environment selected: add a profile ('d365fo profile add'), or pass --base-url / set D365FO_BASE_URL"
          : "No default profile: pass --profile <name> or set one with 'd365fo profile default <name>'",
      );
    }
    const profile = file.profiles[name];
    if (!profile) throw unknownProfile(file, name);
    const secret = resolveSecret(profile, env);
    const baseUrl = nonEmpty(options.baseUrl) ?? profile.baseUrl;
    return {
      ...accessTokenFrom(env),
      profileName: name,
      baseUrl,
      readOnly: forcedReadOnly(env) ?? isReadOnlyProfile({ baseUrl, readOnly: profile.readOnly }),
      tenantId: nonEmpty(options.tenantId) ?? profile.tenantId,
      clientId: nonEmpty(options.clientId) ?? profile.clientId,
      clientSecret: secret.secret,
      secretSource: secret.source,
      ...(secret.missingEnv ? { missingSecretEnv: secret.missingEnv } : {}),
      authorityHost:
        nonEmpty(options.authorityHost) ?? profile.authorityHost ?? nonEmpty(env.AZURE_AUTHORITY_HOST),
      cacheDir,
      ...(cacheUrl ? { cacheUrl } : {}),
    };
  }

  const secret = resolveSecret(undefined, env);
  return {
    ...accessTokenFrom(env),
    profileName: null,
    baseUrl: explicitBaseUrl,
    readOnly: forcedReadOnly(env) ?? isProductionUrl(explicitBaseUrl),
    tenantId: nonEmpty(options.tenantId) ?? nonEmpty(env.D365FO_TENANT_ID) ?? nonEmpty(env.AZURE_TENANT_ID),
    clientId: nonEmpty(options.clientId) ?? nonEmpty(env.D365FO_CLIENT_ID) ?? nonEmpty(env.AZURE_CLIENT_ID),
    clientSecret: secret.secret,
    secretSource: secret.source,
    authorityHost:
      nonEmpty(options.authorityHost) ??
      nonEmpty(env.D365FO_AUTHORITY_HOST) ??
      nonEmpty(env.AZURE_AUTHORITY_HOST),
    cacheDir,
    ...(cacheUrl ? { cacheUrl } : {}),
  };
}

/** `--cache-url`, else `D365FO_CACHE_URL`: the store's location, whichever profile is used. */
export function resolveCacheUrl(
  options: Pick<ConnectionOptions, "cacheUrl">,
  env: NodeJS.ProcessEnv,
): string | undefined {
  return nonEmpty(options.cacheUrl) ?? nonEmpty(env.D365FO_CACHE_URL);
}

/** Settings for a named profile regardless of the global selection (for `compare` and `doctor`). */
export function settingsForProfile(
  file: ProfilesFile,
  name: string,
  options: Pick<ConnectionOptions, "cacheDir" | "cacheUrl">,
  env: NodeJS.ProcessEnv,
): ConnectionSettings {
  return resolveConnectionSettings(
    file,
    { profile: name, cacheDir: options.cacheDir, cacheUrl: options.cacheUrl },
    env,
  );
}
