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
 * All methods are synchronous (better-sqlite3 is synchronous and fast; a remote backend would wrap
 * its own I/O behind a worker). Every write method is atomic: it commits fully or not at all.
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
  /** 0 = exact name, 1 = name prefix, 2 = full-text; lower ranks first. */
  tier: number;
  /**
   * Rank within the tier, lower is better: in tiers 0 and 1 the length of the matched name
   * (closest name first); in tier 2 the bm25 score.
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
  /** Total bytes of the store (database file plus WAL). */
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

export interface MetadataStore {
  /** Where the store lives (file path for SQLite). */
  readonly location: string;
  close(): void;

  // Environments
  ensureEnvironment(baseUrl: string, name?: string): EnvironmentRecord;
  findEnvironment(baseUrl: string): EnvironmentRecord | undefined;
  getEnvironment(environmentId: number): EnvironmentRecord | undefined;
  listEnvironments(): EnvironmentRecord[];
  recordVersionCheck(environmentId: number, at?: Date): void;
  recordSync(environmentId: number, durationMs: number, at?: Date): void;

  // Global versions
  findVersionByModulesHash(modulesHash: string): GlobalVersionRecord | undefined;
  getVersion(versionId: number): GlobalVersionRecord | undefined;
  listVersions(): GlobalVersionRecord[];
  /**
   * Returns the version for `info.modulesHash`, creating it (status `pending`, with every module)
   * when absent. Idempotent and race-free across processes. A 16-character `versionHash` already
   * used by a different module set is lengthened until unique (never silently shared).
   */
  getOrCreateVersion(
    info: EnvironmentVersionInfo,
    createdByEnvironmentId: number | null,
  ): {
    version: GlobalVersionRecord;
    created: boolean;
  };
  getVersionModules(versionId: number): ModuleVersionInfo[];
  /**
   * Makes `versionId` the environment's serving version in one transaction: decrements the old
   * version's reference count, increments the new one's, updates `lastUsedAt`. A no-op when
   * already linked. The version must be complete.
   */
  linkEnvironment(
    environmentId: number,
    versionId: number,
  ): { changed: boolean; previousVersionId: number | null };
  unlinkEnvironment(environmentId: number): void;

  // Sync coordination (cross-process: backed by the store, not by in-process locks)
  /** Takes the version's sync lease if free or expired; returns false when another owner holds it. */
  tryAcquireSyncLease(versionId: number, owner: string, ttlMs: number): boolean;
  renewSyncLease(versionId: number, owner: string, ttlMs: number): boolean;
  releaseSyncLease(versionId: number, owner: string): void;
  getSyncLease(versionId: number): SyncLease | undefined;
  getSyncState(versionId: number): VersionSyncState;
  markPhaseComplete(versionId: number, phase: SyncPhase): void;
  /** Forgets a phase (and the version's membership rows of that phase) so it is synced again. */
  resetPhase(versionId: number, phase: SyncPhase): void;

  // Writing metadata into a (pending or complete) version. Each call is one transaction.
  writeDataEntities(versionId: number, entities: readonly DataEntity[]): WriteResult;
  writePublicEntities(versionId: number, entities: readonly PublicEntity[]): WriteResult;
  writeEnumerations(versionId: number, enumerations: readonly Enumeration[]): WriteResult;
  /** Stores label texts; an identical (id, language, text) already stored is only referenced. */
  writeLabels(versionId: number, labels: readonly Label[]): WriteResult;
  /** Label ids referenced by the version's definitions that have no stored text yet in `language`. */
  listMissingLabelIds(versionId: number, language: string): string[];
  /** All label ids referenced by the version's definitions. */
  listReferencedLabelIds(versionId: number): string[];
  /** Marks the version complete (visible) and refreshes its counts; atomic. */
  completeVersion(versionId: number): void;

  // Reading (only complete versions are served by callers; the store does not check)
  getDataEntity(versionId: number, name: string): DataEntity | undefined;
  getPublicEntity(versionId: number, name: string): PublicEntity | undefined;
  /** Finds a public entity by its entity set (collection) name. */
  getPublicEntityBySetName(versionId: number, entitySetName: string): PublicEntity | undefined;
  getEnumeration(versionId: number, name: string): Enumeration | undefined;
  listDataEntityNames(versionId: number): string[];
  listPublicEntityNames(versionId: number): string[];
  listEnumerationNames(versionId: number): string[];
  getLabel(versionId: number, id: string, language: string): string | undefined;
  /** One pass for many ids; ids without stored text are absent from the map. */
  getLabels(versionId: number, ids: readonly string[], language: string): Map<string, string>;
  getCounts(versionId: number): MetadataCounts;
  /** Content hash per definition name, for diffs between versions without loading definitions. */
  getPublicEntityHashes(versionId: number): Map<string, string>;
  /** SHA-256 over everything the version contains (entities, enums, labels): equal content, equal hash. */
  getContentHash(versionId: number): string;
  search(query: StoreSearchQuery): StoreSearchResult;

  // Maintenance and statistics
  /**
   * Deletes versions with no linked environment whose `lastUsedAt` is older than `olderThan`,
   * with every definition, member and label text no remaining version uses.
   */
  cleanupVersions(options: { olderThan: Date; dryRun: boolean }): CleanupResult;
  getStorageFootprint(): StorageFootprint;
  /** Total rows in metadata tables (for asserting that a shared sync wrote nothing). */
  countMetadataRows(): number;
  checkIntegrity(): { ok: boolean; messages: string[] };
}
