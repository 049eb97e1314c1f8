export { compareDottedVersions, diffModules, diffPublicEntity } from "./compare.js";
export {
  cacheConfigFromClientConfig,
  DEFAULT_LANGUAGES,
  DEFAULT_RETENTION_DAYS,
  normalizeEnvironmentUrl,
  type ResolvedCacheConfig,
  resolveCacheConfig,
} from "./config.js";
export { createMetadataCache } from "./factory.js";
export { type LabelFetcher, LabelResolver } from "./labels.js";
export { type CacheServices, type CacheServicesFactory, MetadataCacheV2 } from "./metadata-cache.js";
export { computeStatistics, hitRatio, LookupCounter, storageEfficiency } from "./statistics.js";
export type * from "./types.js";
