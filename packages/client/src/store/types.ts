/**
 * The metadata store, in the cache's own terms. Sync, search, the cache facade and the CLI talk to
 * this interface only; `SqliteMetadataStore` (src/store/sqlite/) is one implementation and the
 * only place that knows about SQL or better-sqlite3. A second backend implements this file.
 *
 * Model:
 * - An *environment* is a base URL.
 * - A *global version* is one module set (identified by `modulesHash`), shared by every
 *   environment running it. Its metadata is visible only once `status` is `complete`.
 * - An environment is *linked* to at most one global version at a time (its serving version).
 *   `referenceCount` of a version always equals the number of environments linked to it.
 * - Definitions (public entities, data entities, enumerations, label texts) are stored once by
 *   content hash and shared across versions; a version lists the definitions it contains.
 *
 * Every method is asynchronous, whatever the backend: the embedded SQLite adapter
 * (`src/store/sqlite/`) answers from a synchronous driver inside a resolved promise, the
 * PostgreSQL adapter (`src/store/postgres/`) over a connection pool. Nothing here names a backend,
 * a driver or a query language. Every write method is atomic: it commits fully or not at all.
 *
 * Reads never write into a complete, shared version's content. Label texts fetched on demand
 * (a miss at read time) go through `storeFetchedLabels`, which needs no sync lease, is not part of
 * the version's content hash or search index, and invalidates nothing.
 */
import type { DataEntity, Enumeration, Label, PublicEntity } from "../metadata/models.js";
import type { EnvironmentVersionInfo, ModuleVersionInfo } from "../version/models.js";

export interface EnvironmentRecord {
  id: number;
  baseUrl: string;
  name: string;
  createdAt: Date;
  lastSyncAt: Date | null;
  lastVersionCheckAt: Date | null;
  /** The global version the environment currently serves, if any. */
  versionId: number | null;
}

export type VersionStatus = "pending" | "complete";

/**
 * How far a version's content is trusted (independent of `status`):
 * - `verified`: downloaded by a sync, or an imported version a live version check confirmed;
 * - `imported`: imported from the Python d365fo-client's cache; its module list is the one that
 *   tool could parse, confirmed (or adopted with the full list) by the first live version check;
 * - `needsReverification`: imported, but it looks silently incomplete; served, and the next sync
 *   re-verifies it (downloads and stores only what differs) instead of trusting it;
 * - `legacy`: imported from a v1 Python cache: no module list, keyed by application and platform
 *   versions; served offline until the first live sync replaces it.
 */
export type VersionTrust = "verified" | "imported" | "needsReverification" | "legacy";

export const VERSION_TRUSTS: readonly VersionTrust[] = [
  "verified",
  "imported",
  "needsReverification",
  "legacy",
];

export interface GlobalVersionRecord {
  id: number;
  versionHash: string;
  modulesHash: string;
  status: VersionStatus;
  firstSeenAt: Date;
  lastUsedAt: Date;
  completedAt: Date | null;
  referenceCount: number;
  moduleCount: number;
  applicationVersion: string | null;
  applicationBuildVersion: string | null;
  platformVersion: string | null;
  createdByEnvironmentId: number | null;
  /** `verified` unless the version was imported (see `VersionTrust`). */
  trust: VersionTrust;
}

/** Phases of a full sync; a version records which are complete so a resumed sync skips them. */
export type SyncPhase = "dataEntities" | "publicEntities" | "enumerations" | "labels";

export interface VersionSyncState {
  versionId: number;
  completedPhases: SyncPhase[];
  /** Public entities already stored for this version (lets a resumed sync skip re-downloading windows). */
  publicEntityCount: number;
  dataEntityCount: number;
  enumerationCount: number;
  /** Labels stored for this version, by language (lowercase tag). */
  labelCounts: Record<string, number>;
}

export interface WriteResult {
  /** Rows inserted into any metadata table (definitions, members, version membership, labels). */
  rowsWritten: number;
  /** Definitions that already existed (by content hash) and were only referenced. */
  definitionsReused: number;
}

export interface SyncLease {
  versionId: number;
  owner: string;
  expiresAt: Date;
}

export interface MetadataCounts {
  dataEntities: number;
  publicEntities: number;
  properties: number;
  navigationProperties: number;
  actions: number;
  enumerations: number;
  labels: number;
}

export type SearchKind =
  | "dataEntity"
  | "publicEntity"
  | "property"
  | "enumeration"
  | "enumMember"
  | "action"
  | "label";

export interface StoreSearchQuery {
  versionId: number;
  /** Already-tokenised terms (plain words, no syntax); the store builds its own index query from them. */
  terms: readonly string[];
  /** Match the last term as a prefix (typing-ahead). */
  prefixLastTerm: boolean;
  kinds?: readonly SearchKind[];
  entityCategory?: string;
  dataServiceEnabled?: boolean;
  isReadOnly?: boolean;
  /** Label language used for label text matches (lowercase tag). */
  language: string;
  limit: number;
  offset: number;
}

export interface StoreSearchHit {
  kind: SearchKind;
  /** Entity / enumeration name the hit belongs to (for a property: its entity). */
  name: string;
  /** Member name for property / enum member / action hits. */
  memberName?: string;
  /** Which field matched: name, label, property, member, action, collection. */
  matchedField: string;
  /** The text that matched. */
  matchedText: string;
  /** 0 = exact name, 1 = name prefix, 2 = text relevance; lower ranks first. */
  tier: number;
  /**
   * Rank within the tier, backend-defined, lower ranks first: in tiers 0 and 1 the length of the
   * matched name (closest name first); in tier 2 the backend's text-relevance score, comparable
   * only between hits of one result.
   */
  score: number;
  labelId: string | null;
  labelText: string | null;
  /**
   * For `label` hits: the kind of definition carrying the matched label (`dataEntity`,
   * `publicEntity` or `enumeration`); `name` is that definition's name. Absent for other kinds.
   */
  ownerKind?: SearchKind;
}

export interface StoreSearchResult {
  hits: StoreSearchHit[];
  total: number;
}

export interface StorageFootprint {
  /** Total bytes the backend reports for the whole store (for SQLite the file plus its WAL). */
  totalBytes: number;
  /** Bytes attributable to metadata content stored once (definitions, labels, index). */
  metadataBytes: number;
  /** Bytes the same content would take if every environment held its own copy. */
  perEnvironmentCopyBytes: number;
}

export interface CleanupResult {
  versionIds: number[];
  definitionsDeleted: number;
  labelsDeleted: number;
  dryRun: boolean;
}

export type StoreBackend = "sqlite" | "postgres";

/** What a store is and where it lives, safe to print: never a password or token. */
export interface StoreDescription {
  backend: StoreBackend;
  /** A file path for SQLite; a URL without credentials for PostgreSQL. */
  location: string;
  /** The store serves reads but refuses writes (e.g. a cache file the user cannot write). */
  readOnly: boolean;
  /** The backend's own schema version. */
  schemaVersion: number;
}

export interface IntegrityReport {
  ok: boolean;
  messages: string[];
}

export interface MetadataStore {
  /** What and where the store is (for messages, `doctor`, statistics). */
  describe(): Promise<StoreDescription>;
  /** Releases connections; further calls reject with a `CacheError`. Idempotent. */
  close(): Promise<void>;

  // Environments
  ensureEnvironment(baseUrl: string, name?: string): Promise<EnvironmentRecord>;
  findEnvironment(baseUrl: string): Promise<EnvironmentRecord | undefined>;
  getEnvironment(environmentId: number): Promise<EnvironmentRecord | undefined>;
  listEnvironments(): Promise<EnvironmentRecord[]>;
  recordVersionCheck(environmentId: number, at?: Date): Promise<void>;
  recordSync(environmentId: number, durationMs: number, at?: Date): Promise<void>;

  // Global versions
  findVersionByModulesHash(modulesHash: string): Promise<GlobalVersionRecord | undefined>;
  getVersion(versionId: number): Promise<GlobalVersionRecord | undefined>;
  listVersions(): Promise<GlobalVersionRecord[]>;
  /**
   * Returns the version for `info.modulesHash`, creating it (status `pending`, with every module)
   * when absent. Idempotent and race-free across processes. A 16-character `versionHash` already
   * used by a different module set is lengthened until unique (never silently shared).
   */
  getOrCreateVersion(
    info: EnvironmentVersionInfo,
    createdByEnvironmentId: number | null,
  ): Promise<{ version: GlobalVersionRecord; created: boolean }>;
  getVersionModules(versionId: number): Promise<ModuleVersionInfo[]>;
  /** Sets how far the version is trusted (an import marks it; a live check or re-verification clears it). */
  setVersionTrust(versionId: number, trust: VersionTrust): Promise<void>;
  /**
   * Gives a version another module list, and with it the modules hash and version hash, in one
   * transaction; content, links and trust are kept. For an imported version whose module list
   * lacked lines the Python tool could not parse, once a live check proved it is the same version.
   * Rejects with a `CacheError` when another version already has `info.modulesHash`.
   */
  rekeyVersion(versionId: number, info: EnvironmentVersionInfo): Promise<GlobalVersionRecord>;
  /**
   * Makes `versionId` the environment's serving version in one transaction: decrements the old
   * version's reference count, increments the new one's, updates `lastUsedAt`. A no-op when
   * already linked. The version must be complete.
   */
  linkEnvironment(
    environmentId: number,
    versionId: number,
  ): Promise<{ changed: boolean; previousVersionId: number | null }>;
  unlinkEnvironment(environmentId: number): Promise<void>;

  // Sync coordination (cross-process: backed by the store, not by in-process locks)
  /** Takes the version's sync lease if free or expired; returns false when another owner holds it. */
  tryAcquireSyncLease(versionId: number, owner: string, ttlMs: number): Promise<boolean>;
  renewSyncLease(versionId: number, owner: string, ttlMs: number): Promise<boolean>;
  releaseSyncLease(versionId: number, owner: string): Promise<void>;
  getSyncLease(versionId: number): Promise<SyncLease | undefined>;
  getSyncState(versionId: number): Promise<VersionSyncState>;
  markPhaseComplete(versionId: number, phase: SyncPhase): Promise<void>;
  /** Forgets a phase (and the version's membership rows of that phase) so it is synced again. */
  resetPhase(versionId: number, phase: SyncPhase): Promise<void>;

  // Writing metadata into a (pending or complete) version. Each call is one transaction.
  writeDataEntities(versionId: number, entities: readonly DataEntity[]): Promise<WriteResult>;
  writePublicEntities(versionId: number, entities: readonly PublicEntity[]): Promise<WriteResult>;
  writeEnumerations(versionId: number, enumerations: readonly Enumeration[]): Promise<WriteResult>;
  /** Stores label texts; an identical (id, language, text) already stored is only referenced. */
  writeLabels(versionId: number, labels: readonly Label[]): Promise<WriteResult>;
  /**
   * Stores label texts fetched on demand for a version that may be complete and shared. Needs no
   * sync lease; does not change the version's content hash, counts or search index, so nobody's
   * cached search results are invalidated. `getLabel`/`getLabels` return them; a later
   * `writeLabels` of the same id supersedes them.
   */
  storeFetchedLabels(versionId: number, labels: readonly Label[]): Promise<void>;
  /** Label ids referenced by the version's definitions that have no stored text yet in `language`. */
  listMissingLabelIds(versionId: number, language: string): Promise<string[]>;
  /** All label ids referenced by the version's definitions. */
  listReferencedLabelIds(versionId: number): Promise<string[]>;
  /** Marks the version complete (visible) and refreshes its counts; atomic. */
  completeVersion(versionId: number): Promise<void>;

  // Reading (only complete versions are served by callers; the store does not check)
  getDataEntity(versionId: number, name: string): Promise<DataEntity | undefined>;
  getPublicEntity(versionId: number, name: string): Promise<PublicEntity | undefined>;
  /** Finds a public entity by its entity set (collection) name. */
  getPublicEntityBySetName(versionId: number, entitySetName: string): Promise<PublicEntity | undefined>;
  getEnumeration(versionId: number, name: string): Promise<Enumeration | undefined>;
  listDataEntityNames(versionId: number): Promise<string[]>;
  listPublicEntityNames(versionId: number): Promise<string[]>;
  listEnumerationNames(versionId: number): Promise<string[]>;
  /**
   * Label ids are case-insensitive, as in D365 (`@SYS7149` = `@sys7149`); languages are lowercase
   * tags. Texts stored by `writeLabels` or `storeFetchedLabels` are both returned.
   */
  getLabel(versionId: number, id: string, language: string): Promise<string | undefined>;
  /** One pass for many ids (case-insensitive); the map is keyed by the ids as asked; ids without stored text are absent. */
  getLabels(versionId: number, ids: readonly string[], language: string): Promise<Map<string, string>>;
  getCounts(versionId: number): Promise<MetadataCounts>;
  /** Content hash per definition name, for diffs between versions without loading definitions. */
  getPublicEntityHashes(versionId: number): Promise<Map<string, string>>;
  /** SHA-256 over everything the version contains (entities, enums, labels): equal content, equal hash. */
  getContentHash(versionId: number): Promise<string>;
  search(query: StoreSearchQuery): Promise<StoreSearchResult>;

  // Maintenance and statistics
  /**
   * Deletes versions with no linked environment whose `lastUsedAt` is older than `olderThan`,
   * with every definition, member and label text no remaining version uses.
   */
  cleanupVersions(options: { olderThan: Date; dryRun: boolean }): Promise<CleanupResult>;
  getStorageFootprint(): Promise<StorageFootprint>;
  /** Consistency of everything stored (reference counts, membership, indexes, the backend's own check). */
  checkIntegrity(): Promise<IntegrityReport>;
}

/**
 * Inspection a test or benchmark needs and production code does not: kept off `MetadataStore`.
 * Both adapters implement it; `inspectStore()` in `inspection.ts` reaches it.
 */
export interface StoreInspection {
  /** Total rows in metadata tables (for asserting that a shared sync wrote nothing). */
  countMetadataRows(): Promise<number>;
}
