/**
 * d365fo-client: the public surface. A curated set of names, recorded in `etc/d365fo-client.api.md`
 * (a test fails when this surface changes without that report); internals are not exported. A
 * store backend's extra needs are at `d365fo-client/backend`. The emulator is `@d365fo/emulator`,
 * the command and MCP server `@d365fo/cli`, the team cache `@d365fo/postgres`.
 */

// Authentication and configuration
export {
  type ClientConfig,
  createCredential,
  isLoopbackHost,
  isValidTenantId,
  normalizeBaseUrl,
  resolveClientConfig,
  StaticTokenCredential,
} from "./auth/index.js";
export { DEFAULT_RETENTION_DAYS, type ResolvedCacheConfig } from "./cache/config.js";
export {
  type CacheServices,
  type CacheServicesFactory,
  computeStatistics,
  createMetadataCache,
  type LabelFetcher,
  MetadataCacheV2,
} from "./cache/index.js";
export { createNetworkServices } from "./cache/services.js";
export type { SchemaFirstMode } from "./cache/staging.js";
export type * from "./cache/types.js";
// Code generation: typed entity descriptors, types and zod schemas per environment version
export * from "./codegen/index.js";
export { FilterSyntaxError, parseFilter } from "./data/filter-parse.js";
// The data client (OData `/data`): connect(), queries, writes, $batch, actions, validation
export * from "./data/index.js";
// Errors and logging
export * from "./errors.js";
// What HttpOptions is made of: the adaptive limiter, pool, timeouts, reachability, middleware
export type { BearerTokenSource } from "./http/auth.js";
export type { CeilingMode, ThrottleReading } from "./http/ceiling.js";
export type {
  CollectionStreamOptions,
  HttpClient,
  HttpClientOptions,
  HttpLimits,
  RequestOptions,
} from "./http/client.js";
export type { HttpOptions, RetryOptions } from "./http/index.js";
export type { AdaptiveLimiter, LimiterOptions, LimiterState } from "./http/limiter.js";
export type { ReachabilityOptions } from "./http/reachability.js";
export type { PoolOptions, SizeLimits, TimeoutOptions } from "./http/transport.js";
export type { HttpMethod, HttpRequest, HttpResponse, Middleware, Send, Sleep } from "./http/types.js";
export {
  createLogger,
  type Logger,
  type LoggerOptions,
  SECRET_SAFE_LOGGER_OPTIONS,
  silentLogger,
} from "./logging.js";
// The Metadata API client and version detection
export {
  type ActionOptions,
  type LabelBatchOptions,
  MetadataApiClient,
  type MetadataApiClientOptions,
} from "./metadata/client.js";
// Models
export type * from "./metadata/models.js";
export type { DataEntitySearch, KeyValue } from "./metadata/odata-url.js";
export type {
  CollectionRequestOptions,
  MetadataSource,
  ThrottlingSnapshot,
  TransferCounters,
} from "./metadata/source.js";
// The Metadata API's JSON as the service sends it (what the emulator serves and the parsers read)
export type * from "./metadata/wire.js";
export { DATA_ENTITIES_NAMESPACE, METADATA_NAMESPACE } from "./metadata/wire.js";
export type { DetectedEnvironment } from "./migration/detect.js";
export type { ImportedVersion, MigrationProgress } from "./migration/import.js";
// Importing the Python d365fo-client's caches
export {
  type DetectedSource,
  MetadataMigrationManager,
  type MetadataMigrationManagerOptions,
  type MigrationPlan,
  type MigrationResult,
  MigrationSourceError,
  type MigrationSourceProblem,
  type PlannedVersion,
} from "./migration/index.js";
export type { LocationContext } from "./migration/locations.js";
export type { MigrateOptions, MigrationSourceRef } from "./migration/manager.js";
export type { PlanAction, PlannedEnvironment } from "./migration/plan.js";
export type { RepairReport } from "./migration/repair.js";
export type { ImportTrust } from "./migration/trust.js";
export type {
  PythonCacheFile,
  PythonCacheInventory,
  PythonCacheLayout,
  PythonCacheOpener,
  PythonCacheReader,
  PythonEnvironment,
  PythonModuleLine,
  PythonSyncRun,
  PythonVersion,
  PythonVersionContent,
  PythonVersionCounts,
  PythonVersionLink,
} from "./migration/types.js";
export type {
  EngineSearchOptions,
  EngineSearchResult,
  ExplainedHit,
  VersionAwareSearchEngineOptions,
} from "./search/engine.js";
// Search and the cache facade
export { parseSearchText, VersionAwareSearchEngine } from "./search/index.js";
export type { ParsedQuery, ParseOptions } from "./search/query.js";
// The metadata store and global versions. Imported module by module, not through the store's
// barrel: the published declarations must not reach the SQLite adapter's, which name
// better-sqlite3's types (a user compiling without skipLibCheck would need @types/better-sqlite3).
export { DEFAULT_STORE_FILE_NAME, resolveCacheDir } from "./store/cache-dir.js";
export {
  CACHE_RESET_COMMAND,
  CacheBusyError,
  CacheClosedError,
  CacheCorruptError,
  CacheFullError,
  CacheLocationError,
  CacheReadOnlyError,
} from "./store/errors.js";
export {
  GlobalVersionManager,
  retentionCutoff,
  type SharingStatistics,
} from "./store/global-version-manager.js";
export {
  probeStore,
  type ResetResult,
  resetMetadataStore,
  type StoreProbe,
} from "./store/maintenance.js";
export { type OpenMetadataStoreOptions, openMetadataStore } from "./store/open.js";
export { SCHEMA_VERSION } from "./store/sqlite/schema.js";
export type {
  CleanupResult,
  EnvironmentRecord,
  GlobalVersionRecord,
  IntegrityReport,
  MetadataCounts,
  MetadataStore,
  SearchKind,
  StorageFootprint,
  StoreBackend,
  StoreDescription,
  StoreSearchHit,
  StoreSearchQuery,
  StoreSearchResult,
  SyncLease,
  SyncPhase,
  VersionStatus,
  VersionSyncState,
  VersionTrust,
  // The data client's WriteResult keeps the plain name; this is what a store write reports.
  WriteResult as StoreWriteResult,
} from "./store/types.js";
export type {
  CountedSource,
  SmartSyncManagerOptions,
  StepTimings,
  SyncOptions,
  SyncOutcome,
  SyncProgressEvent,
  SyncResult,
  SyncStep,
  SyncStrategy,
  SyncStrategyV2,
  VersionSource,
} from "./sync/index.js";
// Sync
export { SmartSyncManagerV2 } from "./sync/index.js";
export {
  type ComparableVersion,
  compareVersions,
  type UpdatedModule,
  type VersionComparison,
} from "./version/compare.js";
export {
  ModuleVersionDetector,
  type ModuleVersionDetectorOptions,
  type VersionSourceClient,
} from "./version/detector.js";
export {
  computeModulesHash,
  EnvironmentVersionInfo,
  type EnvironmentVersionInfoInit,
  ModuleParseError,
  ModuleVersionInfo,
  type ModuleVersionInfoJson,
  VERSION_HASH_LENGTH,
} from "./version/models.js";
