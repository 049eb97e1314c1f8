/**
 * `MetadataCacheV2`: one environment's view of a (shared) metadata store. Reads go to the
 * environment's current serving version, whose id is kept in memory and refreshed by sync, so an
 * entity lookup is one store read: no network, no version detection. Label misses are the only
 * reads that may reach the environment.
 */
import { ConfigurationError, NotSyncedError } from "../errors.js";
import { type Logger, silentLogger } from "../logging.js";
import type { PublicEntity } from "../metadata/models.js";
import { VersionAwareSearchEngine } from "../search/engine.js";
import type { EnvironmentRecord, MetadataStore } from "../store/types.js";
import type { SyncOptions, SyncResult, VersionSource } from "../sync/types.js";
import { EnvironmentVersionInfo, ModuleVersionInfo } from "../version/models.js";
import { cleanupVersions } from "./cleanup.js";
import {
  checkDefinitionName,
  checkLanguage,
  type ResolvedCacheConfig,
  resolveCacheConfig,
} from "./config.js";
import { compareStoredEnvironments } from "./environment-comparison.js";
import { type LabelFetcher, LabelResolver } from "./labels.js";
import { deepFreeze, LruMap } from "./lru.js";
import { listSchemaReadyVersionIds, resolveServingVersion, type ServingVersion } from "./staging.js";
import { computeStatistics, LookupCounter } from "./statistics.js";
import type {
  ActionHit,
  CacheCleanupResult,
  CacheConfigV2,
  CacheStatistics,
  CleanupOptions,
  DataEntityView,
  EnumerationView,
  EnvironmentComparison,
  EnvironmentVersionOptions,
  PublicEntityView,
  SearchOptions,
  SearchResultPage,
} from "./types.js";
import {
  enumerationLabelIds,
  enumerationView,
  publicEntityLabelIds,
  publicEntityView,
  searchResultPage,
} from "./views.js";

/** The network side of a cache: how it detects versions, syncs and fetches label misses. */
export interface CacheServices {
  labels?: LabelFetcher;
  detector?: VersionSource;
  sync?: {
    syncIfNeeded(options?: Omit<SyncOptions, "strategy">): Promise<SyncResult>;
    sync(options?: SyncOptions): Promise<SyncResult>;
  };
  /** Releases connections; called by `close()`. */
  close?: () => Promise<void> | void;
}

/** Builds the network services once the store and environment are known. */
export type CacheServicesFactory = (context: {
  config: ResolvedCacheConfig;
  store: MetadataStore;
  logger: Logger;
}) => CacheServices | Promise<CacheServices>;

/** A schema-first version is re-read at most this often: its labels complete meanwhile. */
const STAGED_RECHECK_MS = 1_000;

export class MetadataCacheV2 {
  readonly config: ResolvedCacheConfig;
  private readonly logger: Logger;
  private readonly counter = new LookupCounter();
  private storeRef: MetadataStore | undefined;
  private ownsStore = false;
  private environment: EnvironmentRecord | undefined;
  private serving: ServingVersion | undefined;
  private servingCheckedAt = 0;
  private services: CacheServices = {};
  private engine: VersionAwareSearchEngine | undefined;
  private labels: LabelResolver | undefined;
  private initializing: Promise<void> | undefined;
  private ready = false;
  private closed = false;
  private readonly versionInfoCache = new Map<number, EnvironmentVersionInfo>();
  /** Recently returned views (frozen), per version, language and name; cleared by every sync. */
  private readonly views: LruMap<string, PublicEntityView | EnumerationView>;

  /**
   * @param config validated immediately (ConfigurationError on bad input); nothing is opened
   *   until `initialize()` (or the first call that needs the store).
   * @param services the network side; by default built from the configuration (HTTP client,
   *   credential, version detector, sync manager). Tests and embedders may pass their own.
   */
  constructor(
    config: CacheConfigV2,
    private readonly servicesInput?: CacheServices | CacheServicesFactory,
  ) {
    this.config = resolveCacheConfig(config);
    this.logger = config.logger ?? silentLogger;
    this.views = new LruMap(this.config.viewCacheSize);
  }

  /** The store this cache reads (after `initialize()`). */
  get store(): MetadataStore {
    if (!this.storeRef)
      throw new ConfigurationError("MetadataCacheV2 is not initialized; call initialize() first");
    return this.storeRef;
  }

  /** The environment's base URL as stored (normalised). */
  get baseUrl(): string {
    return this.config.baseUrl;
  }

  /** Opens the store, registers the environment and reads its serving version; idempotent. */
  async initialize(): Promise<void> {
    if (this.ready) return;
    if (this.closed) throw new ConfigurationError("MetadataCacheV2 is closed");
    this.initializing ??= this.open().catch((error) => {
      this.initializing = undefined;
      throw error;
    });
    await this.initializing;
  }

  private async open(): Promise<void> {
    let store = this.config.store;
    if (!store) {
      const { openStore } = await import("./store-access.js");
      store = await openStore(
        { cacheDir: this.config.cacheDir, cacheUrl: this.config.cacheUrl },
        this.logger,
      );
      this.ownsStore = true;
    }
    this.storeRef = store;
    try {
      if (this.config.autoMigrateCache) {
        // Only the import itself is waited for; a source that cannot be read is logged and skipped.
        const { autoMigrate } = await import("../migration/auto.js");
        await autoMigrate({
          store,
          baseUrl: this.config.baseUrl,
          logger: this.logger,
          cacheDir: this.config.cacheDir,
          onImport: this.config.onAutoMigrate,
        });
      }
      this.environment = await store.ensureEnvironment(this.config.baseUrl);
      await this.refreshServingVersion();
      this.services = await this.buildServices(store);
    } catch (error) {
      if (this.ownsStore) await store.close().catch(() => undefined);
      this.storeRef = undefined;
      throw error;
    }
    this.engine = new VersionAwareSearchEngine(store, {
      language: this.config.languages[0],
      logger: this.logger,
    });
    this.labels = new LabelResolver({
      store,
      fetcher: this.services.labels,
      counter: this.counter,
      concurrency: this.config.labelFetchConcurrency,
      logger: this.logger,
    });
    this.ready = true;
  }

  private async buildServices(store: MetadataStore): Promise<CacheServices> {
    const input = this.servicesInput;
    if (typeof input === "function") return input({ config: this.config, store, logger: this.logger });
    if (input) return input;
    const { createNetworkServices } = await import("./services.js");
    return createNetworkServices({ config: this.config, store, logger: this.logger });
  }

  /** Re-reads the environment's serving version from the store (another process may have synced it). */
  async refreshServingVersion(): Promise<void> {
    const store = this.store;
    const env = this.environment ? await store.getEnvironment(this.environment.id) : undefined;
    this.environment = env ?? (await store.ensureEnvironment(this.config.baseUrl));
    this.serving = await resolveServingVersion(store, this.environment, this.config.schemaFirst);
    this.servingCheckedAt = Date.now();
  }

  private async servingVersion(): Promise<ServingVersion> {
    if (!this.ready) await this.initialize();
    // A schema-first version is completed by a sync, maybe in another process: look again now and then.
    if (
      this.serving &&
      !this.serving.labelsComplete &&
      Date.now() - this.servingCheckedAt >= STAGED_RECHECK_MS
    ) {
      await this.refreshServingVersion();
    }
    if (this.serving) return this.serving;
    await this.refreshServingVersion();
    if (this.serving) return this.serving;
    throw new NotSyncedError(
      `No synced metadata for ${this.config.baseUrl} yet; call syncIfNeeded() (or 'd365fo sync') first`,
    );
  }

  private language(language: string | undefined): string {
    return checkLanguage(language, this.config.languages[0]);
  }

  // -------------------------------------------------------------------------------------------
  // Sync and versions

  /**
   * Detects the environment's module set and syncs only when its version is not complete in the
   * store yet (or links it to a version another environment already synced).
   */
  async syncIfNeeded(options: Omit<SyncOptions, "strategy"> = {}): Promise<SyncResult> {
    return this.runSync((sync) => sync.syncIfNeeded({ languages: this.config.languages, ...options }));
  }

  /** Runs a sync with an explicit strategy (`full`, `entitiesOnly`, `labelsOnly`, `reverify`). */
  async sync(options: SyncOptions = {}): Promise<SyncResult> {
    return this.runSync((sync) => sync.sync({ languages: this.config.languages, ...options }));
  }

  private async runSync(
    run: (sync: NonNullable<CacheServices["sync"]>) => Promise<SyncResult>,
  ): Promise<SyncResult> {
    await this.initialize();
    const sync = this.services.sync;
    if (!sync)
      throw new ConfigurationError("This cache has no sync service (it was created without network access)");
    try {
      return await run(sync);
    } finally {
      // Even a failed sync may have relinked the environment (e.g. shared, then aborted later).
      await this.refreshServingVersion();
      this.labels?.forgetUnknown();
      this.views.clear();
    }
  }

  /**
   * The environment's version. By default from the store (the module set of the version it
   * serves, no network); `useCache: false`, or no synced version yet, asks the environment.
   */
  async getEnvironmentVersion(options: EnvironmentVersionOptions = {}): Promise<EnvironmentVersionInfo> {
    await this.initialize();
    const useCache = options.useCache ?? true;
    if (useCache || options.cachedOnly) {
      const serving = await this.servingVersion().catch((error: unknown) => {
        if (error instanceof NotSyncedError) return undefined;
        throw error;
      });
      if (serving) return await this.storedVersionInfo(serving);
      if (options.cachedOnly) {
        throw new NotSyncedError(
          `No synced metadata for ${this.config.baseUrl} in the cache; run 'd365fo sync' (or drop --cached to ask the environment)`,
        );
      }
    }
    const detector = this.services.detector;
    if (!detector) throw new ConfigurationError("This cache has no version detector (no network access)");
    const info = await detector.getEnvironmentVersion({ useCache });
    await this.store.recordVersionCheck(this.environment!.id);
    return info;
  }

  private async storedVersionInfo(
    serving: number | Pick<ServingVersion, "id" | "labelsComplete">,
  ): Promise<EnvironmentVersionInfo> {
    const { id: versionId, labelsComplete } =
      typeof serving === "number" ? { id: serving, labelsComplete: true } : serving;
    const cached = labelsComplete ? this.versionInfoCache.get(versionId) : undefined;
    if (cached) return cached;
    const store = this.store;
    const version = await store.getVersion(versionId);
    if (!version) throw new NotSyncedError(`Version ${versionId} is no longer in the store`);
    const modules = await store.getVersionModules(versionId);
    const info = new EnvironmentVersionInfo({
      modules: modules.map((m) => new ModuleVersionInfo(m)),
      environmentId: this.environment?.id,
      modulesHash: version.modulesHash,
      versionHash: version.versionHash,
      applicationVersion: version.applicationVersion,
      applicationBuildVersion: version.applicationBuildVersion,
      platformVersion: version.platformVersion,
      computedAt: version.completedAt ?? version.firstSeenAt,
      trust: version.trust,
      labelsComplete,
    });
    if (labelsComplete) this.versionInfoCache.set(versionId, info);
    return info;
  }

  // -------------------------------------------------------------------------------------------
  // Reads

  /** Ranked, explained search over entities (and, via `kinds`, properties, enums, actions, labels). */
  async searchEntities(text: string, options: SearchOptions = {}): Promise<SearchResultPage> {
    const version = await this.servingVersion();
    const language = this.language(options.language);
    const result = await this.engine!.search(version.id, text, { ...options, language });
    return searchResultPage(text, result, version.hash);
  }

  /** Actions (bound and unbound) whose name or entity matches `text`, with their definitions. */
  async searchActions(text: string, options: { limit?: number; offset?: number } = {}): Promise<ActionHit[]> {
    const version = await this.servingVersion();
    const result = await this.engine!.search(version.id, text, { ...options, kinds: ["action"] });
    const entities = new Map<string, PublicEntity | undefined>();
    const hits: ActionHit[] = [];
    for (const hit of result.hits) {
      if (!entities.has(hit.name)) {
        entities.set(hit.name, await this.store.getPublicEntity(version.id, hit.name));
      }
      const entity = entities.get(hit.name);
      const action = entity?.actions.find((a) => a.name === (hit.memberName ?? hit.matchedText));
      if (!entity || !action) continue;
      hits.push({ entityName: entity.name, entitySetName: entity.entitySetName, action, reason: hit.reason });
    }
    return hits;
  }

  /** A data entity by name, with its label text. `undefined` when the version has no such entity. */
  async getDataEntity(
    name: string,
    options: { language?: string } = {},
  ): Promise<DataEntityView | undefined> {
    const version = await this.servingVersion();
    const entityName = checkDefinitionName("Data entity", name);
    const language = this.language(options.language);
    const entity = await this.store.getDataEntity(version.id, entityName);
    if (!entity) {
      this.counter.notFound++;
      return undefined;
    }
    this.counter.localHits++;
    const texts = entity.labelId
      ? await this.labels!.resolve(version.id, [entity.labelId], language, {
          onFetchError: () => {},
          localOnly: !version.labelsComplete,
        })
      : undefined;
    return { ...entity, labelText: (entity.labelId && texts?.get(entity.labelId)) || null, language };
  }

  /**
   * A public entity by entity name (or, failing that, by entity set name), with the label texts
   * of the entity and its properties in `language`.
   */
  async getPublicEntity(
    name: string,
    options: { language?: string } = {},
  ): Promise<PublicEntityView | undefined> {
    const version = await this.servingVersion();
    const entityName = checkDefinitionName("Public entity", name);
    const language = this.language(options.language);
    return this.cachedView("p", version, entityName, language, {
      load: async (store) =>
        (await store.getPublicEntity(version.id, entityName)) ??
        (await store.getPublicEntityBySetName(version.id, entityName)),
      labelIds: publicEntityLabelIds,
      build: publicEntityView,
    });
  }

  /** An enumeration by name, with the label texts of it and its members. */
  async getEnumeration(
    name: string,
    options: { language?: string } = {},
  ): Promise<EnumerationView | undefined> {
    const version = await this.servingVersion();
    const enumName = checkDefinitionName("Enumeration", name);
    const language = this.language(options.language);
    return this.cachedView("e", version, enumName, language, {
      load: (store) => store.getEnumeration(version.id, enumName),
      labelIds: enumerationLabelIds,
      build: enumerationView,
    });
  }

  /**
   * A view from the view cache, or built from the store with its label texts resolved (misses
   * fetched). Schema first: a version whose labels are still being fetched shows the ids (no fetch
   * here: the sync is asking for every one of them). A view with labels missing is not kept: a
   * later call may complete it.
   */
  private async cachedView<D, V extends PublicEntityView | EnumerationView>(
    kind: "p" | "e",
    version: ServingVersion,
    name: string,
    language: string,
    how: {
      load: (store: MetadataStore) => Promise<D | undefined>;
      labelIds: (definition: D) => string[];
      build: (definition: D, texts: Map<string, string>, language: string) => V;
    },
  ): Promise<V | undefined> {
    const viewKey = `${kind}\u0000${version.id}\u0000${language}\u0000${name}`;
    const cached = this.views.get(viewKey) as V | undefined;
    if (cached) {
      this.counter.localHits++;
      return cached;
    }
    const definition = await how.load(this.store);
    if (!definition) {
      this.counter.notFound++;
      return undefined;
    }
    this.counter.localHits++;
    let complete = version.labelsComplete;
    const texts = await this.labels!.resolve(version.id, how.labelIds(definition), language, {
      onFetchError: () => {
        complete = false;
      },
      localOnly: !version.labelsComplete,
    });
    const view = how.build(definition, texts, language);
    if (complete && this.views.capacity > 0) this.views.set(viewKey, deepFreeze(view));
    return view;
  }

  /** One label text; a miss is fetched from the environment and stored. `undefined`: unknown id. */
  async getLabel(id: string, language?: string): Promise<string | undefined> {
    const version = await this.servingVersion();
    if (typeof id !== "string" || id.trim() === "")
      throw new ConfigurationError("Label id must be a non-empty string");
    const texts = await this.labels!.resolve(version.id, [id], this.language(language));
    return texts.get(id);
  }

  /** Many label texts: one store pass, then one bulk fetch of the misses. Unknown ids are absent. */
  async getLabels(ids: readonly string[], language?: string): Promise<Map<string, string>> {
    const version = await this.servingVersion();
    if (!Array.isArray(ids)) throw new ConfigurationError("Label ids must be an array of strings");
    return this.labels!.resolve(version.id, ids, this.language(language));
  }

  // -------------------------------------------------------------------------------------------
  // Across environments

  /**
   * How environment `b` differs from `a` (both synced into this store): modules added, removed
   * and changed, and public entities added, removed and changed (property by property). Only
   * entities whose content hash differs are loaded.
   */
  async compareEnvironments(a: string, b: string): Promise<EnvironmentComparison> {
    await this.initialize();
    return compareStoredEnvironments(this.store, a, b, (versionId) => this.storedVersionInfo(versionId));
  }

  /** Sharing and usage figures of the whole store plus this cache's lookups. */
  async getStatistics(): Promise<CacheStatistics> {
    await this.initialize();
    const store = this.store;
    const versions = await store.listVersions();
    const schemaReadyVersionIds = await listSchemaReadyVersionIds(store, versions);
    const serving = await this.servingVersion().catch((error: unknown) => {
      if (error instanceof NotSyncedError) return undefined;
      throw error;
    });
    return computeStatistics({
      environments: await store.listEnvironments(),
      versions,
      footprint: await store.getStorageFootprint(),
      lookups: this.counter.snapshot(),
      schemaReadyVersionIds,
      labelsComplete: serving ? serving.labelsComplete : null,
    });
  }

  /** Removes versions no environment serves and unused for `retentionDays` (default: configured). */
  async cleanup(options: CleanupOptions = {}): Promise<CacheCleanupResult> {
    await this.initialize();
    const { versionIds, ...result } = await cleanupVersions(
      this.store,
      options.retentionDays ?? this.config.retentionDays,
      options.dryRun ?? false,
    );
    if (!result.dryRun) for (const id of versionIds) this.versionInfoCache.delete(id);
    return result;
  }

  /** Closes the network services and, if this cache opened it, the store. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.initializing) await this.initializing.catch(() => undefined);
    try {
      await this.services.close?.();
    } finally {
      if (this.ownsStore) await this.storeRef?.close();
      this.storeRef = undefined;
      this.ready = false;
    }
  }
}
