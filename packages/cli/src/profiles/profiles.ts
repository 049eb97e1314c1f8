/**
 * Named environments ("profiles") in `profiles.json` in the user's config directory
 * (`~/.config/d365fo-client/` on Linux, `D365FO_CONFIG_DIR` overrides). The file may hold a client
 * secret, so it is written owner-only (0600, directory 0700) and atomically (temp file + rename),
 * and it is validated with zod when read: it is user-editable, hence untrusted.
 */
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import envPaths from "env-paths";
import { z } from "zod";
import { ProfileError } from "./errors.js";

export const PROFILES_FILE_NAME = "profiles.json";
export const PROFILES_FILE_VERSION = 1;

const PROFILE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ENV_VAR_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const profileSchema = z
  .object({
    baseUrl: z.string().min(1),
    tenantId: z.string().min(1).optional(),
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    clientSecretEnv: z.string().regex(ENV_VAR_PATTERN, "must be an environment variable name").optional(),
    authorityHost: z.string().min(1).optional(),
    default: z.boolean().optional(),
    /** Refuse writes and actions (the MCP server's write tools). Unset: production URLs are read-only. */
    readOnly: z.boolean().optional(),
  })
  .strict();

export type Profile = z.infer<typeof profileSchema>;

export const profilesFileSchema = z
  .object({
    version: z.literal(PROFILES_FILE_VERSION),
    profiles: z.record(z.string().regex(PROFILE_NAME_PATTERN, "invalid profile name"), profileSchema),
  })
  .strict();

export type ProfilesFile = z.infer<typeof profilesFileSchema>;

/** Where a profile's client secret comes from; the secret itself is never shown. */
export type SecretSource = "stored" | "env" | "none";

export function emptyProfilesFile(): ProfilesFile {
  return { version: PROFILES_FILE_VERSION, profiles: {} };
}

/** The config directory: `D365FO_CONFIG_DIR`, else env-paths' config dir for `d365fo-client`. */
export function resolveConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.D365FO_CONFIG_DIR;
  if (override && override.trim() !== "") return override;
  return envPaths("d365fo-client", { suffix: "" }).config;
}

export function validateProfileName(name: string): string {
  if (!PROFILE_NAME_PATTERN.test(name)) {
    throw new ProfileError(
      `Invalid profile name ${JSON.stringify(name)}: use letters, digits, '.', '_' or '-' (at most 64, starting with a letter or digit)`,
    );
  }
  return name;
}

/**
 * A production environment's URL: `*.operations.dynamics.com` (and the sovereign clouds' hosts)
 * without `.sandbox.`. Tier-1 boxes (`*.cloudax.dynamics.com`), sandboxes and loopback are not.
 */
export function isProductionUrl(baseUrl: string): boolean {
  let host: string;
  try {
    host = new URL(baseUrl).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (host.includes(".sandbox.")) return false;
  return /\.operations\.(dynamics\.com|dynamics\.us|dynamics\.cn|microsoftdynamics\.us|microsoftdynamics\.de)$/.test(
    host,
  );
}

/** Whether writes are refused: the profile's flag, else true for production URLs. */
export function isReadOnlyProfile(profile: Pick<Profile, "baseUrl" | "readOnly">): boolean {
  return profile.readOnly ?? isProductionUrl(profile.baseUrl);
}

export function secretSourceOf(profile: Profile): SecretSource {
  if (profile.clientSecret) return "stored";
  if (profile.clientSecretEnv) return "env";
  return "none";
}

/** The default profile's name: the one flagged `default`, or the only profile when there is one. */
export function defaultProfileName(file: ProfilesFile): string | undefined {
  const names = Object.keys(file.profiles);
  const flagged = names.find((name) => file.profiles[name].default === true);
  if (flagged) return flagged;
  return names.length === 1 ? names[0] : undefined;
}

/** Returns a copy of `file` where exactly `name` carries the default flag. */
export function withDefault(file: ProfilesFile, name: string): ProfilesFile {
  if (!file.profiles[name]) throw unknownProfile(file, name);
  const profiles: Record<string, Profile> = {};
  for (const [key, profile] of Object.entries(file.profiles)) {
    const { default: _ignored, ...rest } = profile;
    profiles[key] = key === name ? { ...rest, default: true } : rest;
  }
  return { ...file, profiles };
}

export function unknownProfile(file: ProfilesFile, name: string): ProfileError {
  const known = Object.keys(file.profiles);
  return new ProfileError(
    `Unknown profile ${JSON.stringify(name)}; ${known.length ? `known profiles: ${known.join(", ")}` : "no profiles are configured (add one with 'd365fo profile add')"}`,
  );
}

/** A profile as shown by `profile list`: everything except the secret. */
export interface ProfileSummary {
  name: string;
  baseUrl: string;
  tenantId: string | null;
  clientId: string | null;
  authorityHost: string | null;
  secret: SecretSource;
  clientSecretEnv: string | null;
  default: boolean;
}

export function summarizeProfiles(file: ProfilesFile): ProfileSummary[] {
  const defaultName = defaultProfileName(file);
  return Object.entries(file.profiles)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, profile]) => ({
      name,
      baseUrl: profile.baseUrl,
      tenantId: profile.tenantId ?? null,
      clientId: profile.clientId ?? null,
      authorityHost: profile.authorityHost ?? null,
      secret: secretSourceOf(profile),
      clientSecretEnv: profile.clientSecretEnv ?? null,
      default: name === defaultName,
    }));
}

/** Parses the file's text; a clear `ProfileError` (never the file's content, it may hold a secret). */
export function parseProfilesFile(text: string, location: string): ProfilesFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ProfileError(`Profiles file ${location} is not valid JSON; fix or delete it`, { cause: error });
  }
  const parsed = profilesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "(top level)";
    throw new ProfileError(
      `Profiles file ${location} is invalid at ${where}: ${issue?.message ?? "bad shape"}`,
    );
  }
  return parsed.data;
}

/** Reads and writes `profiles.json` in one config directory. */
export class ProfileStore {
  readonly dir: string;
  readonly path: string;

  constructor(dir: string = resolveConfigDir()) {
    this.dir = dir;
    this.path = join(dir, PROFILES_FILE_NAME);
  }

  /** The file's content, or an empty file when it does not exist yet. */
  load(): ProfilesFile {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyProfilesFile();
      throw new ProfileError(`Cannot read profiles file ${this.path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return parseProfilesFile(text, this.path);
  }

  /** Writes the whole file owner-only; a crash mid-write leaves the previous file intact. */
  save(file: ProfilesFile): void {
    const validated = profilesFileSchema.parse(file);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      const fd = openSync(temp, "wx", 0o600);
      try {
        writeSync(fd, `${JSON.stringify(validated, null, 2)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      // The umask cannot widen 0600, but an existing file may have been loosened by hand.
      chmodSync(temp, 0o600);
      renameSync(temp, this.path);
    } catch (error) {
      rmSync(temp, { force: true });
      throw new ProfileError(`Cannot write profiles file ${this.path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  get(name: string): Profile {
    const file = this.load();
    const profile = file.profiles[name];
    if (!profile) throw unknownProfile(file, name);
    return profile;
  }

  /** Adds or replaces `name`; the first profile becomes the default. */
  add(
    name: string,
    profile: Profile,
    options: { makeDefault?: boolean; replace?: boolean } = {},
  ): ProfilesFile {
    validateProfileName(name);
    const parsed = profileSchema.safeParse(profile);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ProfileError(`Invalid profile ${name}: ${issue?.path.join(".")} ${issue?.message}`);
    }
    const file = this.load();
    if (file.profiles[name] && !options.replace) {
      throw new ProfileError(`Profile ${JSON.stringify(name)} already exists (use --force to replace it)`);
    }
    const { default: _ignored, ...rest } = parsed.data;
    const previousDefault = defaultProfileName(file);
    // The flag is always stored explicitly, so adding a second profile keeps the first as default.
    const defaultName = options.makeDefault ? name : (previousDefault ?? name);
    const next = withDefault({ ...file, profiles: { ...file.profiles, [name]: rest } }, defaultName);
    this.save(next);
    return next;
  }

  remove(name: string): ProfilesFile {
    const file = this.load();
    if (!file.profiles[name]) throw unknownProfile(file, name);
    const profiles = { ...file.profiles };
    delete profiles[name];
    this.save({ ...file, profiles });
    return { ...file, profiles };
  }

  setDefault(name: string): ProfilesFile {
    const next = withDefault(this.load(), name);
    this.save(next);
    return next;
  }
}
