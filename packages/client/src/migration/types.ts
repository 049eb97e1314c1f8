/**
 * The migration's own terms: what a Python `d365fo-client` cache file holds (read through the
 * `PythonCacheReader` port, implemented for SQLite files in src/store/sqlite/python/), and what
 * a plan or an import reports. Nothing here names SQL or a driver.
 */
import type { DataEntity, Enumeration, Label, PublicEntity } from "../metadata/models.js";

/** `v2`: `metadata_v2.db`, every environment in one file; `v1`: the per-host `metadata.db` of August 2025. */
export type PythonCacheLayout = "v2" | "v1";

export interface PythonCacheFile {
  path: string;
  layout: PythonCacheLayout;
  sizeBytes: number;
  modifiedAt: Date;
  /** A `-wal` file with content sat beside it (its committed content is included in what is read). */
  hasWal: boolean;
}

/** One parsed module line as the Python tool stored it (`global_version_modules`). */
export interface PythonModuleLine {
  moduleId: string;
  name: string;
  version: string;
  publisher: string;
  displayName: string;
}

/** One finished (or started) sync of a version: a `metadata_versions` row of v2. */
export interface PythonSyncRun {
  createdAt: Date | null;
  completedAt: Date | null;
  entityCount: number;
  actionCount: number;
  enumerationCount: number;
  labelCount: number;
}

/** What a version's tables really hold (counted, not the Python tool's own bookkeeping). */
export interface PythonVersionCounts {
  dataEntities: number;
  /** Data entities with `data_service_enabled = 1` and a public entity name: public entities expected. */
  expectedPublicEntities: number;
  publicEntities: number;
  properties: number;
  navigationProperties: number;
  actions: number;
  enumerations: number;
  /** Label texts stored for the version (v2: version-scoped rows; v1: the file's rows the version references). */
  labels: number;
  /** Fixed-constraint rows that repeat an identical one on the same navigation property (defect 1). */
  duplicateFixedConstraints: number;
  /** Distinct label ids the version's metadata references (case-insensitive). */
  referencedLabelIds: number;
  /** Referenced label ids without a stored text (each a dropped label request). */
  missingLabelIds: number;
}

export interface PythonVersionLink {
  environmentSourceId: number;
  isActive: boolean;
  /** v2 `sync_status`; not a completion flag (defect 5). */
  syncStatus: string | null;
  detectedAt: Date | null;
}

export interface PythonVersion {
  /** `global_versions.id` (v2) or `metadata_versions.id` (v1) in the source file. */
  sourceId: number;
  layout: PythonCacheLayout;
  versionHash: string;
  /** v2: the Python tool's `modules_hash` over the lines it could parse; v1: null. */
  pythonModulesHash: string | null;
  /** v2: the parsed module lines in `sort_order`; v1: empty (v1 had no module list). */
  modules: PythonModuleLine[];
  /** v1 only (always null in v2 files). */
  applicationVersion: string | null;
  platformVersion: string | null;
  firstSeenAt: Date | null;
  links: PythonVersionLink[];
  /** v2: every `metadata_versions` row, oldest first; v1: one pseudo-run from `created_at`. */
  runs: PythonSyncRun[];
  counts: PythonVersionCounts;
}

export interface PythonEnvironment {
  sourceId: number;
  /** Exactly as the Python tool stored it (it never normalised). */
  baseUrl: string;
  name: string | null;
  createdAt: Date | null;
  lastSyncAt: Date | null;
  lastVersionCheckAt: Date | null;
}

export interface PythonCacheInventory {
  file: PythonCacheFile;
  environments: PythonEnvironment[];
  versions: PythonVersion[];
}

/** A version's metadata as stored, unrepaired (the repairs are pure logic in `repair.ts`). */
export interface PythonVersionContent {
  dataEntities: DataEntity[];
  publicEntities: PublicEntity[];
  enumerations: Enumeration[];
  /** Stored label texts (language as stored, `en-US` in practice). */
  labels: Label[];
}

/** Read-only access to one Python cache file. */
export interface PythonCacheReader {
  readonly file: PythonCacheFile;
  readInventory(): Promise<PythonCacheInventory>;
  readVersionContent(sourceVersionId: number): Promise<PythonVersionContent>;
  /** Everything of a version but its public entities (data entities, enumerations, stored label texts). */
  readVersionBasics(sourceVersionId: number): Promise<Omit<PythonVersionContent, "publicEntities">>;
  /** The version's public entities with all their children, `size` at a time, in stored order. */
  publicEntityWindows(sourceVersionId: number, size: number): AsyncIterable<PublicEntity[]>;
  /** Releases the file (and the private copy it reads). Idempotent. */
  close(): Promise<void>;
}

/** Opens a Python cache file read-only; rejects with a `MigrationSourceError` when it is not one. */
export type PythonCacheOpener = (path: string) => Promise<PythonCacheReader>;
