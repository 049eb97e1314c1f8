/**
 * The metadata store: `openMetadataStore` (SQLite), the cache directory, the global version
 * manager and the store contract.
 */
import { join } from "node:path";
import type { Logger } from "../logging.js";
import { DEFAULT_STORE_FILE_NAME, resolveCacheDir } from "./cache-dir.js";
import { SqliteMetadataStore } from "./sqlite/sqlite-metadata-store.js";
import type { MetadataStore } from "./types.js";

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
  DAY_MS,
  GlobalVersionManager,
  retentionCutoff,
  type SharingStatistics,
} from "./global-version-manager.js";
export { buildFtsMatch, splitIdentifierWords } from "./search-terms.js";
export { SCHEMA_VERSION } from "./sqlite/schema.js";
export { SqliteMetadataStore } from "./sqlite/sqlite-metadata-store.js";
export type * from "./types.js";

export interface OpenMetadataStoreOptions {
  /** Cache directory; defaults to `resolveCacheDir()` (D365FO_CACHE_DIR, else the user cache dir). */
  cacheDir?: string;
  /** Database file name inside the cache directory (default `metadata-v2.db`). */
  fileName?: string;
  logger?: Logger;
  /** How long a statement waits for another process's lock before failing (default 10 s). */
  busyTimeoutMs?: number;
}

/** Opens (creating and migrating as needed) the metadata store in the cache directory. */
export function openMetadataStore(options: OpenMetadataStoreOptions = {}): MetadataStore {
  const path = join(resolveCacheDir(options.cacheDir), options.fileName ?? DEFAULT_STORE_FILE_NAME);
  return new SqliteMetadataStore(path, { logger: options.logger, busyTimeoutMs: options.busyTimeoutMs });
}
