/**
 * The metadata store: `openMetadataStore` (picks the backend), the cache directory, the global
 * version manager and the store contract. Nothing here imports a driver: the SQLite adapter is
 * loaded statically (it is the embedded default), the PostgreSQL one only when a URL asks for it.
 */

export { DEFAULT_STORE_FILE_NAME, resolveCacheDir } from "./cache-dir.js";
export {
  canonicalDataEntity,
  canonicalEnumeration,
  canonicalPublicEntity,
  hashDataEntity,
  hashEnumeration,
  hashPublicEntity,
} from "./content-hash.js";
export {
  CACHE_RESET_COMMAND,
  CacheBusyError,
  CacheClosedError,
  CacheCorruptError,
  CacheFullError,
  CacheLocationError,
  CacheReadOnlyError,
} from "./errors.js";
export {
  DAY_MS,
  GlobalVersionManager,
  retentionCutoff,
  type SharingStatistics,
} from "./global-version-manager.js";
export { inspectStore } from "./inspection.js";
export {
  probeStore,
  type ResetResult,
  resetMetadataStore,
  type StoreProbe,
  sqliteStorePath,
} from "./maintenance.js";
export { configuredCacheUrl, type OpenMetadataStoreOptions, openMetadataStore } from "./open.js";
export { identifierWordList, splitIdentifierWords } from "./search-terms.js";
export { SqliteMetadataStore } from "./sqlite/index.js";
export { SCHEMA_VERSION } from "./sqlite/schema.js";
export type * from "./types.js";
