/** `createMetadataCache`: the specification's factory, from client-level options. */
import { cacheConfigFromClientConfig } from "./config.js";
import { type CacheServices, type CacheServicesFactory, MetadataCacheV2 } from "./metadata-cache.js";
import type { FOClientConfig } from "./types.js";

/**
 * Returns the v2 cache for `config` (the only cache this project has). `metadataVersion: "v1"`
 * or `enableMetadataCache: false` throw ConfigurationError; `autoMigrateCache` imports the Python
 * client's cache on `initialize()`.
 */
export function createMetadataCache(
  config: FOClientConfig,
  services?: CacheServices | CacheServicesFactory,
): MetadataCacheV2 {
  const cacheConfig = cacheConfigFromClientConfig(config);
  return new MetadataCacheV2(cacheConfig, services);
}
