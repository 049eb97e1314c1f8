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
import { diffModules, diffNames, diffPublicEntity } from "./compare.js";
import { normalizeEnvironmentUrl, type ResolvedCacheConfig, resolveCacheConfig } from "./config.js";
import { type LabelFetcher, LabelResolver } from "./labels.js";
import { deepFreeze, LruMap } from "./lru.js";
import { computeStatistics, LookupCounter } from "./statistics.js";
import type {
  ActionHit,
  CacheCleanupResult,
  CacheConfigV2,
  CacheStatistics,
  CleanupOptions,
  DataEntityView,
  EntityChange,
  EnumerationView,
  EnvironmentComparison,
  EnvironmentSide,
  EnvironmentVersionOptions,
  PublicEntityView,
  SearchOptions,
  SearchResultPage,
} from "./types.js";

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

interface ServingVersion {
  id: number;
  hash: string;
}

const DAY_MS = 86_400_000;

export class MetadataCacheV2 {
  readonly config: ResolvedCacheConfig;
  private readonly logger: Logger;
  private readonly counter = new LookupCounter();
  private storeRef: MetadataStore | undefined;
  private ownsStore = false;
  private environment: EnvironmentRecord | undefined;
  private serving: ServingVersion | undefined;
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
      store = await openStore(this.config.cacheDir, this.logger);
      this.ownsStore = true;
    }
    this.storeRef = store;
    try {
      this.environment = store.ensureEnvironment(this.config.baseUrl);
      this.refreshServingVersion();
      this.services = await this.buildServices(store);
    } catch (error) {
      if (this.ownsStore) store.close();
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
  refreshServingVersion(): void {
    const store = this.store;
    const env = this.environment ? store.getEnvironment(this.environment.id) : undefined;
    this.environment = env ?? store.ensureEnvironment(this.config.baseUrl);
    const versionId = this.environment.versionId;
    const version = versionId === null ? undefined : store.getVersion(versionId);
    this.serving =
      version && version.status === "complete" ? { id: version.id, hash: version.versionHash } : undefined;
  }

  private async servingVersion(): Promise<ServingVersion> {
    if (!this.ready) await this.initialize();
    if (this.serving) return this.serving;
    this.refreshServingVersion();
    if (this.serving) return this.serving;
    throw new NotSyncedError(
      `No synced metadata for ${this.config.baseUrl} yet; call syncIfNeeded() (or 'd365fo sync') first`,
    );
  }

  private language(language: string | undefined): string {
    if (language === undefined) return this.config.languages[0];
    if (typeof language !== "string" || !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(language)) {
      throw new ConfigurationError(`Language must be a tag such as en-US, got ${JSON.stringify(language)}`);
    }
    return language;
  }

  private checkName(kind: string, name: unknown): string {
    if (typeof name !== "string" || name.trim() === "") {
      throw new ConfigurationError(`${kind} name must be a non-empty string`);
    }
    return name.trim();
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
      this.refreshServingVersion();
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
    if (useCache) {
      if (!this.serving) this.refreshServingVersion();
      if (this.serving) return this.storedVersionInfo(this.serving.id);
    }
    const detector = this.services.detector;
    if (!detector) throw new ConfigurationError("This cache has no version detector (no network access)");
    const info = await detector.getEnvironmentVersion({ useCache });
    this.store.recordVersionCheck(this.environment!.id);
    return info;
  }

  private storedVersionInfo(versionId: number): EnvironmentVersionInfo {
    const cached = this.versionInfoCache.get(versionId);
    if (cached) return cached;
    const store = this.store;
    const version = store.getVersion(versionId);
    if (!version) throw new NotSyncedError(`Version ${versionId} is no longer in the store`);
    const info = new EnvironmentVersionInfo({
      modules: store.getVersionModules(versionId).map((m) => new ModuleVersionInfo(m)),
      environmentId: this.environment?.id,
      modulesHash: version.modulesHash,
      versionHash: version.versionHash,
      applicationVersion: version.applicationVersion,
      applicationBuildVersion: version.applicationBuildVersion,
      platformVersion: version.platformVersion,
      computedAt: version.completedAt ?? version.firstSeenAt,
    });
    this.versionInfoCache.set(versionId, info);
    return info;
  }

  // -------------------------------------------------------------------------------------------
  // Reads

  /** Ranked, explained search over entities (and, via `kinds`, properties, enums, actions, labels). */
  async searchEntities(text: string, options: SearchOptions = {}): Promise<SearchResultPage> {
    const version = await this.servingVersion();
    const language = this.language(options.language);
    const result = this.engine!.search(version.id, text, { ...options, language });
    return {
      query: typeof text === "string" ? text : String(text ?? ""),
      terms: result.terms,
      hits: result.hits.map((hit) => ({
        kind: hit.kind,
        name: hit.name,
        ...(hit.memberName !== undefined ? { memberName: hit.memberName } : {}),
        ...(hit.ownerKind !== undefined ? { ownerKind: hit.ownerKind } : {}),
        reason: hit.reason,
        matchedField: hit.matchedField,
        matchedText: hit.matchedText,
        tier: hit.tier,
        score: hit.score,
        labelId: hit.labelId,
        labelText: hit.labelText,
      })),
      total: result.total,
      limit: result.limit,
      offset: result.offset,
      versionHash: version.hash,
    };
  }

  /** Actions (bound and unbound) whose name or entity matches `text`, with their definitions. */
  async searchActions(text: string, options: { limit?: number; offset?: number } = {}): Promise<ActionHit[]> {
    const version = await this.servingVersion();
    const result = this.engine!.search(version.id, text, { ...options, kinds: ["action"] });
    const entities = new Map<string, PublicEntity | undefined>();
    const hits: ActionHit[] = [];
    for (const hit of result.hits) {
      if (!entities.has(hit.name)) entities.set(hit.name, this.store.getPublicEntity(version.id, hit.name));
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
    const entityName = this.checkName("Data entity", name);
    const language = this.language(options.language);
    const entity = this.store.getDataEntity(version.id, entityName);
    if (!entity) {
      this.counter.notFound++;
      return undefined;
    }
    this.counter.localHits++;
    const texts = entity.labelId
      ? await this.labels!.resolve(version.id, [entity.labelId], language, { onFetchError: () => {} })
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
    const entityName = this.checkName("Public entity", name);
    const language = this.language(options.language);
    const viewKey = `p\u0000${version.id}\u0000${language}\u0000${entityName}`;
    const cached = this.views.get(viewKey) as PublicEntityView | undefined;
    if (cached) {
      this.counter.localHits++;
      return cached;
    }
    const store = this.store;
    const entity =
      store.getPublicEntity(version.id, entityName) ?? store.getPublicEntityBySetName(version.id, entityName);
    if (!entity) {
      this.counter.notFound++;
      return undefined;
    }
    this.counter.localHits++;
    const ids: string[] = [];
    if (entity.labelId) ids.push(entity.labelId);
    for (const p of entity.properties) if (p.labelId) ids.push(p.labelId);
    let complete = true;
    const texts = await this.labels!.resolve(version.id, ids, language, {
      onFetchError: () => {
        complete = false;
      },
    });
    const text = (id: string | null) => (id ? (texts.get(id) ?? null) : null);
    const view: PublicEntityView = {
      name: entity.name,
      entitySetName: entity.entitySetName,
      labelId: entity.labelId,
      labelText: text(entity.labelId),
      isReadOnly: entity.isReadOnly,
      configurationEnabled: entity.configurationEnabled,
      properties: entity.properties.map((p) => ({ ...p, labelText: text(p.labelId) })),
      navigationProperties: entity.navigationProperties,
      propertyGroups: entity.propertyGroups,
      actions: entity.actions,
      language,
    };
    // A view whose missing labels could not be fetched is not kept: a later call may complete it.
    if (complete && this.views.capacity > 0) this.views.set(viewKey, deepFreeze(view));
    return view;
  }

  /** An enumeration by name, with the label texts of it and its members. */
  async getEnumeration(
    name: string,
    options: { language?: string } = {},
  ): Promise<EnumerationView | undefined> {
    const version = await this.servingVersion();
    const enumName = this.checkName("Enumeration", name);
    const language = this.language(options.language);
    const viewKey = `e\u0000${version.id}\u0000${language}\u0000${enumName}`;
    const cached = this.views.get(viewKey) as EnumerationView | undefined;
    if (cached) {
      this.counter.localHits++;
      return cached;
    }
    const enumeration = this.store.getEnumeration(version.id, enumName);
    if (!enumeration) {
      this.counter.notFound++;
      return undefined;
    }
    this.counter.localHits++;
    const ids: string[] = [];
    if (enumeration.labelId) ids.push(enumeration.labelId);
    for (const m of enumeration.members) if (m.labelId) ids.push(m.labelId);
    let complete = true;
    const texts = await this.labels!.resolve(version.id, ids, language, {
      onFetchError: () => {
        complete = false;
      },
    });
    const text = (id: string | null) => (id ? (texts.get(id) ?? null) : null);
    const view: EnumerationView = {
      name: enumeration.name,
      labelId: enumeration.labelId,
      labelText: text(enumeration.labelId),
      members: enumeration.members.map((m) => ({ ...m, labelText: text(m.labelId) })),
      language,
    };
    // A view whose missing labels could not be fetched is not kept: a later call may complete it.
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

  private side(baseUrl: string): EnvironmentSide {
    const url = normalizeEnvironmentUrl(baseUrl);
    const store = this.store;
    const env = store.findEnvironment(url);
    const version = env?.versionId != null ? store.getVersion(env.versionId) : undefined;
    if (version?.status !== "complete") {
      throw new NotSyncedError(
        `Environment ${url} has no synced metadata in ${store.location}; sync it first`,
      );
    }
    return {
      baseUrl: url,
      versionId: version.id,
      versionHash: version.versionHash,
      applicationVersion: version.applicationVersion,
      platformVersion: version.platformVersion,
      moduleCount: version.moduleCount,
    };
  }

  /**
   * How environment `b` differs from `a` (both synced into this store): modules added, removed
   * and changed, and public entities added, removed and changed (property by property). Only
   * entities whose content hash differs are loaded.
   */
  async compareEnvironments(a: string, b: string): Promise<EnvironmentComparison> {
    await this.initialize();
    const sideA = this.side(a);
    const sideB = this.side(b);
    const store = this.store;
    const sameVersion = sideA.versionId === sideB.versionId;
    const modules = sameVersion
      ? { added: [], removed: [], changed: [], unchangedCount: sideA.moduleCount }
      : diffModules(this.storedVersionInfo(sideA.versionId), this.storedVersionInfo(sideB.versionId));
    if (sameVersion) {
      const count = store.listPublicEntityNames(sideA.versionId).length;
      return {
        a: sideA,
        b: sideB,
        sameVersion,
        modules,
        publicEntities: { added: [], removed: [], changed: [], unchangedCount: count },
      };
    }
    const hashesA = store.getPublicEntityHashes(sideA.versionId);
    const hashesB = store.getPublicEntityHashes(sideB.versionId);
    const names = diffNames(hashesA.keys(), hashesB.keys());
    const changed: EntityChange[] = [];
    let unchangedCount = 0;
    for (const name of names.common) {
      if (hashesA.get(name) === hashesB.get(name)) {
        unchangedCount++;
        continue;
      }
      const entityA = store.getPublicEntity(sideA.versionId, name);
      const entityB = store.getPublicEntity(sideB.versionId, name);
      if (entityA && entityB) changed.push(diffPublicEntity(entityA, entityB));
    }
    return {
      a: sideA,
      b: sideB,
      sameVersion,
      modules,
      publicEntities: { added: names.added, removed: names.removed, changed, unchangedCount },
    };
  }

  /** Sharing and usage figures of the whole store plus this cache's lookups. */
  async getStatistics(): Promise<CacheStatistics> {
    await this.initialize();
    const store = this.store;
    return computeStatistics({
      environments: store.listEnvironments(),
      versions: store.listVersions(),
      footprint: store.getStorageFootprint(),
      lookups: this.counter.snapshot(),
    });
  }

  /** Removes versions no environment serves and unused for `retentionDays` (default: configured). */
  async cleanup(options: CleanupOptions = {}): Promise<CacheCleanupResult> {
    await this.initialize();
    const retentionDays = options.retentionDays ?? this.config.retentionDays;
    if (typeof retentionDays !== "number" || !Number.isFinite(retentionDays) || retentionDays < 0) {
      throw new ConfigurationError(`retentionDays must be a number ≥ 0, got ${String(retentionDays)}`);
    }
    const dryRun = options.dryRun ?? false;
    const cutoff = new Date(Date.now() - retentionDays * DAY_MS);
    const store = this.store;
    const hashes = new Map(store.listVersions().map((v) => [v.id, v.versionHash]));
    const result = store.cleanupVersions({ olderThan: cutoff, dryRun });
    if (!dryRun) for (const id of result.versionIds) this.versionInfoCache.delete(id);
    return {
      dryRun,
      cutoff,
      versionHashes: result.versionIds.map((id) => hashes.get(id) ?? String(id)),
      definitionsDeleted: result.definitionsDeleted,
      labelsDeleted: result.labelsDeleted,
    };
  }

  /** Closes the network services and, if this cache opened it, the store. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.initializing) await this.initializing.catch(() => undefined);
    try {
      await this.services.close?.();
    } finally {
      if (this.ownsStore) this.storeRef?.close();
      this.storeRef = undefined;
      this.ready = false;
    }
  }
}
