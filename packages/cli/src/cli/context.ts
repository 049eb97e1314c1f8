/**
 * What every command gets: the output, the profiles, the global options, the process's abort
 * signal, and a way to open the metadata cache for an environment (closed by `main` at the end).
 */

import type {
  CacheConfigV2,
  CacheServices,
  CacheServicesFactory,
  LabelFetcher,
  Logger,
  MetadataCacheV2,
} from "d365fo-client";
import { ConfigurationError, StaticTokenCredential } from "d365fo-client";
import { UsageError } from "./errors.js";
import type { Output, OutputStreams } from "./output.js";
import { ProfileStore, resolveConfigDir } from "./profiles.js";
import type { SecretRedactor } from "./redact.js";
import { type ConnectionOptions, type ConnectionSettings, resolveConnectionSettings } from "./settings.js";

export interface GlobalOptions extends ConnectionOptions {
  json?: boolean;
  verbose?: boolean;
  /** Label language for texts shown (default: the cache's first language, en-US). */
  language?: string;
  /** Timeout in ms for response headers and for silence within a body. */
  timeout?: number;
  /** Retries after a failed request (the HTTP layer's attempts minus one). */
  retries?: number;
  /** Read a bearer token from stdin (never from argv: it would show in `ps` and shell history). */
  accessTokenStdin?: boolean;
}

export interface CliContext {
  readonly output: Output;
  /** Raw streams (progress bars need a real TTY stream). */
  readonly streams: OutputStreams;
  readonly env: NodeJS.ProcessEnv;
  readonly profiles: ProfileStore;
  readonly globals: GlobalOptions;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly redactor: SecretRedactor;
  /** The environment selected by `--profile` / `--base-url` / the default profile. */
  connection(): ConnectionSettings;
  /**
   * Opens (and initializes) a cache facade for `settings`; closed when the command ends.
   * `network: true` (commands that must reach the environment) refuses incomplete credentials.
   */
  openCache(settings?: ConnectionSettings, options?: { network?: boolean }): Promise<MetadataCacheV2>;
}

const MICROSOFT_AUTHORITY_HOSTS = new Set([
  "login.microsoftonline.com",
  "login.microsoftonline.us",
  "login.chinacloudapi.cn",
  "login.partner.microsoftonline.cn",
  "login.microsoftonline.de",
]);

export function isMicrosoftAuthority(authorityHost: string): boolean {
  try {
    return MICROSOFT_AUTHORITY_HOSTS.has(new URL(authorityHost).hostname.toLowerCase());
  } catch {
    return false;
  }
}

export function cacheConfigFor(
  settings: ConnectionSettings,
  globals: GlobalOptions,
  logger: Logger,
): CacheConfigV2 {
  const config: CacheConfigV2 = {
    baseUrl: settings.baseUrl,
    tenantId: settings.tenantId,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    authorityHost: settings.authorityHost,
    cacheDir: settings.cacheDir,
    ...(settings.cacheUrl ? { cacheUrl: settings.cacheUrl } : {}),
    logger,
  };
  if (settings.accessToken) {
    // A token the user already has: no sign-in, no tenant or client needed.
    config.credential = new StaticTokenCredential(settings.accessToken);
    delete config.clientSecret;
  }
  // MSAL asks Microsoft's discovery endpoint about unknown authorities (the emulator, a private
  // cloud); for those the authority is taken as given.
  if (settings.authorityHost && !isMicrosoftAuthority(settings.authorityHost)) {
    config.credentialOptions = { disableInstanceDiscovery: true };
  }
  // Without a service principal, fall back to the developer's own sign-in (az login, managed identity).
  if (!settings.clientSecret && !settings.accessToken) config.useDefaultCredential = true;
  if (globals.language) config.languages = [globals.language];
  if (globals.timeout !== undefined || globals.retries !== undefined) {
    config.http = {};
    if (globals.timeout !== undefined) config.http.timeoutMs = globals.timeout;
    if (globals.retries !== undefined) config.http.maxRetries = globals.retries;
  }
  return config;
}

/**
 * Network services for read commands: reads are answered from the store, and only a label the
 * store lacks reaches the environment. The HTTP pool and the credential are created on that first
 * miss instead of on every `search` or `entity` (so a read never asks for a token it does not use).
 */
export const labelsOnDemand: CacheServicesFactory = (context) => {
  let services: Promise<CacheServices> | undefined;
  const load = async (): Promise<LabelFetcher> => {
    services ??= import("d365fo-client").then((m) => m.createNetworkServices(context));
    const labels = (await services).labels;
    if (!labels) throw new ConfigurationError("No label service for this environment");
    return labels;
  };
  return {
    labels: {
      getLabel: async (id, language, options) => (await load()).getLabel(id, language, options),
      getLabels: async (ids, language, options) => {
        const fetcher = await load();
        if (fetcher.getLabels) return fetcher.getLabels(ids, language, options);
        return Promise.all(ids.map((id) => fetcher.getLabel(id, language, options)));
      },
    },
    close: async () => {
      if (services) await (await services).close?.();
    },
  };
};

export class CliContextImpl implements CliContext {
  readonly profiles: ProfileStore;
  private readonly opened: MetadataCacheV2[] = [];
  private stdinToken: Promise<string> | undefined;

  constructor(
    readonly output: Output,
    readonly streams: OutputStreams,
    readonly env: NodeJS.ProcessEnv,
    readonly globals: GlobalOptions,
    readonly signal: AbortSignal,
    readonly logger: Logger,
    readonly redactor: SecretRedactor,
  ) {
    this.profiles = new ProfileStore(resolveConfigDir(env));
  }

  connection(): ConnectionSettings {
    const settings = resolveConnectionSettings(this.profiles.load(), this.globals, this.env);
    this.redactor.add(settings.clientSecret);
    this.redactor.addUrlPassword(settings.cacheUrl);
    return settings;
  }

  async openCache(
    settings: ConnectionSettings = this.connection(),
    options: { network?: boolean } = {},
  ): Promise<MetadataCacheV2> {
    this.redactor.add(settings.clientSecret);
    this.redactor.addUrlPassword(settings.cacheUrl);
    if (this.globals.accessTokenStdin) settings = { ...settings, accessToken: await this.tokenFromStdin() };
    this.redactor.add(settings.accessToken);
    if (options.network && settings.missingSecretEnv && !settings.accessToken) {
      throw new ConfigurationError(
        `Profile ${settings.profileName} reads its client secret from $${settings.missingSecretEnv}, which is not set`,
      );
    }
    const { MetadataCacheV2 } = await import("d365fo-client");
    const config = cacheConfigFor(settings, this.globals, this.logger);
    // The CLI's `autoMigrateCache` setting: import the Python d365fo-client's cache first, and say so.
    if (/^(1|true|yes|on)$/i.test(this.env.D365FO_AUTO_MIGRATE_CACHE ?? "")) {
      config.autoMigrateCache = true;
      config.onAutoMigrate = (path) =>
        this.output.note(
          `d365fo: importing the Python d365fo-client cache ${path} (D365FO_AUTO_MIGRATE_CACHE)`,
        );
    }
    const cache = options.network ? new MetadataCacheV2(config) : new MetadataCacheV2(config, labelsOnDemand);
    this.opened.push(cache);
    await cache.initialize();
    return cache;
  }

  /** `--access-token-stdin`: stdin read once per command, whatever opens a cache. */
  private tokenFromStdin(): Promise<string> {
    this.stdinToken ??= (async () => {
      const { readStdin } = await import("./stdin.js");
      const token = (await readStdin()).trim();
      if (!token) throw new UsageError("--access-token-stdin: stdin was empty");
      this.redactor.add(token);
      return token;
    })();
    return this.stdinToken;
  }

  async closeAll(): Promise<void> {
    for (const cache of this.opened.splice(0)) {
      try {
        await cache.close();
      } catch (error) {
        this.logger.debug({ err: error }, "closing the metadata cache failed");
      }
    }
  }
}
