/**
 * What every command gets: the output, the profiles, the global options, the process's abort
 * signal, and a way to open the metadata cache for an environment (closed by `main` at the end).
 */
import type { LabelFetcher } from "../cache/labels.js";
import type { CacheServices, CacheServicesFactory, MetadataCacheV2 } from "../cache/metadata-cache.js";
import type { CacheConfigV2 } from "../cache/types.js";
import { ConfigurationError } from "../errors.js";
import type { Logger } from "../logging.js";
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
    logger,
  };
  // MSAL asks Microsoft's discovery endpoint about unknown authorities (the emulator, a private
  // cloud); for those the authority is taken as given.
  if (settings.authorityHost && !isMicrosoftAuthority(settings.authorityHost)) {
    config.credentialOptions = { disableInstanceDiscovery: true };
  }
  // Without a service principal, fall back to the developer's own sign-in (az login, managed identity).
  if (!settings.clientSecret) config.useDefaultCredential = true;
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
 * store lacks reaches the environment. The HTTP stack and @azure/identity (a third of a second to
 * load) are loaded on that first miss instead of on every `search` or `entity`.
 */
export const labelsOnDemand: CacheServicesFactory = (context) => {
  let services: Promise<CacheServices> | undefined;
  const load = async (): Promise<LabelFetcher> => {
    services ??= import("../cache/services.js").then((m) => m.createNetworkServices(context));
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
    return settings;
  }

  async openCache(
    settings: ConnectionSettings = this.connection(),
    options: { network?: boolean } = {},
  ): Promise<MetadataCacheV2> {
    this.redactor.add(settings.clientSecret);
    if (options.network && settings.missingSecretEnv) {
      throw new ConfigurationError(
        `Profile ${settings.profileName} reads its client secret from $${settings.missingSecretEnv}, which is not set`,
      );
    }
    const { MetadataCacheV2 } = await import("../cache/metadata-cache.js");
    const config = cacheConfigFor(settings, this.globals, this.logger);
    const cache = options.network ? new MetadataCacheV2(config) : new MetadataCacheV2(config, labelsOnDemand);
    this.opened.push(cache);
    await cache.initialize();
    return cache;
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
