/**
 * d365fo-client: the public surface. A small, curated set of names; internals are not exported.
 * The emulator lives at the `d365fo-client/emulator` subpath. This entry point must not load
 * CLI-only packages (commander, cli-progress, cli-table3): a test walks its import graph.
 */

// Authentication and configuration
export { type ClientConfig, createCredential, normalizeBaseUrl, resolveClientConfig } from "./auth/index.js";
export { createMetadataCache, MetadataCacheV2 } from "./cache/index.js";
export type * from "./cache/types.js";
// Errors and logging
export * from "./errors.js";
export type { HttpOptions, RetryOptions } from "./http/index.js";
export { createLogger, type Logger, type LoggerOptions } from "./logging.js";
// The Metadata API client and version detection
export {
  type ActionOptions,
  type LabelBatchOptions,
  MetadataApiClient,
  type MetadataApiClientOptions,
} from "./metadata/client.js";
// Models
export type * from "./metadata/models.js";
export type { CollectionRequestOptions, MetadataSource, TransferCounters } from "./metadata/source.js";
// Search and the cache facade
export { parseSearchText, VersionAwareSearchEngine } from "./search/index.js";

// The metadata store and global versions
export {
  GlobalVersionManager,
  type OpenMetadataStoreOptions,
  openMetadataStore,
  resolveCacheDir,
  SCHEMA_VERSION,
  type SharingStatistics,
} from "./store/index.js";
export type {
  EnvironmentRecord,
  GlobalVersionRecord,
  MetadataStore,
  SearchKind,
  StorageFootprint,
} from "./store/types.js";
export type {
  SmartSyncManagerOptions,
  SyncOptions,
  SyncProgressEvent,
  SyncResult,
  SyncStrategy,
  SyncStrategyV2,
} from "./sync/index.js";
// Sync
export { SmartSyncManagerV2 } from "./sync/index.js";
export { compareVersions, type UpdatedModule, type VersionComparison } from "./version/compare.js";
export { ModuleVersionDetector, type ModuleVersionDetectorOptions } from "./version/detector.js";
export {
  computeModulesHash,
  EnvironmentVersionInfo,
  type EnvironmentVersionInfoInit,
  ModuleParseError,
  ModuleVersionInfo,
  type ModuleVersionInfoJson,
} from "./version/models.js";
