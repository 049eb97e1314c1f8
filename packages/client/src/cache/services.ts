/**
 * The default network side of a cache: one `MetadataApiClient` (HTTP pool, credential, limiter)
 * serving label misses, version detection and sync for the environment.
 */
import { createCredential, resolveClientConfig } from "../auth/config.js";
import type { HttpOptions } from "../http/client.js";
import type { Logger } from "../logging.js";
import { MetadataApiClient } from "../metadata/client.js";
import { SmartSyncManagerV2 } from "../sync/manager.js";
import { ModuleVersionDetector } from "../version/detector.js";
import type { ResolvedCacheConfig } from "./config.js";
import type { CacheServices, CacheServicesFactory } from "./metadata-cache.js";
import type { CacheHttpOptions } from "./types.js";

/** Expands the cache's HTTP shorthands into the HTTP layer's options. */
export function httpOptions(http: CacheHttpOptions | undefined): HttpOptions | undefined {
  if (!http) return undefined;
  const { timeoutMs, maxRetries, connections, ca: _ca, ...rest } = http;
  return {
    ...rest,
    ...(timeoutMs !== undefined
      ? { timeouts: { headersMs: timeoutMs, bodyIdleMs: timeoutMs, ...rest.timeouts } }
      : {}),
    ...(maxRetries !== undefined ? { retry: { maxAttempts: maxRetries + 1, ...rest.retry } } : {}),
    ...(connections !== undefined ? { pool: { connections, ...rest.pool } } : {}),
  };
}

export const createNetworkServices: CacheServicesFactory = (context): CacheServices => {
  const client = metadataClientFor(context.config, context.logger);
  return { ...servicesOverClient(client, context), close: () => client.close() };
};

/** The environment's Metadata API client: its HTTP pipeline, credential and limiter. */
export function metadataClientFor(config: ResolvedCacheConfig, logger: Logger): MetadataApiClient {
  // Credential resolution follows the auth layer's rules (explicit credential, else client secret,
  // else DefaultAzureCredential), with D365FO_* environment variables filling gaps.
  const clientConfig = resolveClientConfig({
    baseUrl: config.baseUrl,
    credential: config.credential,
    tenantId: config.tenantId,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    authorityHost: config.authorityHost,
    credentialOptions: config.credentialOptions,
  });
  return new MetadataApiClient({
    baseUrl: clientConfig.baseUrl,
    credential: createCredential(clientConfig),
    http: httpOptions(config.http),
    logger,
  });
}

/**
 * Label fetching, version detection and sync over an existing client (its HTTP pipeline and
 * limiter), for callers that share that client with other work (the data connection). `close`
 * is left to the client's owner.
 */
export function servicesOverClient(
  client: MetadataApiClient,
  { config, store, logger }: Parameters<CacheServicesFactory>[0],
): CacheServices {
  const detector = new ModuleVersionDetector(client, {
    logger,
    ...(config.versionCheckIntervalMs > 0 ? { ttlMs: config.versionCheckIntervalMs } : {}),
  });
  const sync = new SmartSyncManagerV2({
    store,
    source: client,
    detector,
    baseUrl: config.baseUrl,
    languages: config.languages,
    logger,
  });
  return { labels: client, detector, sync };
}
