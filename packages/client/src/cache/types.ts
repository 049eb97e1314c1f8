/**
 * Public types of the metadata cache facade (`MetadataCacheV2`): its configuration, the views it
 * returns (definitions with label texts resolved), search pages, environment comparisons and
 * statistics. The CLI and library users code against these shapes.
 */
import type { TokenCredential } from "@azure/identity";
import type { HttpOptions } from "../http/client.js";
import type { Logger } from "../logging.js";
import type {
  DataEntity,
  EntityAction,
  EntityProperty,
  Enumeration,
  EnumerationMember,
  NavigationProperty,
  PropertyGroup,
} from "../metadata/models.js";
import type { MetadataStore, SearchKind, StorageFootprint, VersionTrust } from "../store/types.js";
import type { ModuleVersionInfoJson } from "../version/models.js";
import type { SchemaFirstMode } from "./staging.js";

export type { SearchKind } from "../store/types.js";

/**
 * HTTP behaviour for the environment's calls: the HTTP layer's options (`timeouts`, `retry`,
 * `limiter`, `pool`) plus shorthands.
 */
export interface CacheHttpOptions extends HttpOptions {
  /** Shorthand for `timeouts.headersMs` and `timeouts.bodyIdleMs`. */
  timeoutMs?: number;
  /** Shorthand for `retry.maxAttempts = maxRetries + 1`. */
  maxRetries?: number;
  /** Shorthand for `pool.connections`. */
  connections?: number;
  /**
   * Extra CA certificates (PEM). Accepted for callers that pass the emulator's certificate; the
   * token request trusts it through `credentialOptions`, the Metadata calls need no extra trust.
   */
  ca?: string | string[];
}

/** Service-principal settings, used when no `credential` object is given. */
export interface CacheCredentialSettings {
  tenantId?: string;
  clientId?: string;
  /** Never logged, never written to disk. */
  clientSecret?: string;
  /** Entra authority host (e.g. the emulator's `authorityHost`). */
  authorityHost?: string;
  /** Use `DefaultAzureCredential` (az login, managed identity, environment variables). */
  useDefaultCredential?: boolean;
  /** Extra options for the @azure/identity credential constructor. */
  credentialOptions?: Record<string, unknown>;
}

/** Configuration of one `MetadataCacheV2` (one environment). */
export interface CacheConfigV2 extends CacheCredentialSettings {
  /** The environment's base URL, e.g. `https://contoso.operations.dynamics.com`. */
  baseUrl: string;
  /** A ready credential; takes precedence over the credential settings. */
  credential?: TokenCredential;
  /** Directory of the shared store file; default: the user cache dir (`resolveCacheDir()`). */
  cacheDir?: string;
  /**
   * A PostgreSQL URL (`postgres://…` or `postgresql://…`) of a store a team shares; default
   * `D365FO_CACHE_URL`. When set, the store lives there and `cacheDir` holds no database. Its
   * password is never printed (messages and `describe()` show the URL without credentials).
   * `""` selects the SQLite file in `cacheDir` even when `D365FO_CACHE_URL` is set.
   */
  cacheUrl?: string;
  /**
   * An already-open store to use instead of opening one in `cacheDir` (many facades may share it);
   * the facade does not close a store it was given.
   */
  store?: MetadataStore;
  /** Label languages kept in the cache, first = default for label texts. Default `["en-US"]`. */
  languages?: string[];
  /** Versions unused by any environment for this many days are removed by `cleanup()`. Default 30. */
  retentionDays?: number;
  /**
   * How long a detected module set is trusted before `syncIfNeeded` asks the environment again,
   * in ms. Default 0 (every `syncIfNeeded` call checks). Reads never detect versions.
   */
  versionCheckIntervalMs?: number;
  /** Concurrent label fetches for label misses. Default 8. */
  labelFetchConcurrency?: number;
  /**
   * Public entity and enumeration views kept in memory (least recently used first out; 0 = none).
   * Default 256 (a large-preset entity view takes ≈24 KB). Returned views are frozen: they may be
   * shared between callers.
   */
  viewCacheSize?: number;
  /**
   * On `initialize()`, when this environment is not served by the store yet and a Python
   * d365fo-client cache holding it is found (default locations, `D365FO_CACHE_DIR`), import it
   * first (docs/migration.md). Default false.
   */
  autoMigrateCache?: boolean;
  /** Told the Python cache file `autoMigrateCache` is about to import (the CLI says so on stderr). */
  onAutoMigrate?: (path: string) => void;
  /**
   * Schema first: while this environment's own sync is fetching labels, serve its version as soon
   * as entities and enumerations are complete (lookups, search by name, schemas; label texts
   * missing, `getEnvironmentVersion().labelsComplete === false`). `firstSync` (default): only when
   * the environment serves no complete version yet; `always`: also in place of an older complete
   * version (an upgrade); `never`: only complete versions.
   */
  schemaFirst?: SchemaFirstMode;
  logger?: Logger;
  http?: CacheHttpOptions;
}

/**
 * The client-level configuration of the specification (`FOClientConfig`), as accepted by
 * `createMetadataCache`. Only the cache-related options are interpreted here.
 */
export interface FOClientConfig extends CacheCredentialSettings {
  baseUrl: string;
  credential?: TokenCredential;
  /** Default true. False: `createMetadataCache` refuses (there is nothing to create). */
  enableMetadataCache?: boolean;
  /** Accepted for compatibility; the only cache in this project is v2. */
  enableMetadataCacheV2?: boolean;
  /** Only `"v2"` is supported; `"v1"` is a ConfigurationError (no v1 cache exists here). */
  metadataVersion?: "v1" | "v2";
  /** Same as `CacheConfigV2.autoMigrateCache`: import the Python d365fo-client's cache on `initialize()`. */
  autoMigrateCache?: boolean;
  /** Same as `CacheConfigV2.cacheDir`. */
  metadataCacheDir?: string;
  /** Same as `CacheConfigV2.cacheUrl`. */
  cacheUrl?: string;
  /** Accepted for compatibility with the Python client; sync is driven by module versions here. */
  metadataSyncIntervalMinutes?: number;
  languages?: string[];
  retentionDays?: number;
  versionCheckIntervalMs?: number;
  viewCacheSize?: number;
  store?: MetadataStore;
  logger?: Logger;
  http?: CacheHttpOptions;
}

// ---------------------------------------------------------------------------------------------
// Sync: the facade delegates to SmartSyncManagerV2 and returns its result unchanged.

export type {
  SyncOptions as CacheSyncOptions,
  SyncProgressEvent as CacheSyncProgress,
  SyncResult as CacheSyncResult,
  SyncStrategy as CacheSyncStrategy,
} from "../sync/types.js";

export interface EnvironmentVersionOptions {
  /**
   * Default true: answer from the store's last detection / the in-process cache when fresh.
   * False: ask the environment (GetInstalledModules).
   */
  useCache?: boolean;
  /**
   * Never contact the environment: the stored version, or NotSyncedError when nothing is
   * synced (`d365fo version --cached`).
   */
  cachedOnly?: boolean;
  signal?: AbortSignal;
}

// ---------------------------------------------------------------------------------------------
// Search

export interface SearchOptions {
  /** Kinds of hits to return; default: data entities, public entities, enumerations. */
  kinds?: readonly SearchKind[];
  /** e.g. `Master`, `Transaction` (data entities). */
  entityCategory?: string;
  /** Only OData-enabled (`DataServiceEnabled`) entities. */
  dataServiceEnabled?: boolean;
  isReadOnly?: boolean;
  /** Label language for label matches and label texts; default the cache's first language. */
  language?: string;
  /** Page size, 1..500, default 20. */
  limit?: number;
  /** Hits to skip, default 0. */
  offset?: number;
  /** Match the last word as a prefix (type-ahead). Default true. */
  prefix?: boolean;
}

export interface SearchHit {
  kind: SearchKind;
  /** Entity / enumeration name (for a property, action or enum member: its owner). */
  name: string;
  memberName?: string;
  /** For raw `label` hits (when `kinds` includes `label`): the kind of definition carrying the label. */
  ownerKind?: SearchKind;
  /** Why it matched, for humans: `exact name`, `name prefix 'cust'`, `label: 'Customer account'`, `property CustAccount`. */
  reason: string;
  matchedField: string;
  matchedText: string;
  /** 0 exact name, 1 name prefix, 2 full text. */
  tier: number;
  /** bm25 within the tier, lower is better. */
  score: number;
  labelId: string | null;
  labelText: string | null;
}

export interface SearchResultPage {
  /** The user's text, unchanged. */
  query: string;
  /** The plain terms the text was reduced to (empty → no hits, never an error). */
  terms: string[];
  hits: SearchHit[];
  /** Hits in total across all pages. */
  total: number;
  limit: number;
  offset: number;
  versionHash: string | null;
}

// ---------------------------------------------------------------------------------------------
// Views: definitions with label texts resolved in one language

export interface PropertyView extends EntityProperty {
  labelText: string | null;
}

export interface PublicEntityView {
  name: string;
  entitySetName: string;
  labelId: string | null;
  labelText: string | null;
  isReadOnly: boolean;
  configurationEnabled: boolean;
  properties: PropertyView[];
  navigationProperties: NavigationProperty[];
  propertyGroups: PropertyGroup[];
  actions: EntityAction[];
  /** Language of the label texts (as configured, e.g. `en-US`). */
  language: string;
}

export interface DataEntityView extends DataEntity {
  labelText: string | null;
  language: string;
}

export interface EnumerationMemberView extends EnumerationMember {
  labelText: string | null;
}

export interface EnumerationView extends Omit<Enumeration, "members"> {
  labelText: string | null;
  members: EnumerationMemberView[];
  language: string;
}

/** An action found by `searchActions`, with the entity it is bound to. */
export interface ActionHit {
  entityName: string;
  entitySetName: string | null;
  action: EntityAction;
  reason: string;
}

// ---------------------------------------------------------------------------------------------
// Environment comparison

export interface ModuleChange {
  moduleId: string;
  name: string;
  fromVersion: string;
  toVersion: string;
  /** `upgrade` when b's version is higher, `downgrade` when lower. */
  direction: "upgrade" | "downgrade" | "changed";
}

export interface PropertyChange {
  name: string;
  /** Fields that differ, e.g. `dataType`, `isMandatory`, `labelId`. */
  fields: string[];
}

export interface EntityChange {
  name: string;
  propertiesAdded: string[];
  propertiesRemoved: string[];
  propertiesChanged: PropertyChange[];
  navigationPropertiesAdded: string[];
  navigationPropertiesRemoved: string[];
  actionsAdded: string[];
  actionsRemoved: string[];
  /** Top-level fields that differ (`entitySetName`, `isReadOnly`, `labelId`, …). */
  fieldsChanged: string[];
}

export interface EnvironmentSide {
  baseUrl: string;
  versionId: number;
  versionHash: string;
  applicationVersion: string | null;
  platformVersion: string | null;
  moduleCount: number;
}

export interface EnvironmentComparison {
  a: EnvironmentSide;
  b: EnvironmentSide;
  /** Same global version (same module set). */
  sameVersion: boolean;
  modules: {
    added: ModuleVersionInfoJson[];
    removed: ModuleVersionInfoJson[];
    changed: ModuleChange[];
    unchangedCount: number;
  };
  publicEntities: {
    added: string[];
    removed: string[];
    changed: EntityChange[];
    unchangedCount: number;
  };
}

// ---------------------------------------------------------------------------------------------
// Statistics

export interface LookupCounters {
  /** Lookups answered from the store. */
  localHits: number;
  /** Lookups that had to ask the environment (label misses). */
  fetched: number;
  /** Lookups that found nothing, locally or remotely. */
  notFound: number;
}

export interface CacheStatistics {
  /** Environments known to the store. */
  totalEnvironments: number;
  /** Distinct global versions (module sets) serving at least one environment. */
  uniqueVersions: number;
  /** Complete versions in the store, including ones no environment serves any more (until cleanup). */
  storedVersions: number;
  /** Versions serving more than one environment. */
  sharedVersions: number;
  /** localHits / (localHits + fetched) over this facade's real lookups; 0 when none. */
  cacheHitRatio: number;
  /** 1 - totalBytes stored / bytes that per-environment copies would need (0 when nothing stored). */
  storageEfficiency: number;
  /** Last successful sync per environment base URL (null: never synced). */
  lastSyncTimes: Record<string, Date | null>;
  /** versionHash → environments linked to it. */
  versionDistribution: Record<string, number>;
  /** Complete versions by trust (`verified`, and the imported ones: `imported`, `needsReverification`, `legacy`). */
  versionsByTrust: Record<VersionTrust, number>;
  /** Version hashes of imported versions the next sync re-verifies (they looked silently incomplete). */
  versionsNeedingReverification: string[];
  /**
   * Version hashes served schema first: entities and enumerations complete, label texts still
   * being fetched (not complete yet, so not in `storedVersions`).
   */
  versionsWithLabelsPending: string[];
  /** Whether this facade's environment serves a version whose labels are complete (false while schema first; null: nothing served). */
  labelsComplete: boolean | null;
  lookups: LookupCounters;
  storage: StorageFootprint;
}

export interface CleanupOptions {
  /** Default: the configured `retentionDays`. */
  retentionDays?: number;
  dryRun?: boolean;
}

export interface CacheCleanupResult {
  dryRun: boolean;
  cutoff: Date;
  /** Version hashes removed (or that would be). */
  versionHashes: string[];
  definitionsDeleted: number;
  labelsDeleted: number;
}
