/**
 * SmartSyncManagerV2: brings an environment's metadata into the store.
 *
 * 1. Detect the environment's module set (GetInstalledModules + the two version actions).
 * 2. If a complete global version with that module set exists, link the environment to it and
 *    stop: nothing is downloaded and no metadata row is written.
 * 3. Otherwise take the version's sync lease (one downloader per module set, across processes),
 *    download the phases the version has not completed (data entities, public entities in
 *    `$top`/`$skip` windows, enumerations, then every referenced label), and publish it:
 *    `completeVersion` then `linkEnvironment`. Until then the environment serves its previous
 *    version. Every write is one store transaction, so a killed process leaves a consistent store
 *    and the next sync continues from what is stored.
 *
 * See docs/sync.md for the design and the measured figures.
 */
import { EventEmitter, setMaxListeners } from "node:events";
import {
  AbortedError,
  ConfigurationError,
  type D365Error,
  NetworkError,
  ProtocolError,
  ServerError,
  SyncInProgressError,
  ThrottledError,
  TimeoutError,
} from "../errors.js";
import { type Logger, silentLogger } from "../logging.js";
import type { DataEntity, Enumeration, Label, PublicEntity } from "../metadata/models.js";
import type { TransferCounters } from "../metadata/source.js";
import type {
  EnvironmentRecord,
  GlobalVersionRecord,
  MetadataStore,
  SyncPhase,
  WriteResult,
} from "../store/types.js";
import type { EnvironmentVersionInfo } from "../version/models.js";
import { chunksOf, publicEntityWindows, slices } from "./collections.js";
import { sameContent } from "./compare.js";
import { EnvironmentChangedError, SyncLeaseLostError } from "./errors.js";
import { fetchLabels } from "./labels.js";
import { createLeaseOwner, isLeaseOwnerDead, LeaseKeeper } from "./lease.js";
import { StepRateEstimator } from "./progress.js";
import {
  type SmartSyncManagerOptions,
  type StepTimings,
  SYNC_STEPS,
  type SyncOptions,
  type SyncOutcome,
  type SyncProgressEvent,
  type SyncResult,
  type SyncStep,
  type SyncStrategy,
} from "./types.js";

const STRATEGIES: readonly SyncStrategy[] = ["full", "entitiesOnly", "labelsOnly", "reverify"];
const ENTITY_PHASES: readonly SyncPhase[] = ["dataEntities", "publicEntities", "enumerations"];
const ALL_PHASES: readonly SyncPhase[] = [...ENTITY_PHASES, "labels"];

/** Per-sync state: counters baseline, timings, progress, the abort signal. */
interface RunContext {
  strategy: SyncStrategy;
  startedAt: number;
  signal: AbortSignal;
  languages: readonly string[];
  onProgress?: (event: SyncProgressEvent) => void;
  counterBase: TransferCounters;
  environment: EnvironmentRecord;
  version?: GlobalVersionRecord;
  phases: StepTimings;
  rowsWritten: number;
  labelsFetched: number;
  labelsNotFound: number;
  skippedPhases: string[];
  waitedMs: number;
  differences?: NonNullable<SyncResult["differences"]>;
  /** Public entities expected (from the data entities' `DataServiceEnabled` + public name), if known. */
  expectedPublicEntities: number | null;
}

/** Failures worth another attempt from the stored state (not bad input, auth, or cancellation). */
function isTransient(error: unknown): boolean {
  return (
    error instanceof NetworkError ||
    error instanceof TimeoutError ||
    error instanceof ServerError ||
    error instanceof ThrottledError ||
    error instanceof ProtocolError
  );
}

function emptyTimings(): StepTimings {
  return Object.fromEntries(SYNC_STEPS.map((s) => [s, 0])) as StepTimings;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Rejects as soon as `signal` aborts, for calls that take no signal themselves. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

export class SmartSyncManagerV2 extends EventEmitter<{ progress: [SyncProgressEvent] }> {
  readonly baseUrl: string;
  readonly languages: readonly string[];
  private readonly store: MetadataStore;
  private readonly source: SmartSyncManagerOptions["source"];
  private readonly detector: SmartSyncManagerOptions["detector"];
  private readonly logger: Logger;
  private readonly environmentName?: string;
  private readonly chunkSize: number;
  private readonly windowSize: number;
  private readonly windowsInFlight: number;
  private readonly labelChunkSize: number;
  private readonly labelConcurrency: number;
  private readonly leaseTtlMs: number;
  private readonly pollIntervalMs: number;
  private readonly verifyModulesBeforeComplete: boolean;
  private readonly phaseAttempts: number;
  private readonly extraCounters: SmartSyncManagerOptions["extraCounters"];

  constructor(options: SmartSyncManagerOptions) {
    super();
    if (!options?.store || !options.source || !options.detector) {
      throw new ConfigurationError("SmartSyncManagerV2 needs a store, a source and a detector");
    }
    const positive = (name: string, value: number | undefined, fallback: number) => {
      if (value === undefined) return fallback;
      if (!Number.isFinite(value) || value <= 0) {
        throw new ConfigurationError(`SmartSyncManagerV2 option ${name} must be a positive number`);
      }
      return Math.floor(value);
    };
    this.store = options.store;
    this.source = options.source;
    this.detector = options.detector;
    this.baseUrl = (options.baseUrl ?? options.source.baseUrl).replace(/\/+$/, "").toLowerCase();
    const languages = options.languages ?? ["en-US"];
    if (languages.length === 0 || languages.some((l) => typeof l !== "string" || l.trim() === "")) {
      throw new ConfigurationError("SmartSyncManagerV2 needs at least one label language");
    }
    this.languages = [...languages];
    this.logger = options.logger ?? silentLogger;
    this.environmentName = options.environmentName;
    this.chunkSize = positive("chunkSize", options.chunkSize, 200);
    this.windowSize = positive("windowSize", options.windowSize, 500);
    this.windowsInFlight = positive("windowsInFlight", options.windowsInFlight, 2);
    this.labelChunkSize = positive("labelChunkSize", options.labelChunkSize, 500);
    this.labelConcurrency = positive("labelConcurrency", options.labelConcurrency, 64);
    this.leaseTtlMs = positive("leaseTtlMs", options.leaseTtlMs, 30_000);
    this.pollIntervalMs = positive("pollIntervalMs", options.pollIntervalMs, 250);
    this.verifyModulesBeforeComplete = options.verifyModulesBeforeComplete ?? true;
    this.phaseAttempts = positive("phaseAttempts", options.phaseAttempts, 4);
    this.extraCounters = options.extraCounters ?? [];
  }

  /**
   * Links the environment to the complete version of its module set when one exists (at most the
   * three version-detection requests), otherwise downloads it (a `full` sync, resuming any
   * interrupted one).
   */
  syncIfNeeded(options: Omit<SyncOptions, "strategy"> = {}): Promise<SyncResult> {
    return this.sync({ ...options, strategy: "full" });
  }

  async sync(options: SyncOptions = {}): Promise<SyncResult> {
    const strategy = options.strategy ?? "full";
    if (!STRATEGIES.includes(strategy)) {
      throw new ConfigurationError(`Unknown sync strategy ${JSON.stringify(strategy)}`);
    }
    const languages = options.languages ?? this.languages;
    if (languages.length === 0) throw new ConfigurationError("A sync needs at least one label language");
    const controller = new AbortController();
    // Every request in flight (up to `labelConcurrency`) listens on this signal.
    setMaxListeners(0, controller.signal);
    const onUserAbort = () => controller.abort(options.signal?.reason);
    if (options.signal?.aborted) throw new AbortedError("The sync was aborted before it started");
    options.signal?.addEventListener("abort", onUserAbort, { once: true });
    let keeper: LeaseKeeper | undefined;
    const ctx: RunContext = {
      strategy,
      startedAt: performance.now(),
      signal: controller.signal,
      languages,
      onProgress: options.onProgress,
      counterBase: this.readCounters(),
      environment: undefined as unknown as EnvironmentRecord,
      phases: emptyTimings(),
      rowsWritten: 0,
      labelsFetched: 0,
      labelsNotFound: 0,
      skippedPhases: [],
      waitedMs: 0,
      expectedPublicEntities: null,
    };
    try {
      const info = await this.timed(ctx, "detect", () =>
        raceAbort(
          this.detector.getEnvironmentVersion({ useCache: options.useCachedVersion ?? false }),
          ctx.signal,
        ),
      );
      ctx.environment = this.store.ensureEnvironment(this.baseUrl, this.environmentName);
      this.store.recordVersionCheck(ctx.environment.id);
      const previousVersionId = ctx.environment.versionId;

      const existing = this.store.findVersionByModulesHash(info.modulesHash);
      if (existing?.status === "complete" && (strategy === "full" || strategy === "entitiesOnly")) {
        return this.linkExisting(ctx, existing, previousVersionId);
      }
      const { version } = this.store.getOrCreateVersion(info, ctx.environment.id);
      ctx.version = version;

      const owner = createLeaseOwner();
      const acquired = await this.acquireLease(ctx, version.id, owner, options);
      if (acquired === "complete") {
        // Another process finished this version while we waited.
        return this.linkExisting(ctx, this.store.getVersion(version.id)!, previousVersionId);
      }
      keeper = new LeaseKeeper(this.store, version.id, owner, this.leaseTtlMs, () =>
        controller.abort(new SyncLeaseLostError(version.id)),
      );
      keeper.start();
      // Re-read under the lease: the previous holder may have completed it just before.
      const current = this.store.getVersion(version.id)!;
      ctx.version = current;
      if (current.status === "complete" && (strategy === "full" || strategy === "entitiesOnly")) {
        keeper.release();
        keeper = undefined;
        return this.linkExisting(ctx, current, previousVersionId);
      }

      const outcome = await this.runPhases(ctx, current);
      await this.finalize(ctx, current, info, keeper);
      keeper.release();
      keeper = undefined;
      const { changed } =
        this.store.getVersion(current.id)?.status === "complete"
          ? this.store.linkEnvironment(ctx.environment.id, current.id)
          : { changed: false };
      const durationMs = performance.now() - ctx.startedAt;
      this.store.recordSync(ctx.environment.id, Math.round(durationMs));
      this.logger.info(
        { environmentId: ctx.environment.id, versionId: current.id, outcome, changed, durationMs },
        "sync finished",
      );
      return this.result(ctx, outcome, current, previousVersionId, false);
    } catch (error) {
      throw this.translateError(error, ctx);
    } finally {
      keeper?.release();
      options.signal?.removeEventListener("abort", onUserAbort);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Sharing and the lease

  private linkExisting(
    ctx: RunContext,
    version: GlobalVersionRecord,
    previousVersionId: number | null,
  ): SyncResult {
    const { changed } = this.store.linkEnvironment(ctx.environment.id, version.id);
    const durationMs = performance.now() - ctx.startedAt;
    this.store.recordSync(ctx.environment.id, Math.round(durationMs));
    const outcome: SyncOutcome = changed ? "shared" : "upToDate";
    ctx.skippedPhases.push(...ALL_PHASES);
    this.logger.info(
      { environmentId: ctx.environment.id, versionId: version.id, outcome },
      "environment linked to a complete version",
    );
    return this.result(ctx, outcome, version, previousVersionId, true);
  }

  /**
   * Takes the version's lease, waiting while another live process holds it. Returns `complete`
   * when the version became complete while waiting (only for strategies that stop there).
   */
  private async acquireLease(
    ctx: RunContext,
    versionId: number,
    owner: string,
    options: SyncOptions,
  ): Promise<"acquired" | "complete"> {
    const stopsWhenComplete = ctx.strategy === "full" || ctx.strategy === "entitiesOnly";
    const waitStarted = performance.now();
    let announced = false;
    for (;;) {
      if (this.store.tryAcquireSyncLease(versionId, owner, this.leaseTtlMs)) {
        ctx.waitedMs += performance.now() - waitStarted;
        return "acquired";
      }
      const lease = this.store.getSyncLease(versionId);
      if (lease && isLeaseOwnerDead(lease.owner)) {
        // Its owner was killed on this machine: take over now instead of after the TTL.
        this.logger.warn({ versionId }, "taking over the sync lease of a process that no longer runs");
        this.store.releaseSyncLease(versionId, lease.owner);
        continue;
      }
      if (options.wait === false) {
        throw new SyncInProgressError(
          `Another process is syncing this environment's version (${ctx.version?.versionHash ?? versionId}); try again later or wait for it`,
        );
      }
      const waited = performance.now() - waitStarted;
      if (options.waitTimeoutMs !== undefined && waited >= options.waitTimeoutMs) {
        throw new SyncInProgressError(
          `Another process is still syncing this environment's version after waiting ${Math.round(waited)} ms`,
        );
      }
      if (!announced) {
        announced = true;
        this.logger.info({ versionId }, "waiting for another process that syncs the same version");
      }
      this.emitProgress(ctx, {
        step: "detect",
        done: 0,
        total: null,
        estimator: null,
        waiting: true,
      });
      await sleep(this.pollIntervalMs, ctx.signal);
      if (stopsWhenComplete && this.store.getVersion(versionId)?.status === "complete") {
        ctx.waitedMs += performance.now() - waitStarted;
        return "complete";
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Phases

  private async runPhases(ctx: RunContext, version: GlobalVersionRecord): Promise<SyncOutcome> {
    const state = this.store.getSyncState(version.id);
    const completed = new Set(state.completedPhases);
    const hasStoredWork =
      completed.size > 0 ||
      state.dataEntityCount > 0 ||
      state.publicEntityCount > 0 ||
      state.enumerationCount > 0 ||
      Object.values(state.labelCounts).some((n) => n > 0);

    if (ctx.strategy === "reverify" && version.status === "complete") {
      await this.reverify(ctx, version.id);
      return "reverified";
    }
    if (ctx.strategy === "labelsOnly") {
      const missing = ENTITY_PHASES.filter((p) => !completed.has(p));
      if (missing.length > 0) {
        throw new ConfigurationError(
          `labelsOnly needs the version's entities first (missing phases: ${missing.join(", ")}); run a full or entitiesOnly sync`,
        );
      }
      ctx.skippedPhases.push(...ENTITY_PHASES);
      await this.timed(ctx, "labels", () => this.syncLabels(ctx, version.id));
      if (!completed.has("labels")) this.store.markPhaseComplete(version.id, "labels");
      return "partial";
    }

    for (const phase of ENTITY_PHASES) {
      if (completed.has(phase)) {
        ctx.skippedPhases.push(phase);
        continue;
      }
      await this.timed(ctx, phase, () => this.syncCollection(ctx, version.id, phase));
      this.store.markPhaseComplete(version.id, phase);
    }
    if (ctx.strategy === "entitiesOnly") {
      ctx.skippedPhases.push("labels");
      return "partial";
    }
    if (completed.has("labels")) {
      ctx.skippedPhases.push("labels");
    } else {
      await this.timed(ctx, "labels", () => this.syncLabels(ctx, version.id));
      this.store.markPhaseComplete(version.id, "labels");
    }
    return hasStoredWork ? "resumed" : "synced";
  }

  /**
   * Runs a phase, and when it fails with a transient error the HTTP client's own retries could
   * not hide (a body cut off mid-stream cannot be retried per request once items were yielded),
   * runs it again from what is stored: the same resume path a restarted process takes.
   */
  private async withResume(ctx: RunContext, step: SyncStep, body: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await body();
        return;
      } catch (error) {
        if (ctx.signal.aborted || attempt >= this.phaseAttempts || !isTransient(error)) throw error;
        this.logger.warn(
          { step, attempt, err: { code: (error as D365Error).code, message: (error as Error).message } },
          "transient failure; resuming the step from what is stored",
        );
      }
    }
  }

  private syncCollection(ctx: RunContext, versionId: number, phase: SyncPhase): Promise<void> {
    return this.withResume(ctx, phase as SyncStep, () => this.syncCollectionOnce(ctx, versionId, phase));
  }

  private async syncCollectionOnce(ctx: RunContext, versionId: number, phase: SyncPhase): Promise<void> {
    const state = this.store.getSyncState(versionId);
    const step = phase as SyncStep;
    if (phase === "publicEntities") {
      const startSkip = state.publicEntityCount;
      const estimator = new StepRateEstimator(performance.now(), startSkip);
      const total = ctx.expectedPublicEntities;
      let done = startSkip;
      this.emitProgress(ctx, { step, done, total, estimator });
      for await (const window of publicEntityWindows(this.source, {
        startSkip,
        windowSize: this.windowSize,
        inFlight: this.windowsInFlight,
        signal: ctx.signal,
      })) {
        for (const chunk of slices(window.entities, this.chunkSize)) {
          this.throwIfAborted(ctx);
          this.count(ctx, this.store.writePublicEntities(versionId, chunk));
          done += chunk.length;
          this.emitProgress(ctx, { step, done, total, estimator });
        }
      }
      const stored = this.store.getSyncState(versionId).publicEntityCount;
      if (stored !== done) {
        this.logger.warn(
          { versionId, stored, received: done },
          "public entity count differs from what was received (duplicate names in the collection?)",
        );
      }
      this.emitProgress(ctx, { step, done, total: done, estimator, stepDone: true });
      return;
    }

    // Data entities and enumerations are one request each: resume with `$skip` over what is stored.
    const startSkip = phase === "dataEntities" ? state.dataEntityCount : state.enumerationCount;
    const estimator = new StepRateEstimator(performance.now(), startSkip);
    let done = startSkip;
    let expectedPublic = 0;
    this.emitProgress(ctx, { step, done, total: null, estimator });
    const request = { signal: ctx.signal, ...(startSkip > 0 ? { skip: startSkip } : {}) };
    const stream: AsyncIterable<DataEntity | Enumeration> =
      phase === "dataEntities" ? this.source.dataEntities(request) : this.source.enumerations(request);
    for await (const chunk of chunksOf(stream, this.chunkSize)) {
      this.throwIfAborted(ctx);
      if (phase === "dataEntities") {
        const entities = chunk as DataEntity[];
        this.count(ctx, this.store.writeDataEntities(versionId, entities));
        for (const e of entities) if (e.dataServiceEnabled && e.publicEntityName) expectedPublic++;
      } else {
        this.count(ctx, this.store.writeEnumerations(versionId, chunk as Enumeration[]));
      }
      done += chunk.length;
      this.emitProgress(ctx, { step, done, total: null, estimator });
    }
    if (phase === "dataEntities" && startSkip === 0) ctx.expectedPublicEntities = expectedPublic;
    this.emitProgress(ctx, { step, done, total: done, estimator, stepDone: true });
  }

  private syncLabels(ctx: RunContext, versionId: number): Promise<void> {
    return this.withResume(ctx, "labels", () => this.syncLabelsOnce(ctx, versionId));
  }

  /** Every label the version's definitions use and the store lacks, per language. */
  private async syncLabelsOnce(ctx: RunContext, versionId: number): Promise<void> {
    const missingByLanguage = ctx.languages.map((language) => ({
      language,
      ids: this.store.listMissingLabelIds(versionId, language),
    }));
    const total = missingByLanguage.reduce((n, m) => n + m.ids.length, 0);
    const estimator = new StepRateEstimator(performance.now());
    let done = 0;
    this.emitProgress(ctx, { step: "labels", done, total, estimator });
    for (const { language, ids } of missingByLanguage) {
      if (ids.length === 0) continue;
      const onChunk = (labels: Label[], notFound: number) => {
        this.throwIfAborted(ctx);
        if (labels.length > 0) this.count(ctx, this.store.writeLabels(versionId, labels));
        done += labels.length + notFound;
        this.emitProgress(ctx, { step: "labels", done, total, estimator });
      };
      const result = await fetchLabels(this.source, ids, {
        language,
        signal: ctx.signal,
        concurrency: this.labelConcurrency,
        chunkSize: this.labelChunkSize,
        onChunk,
      });
      ctx.labelsFetched += result.fetched;
      ctx.labelsNotFound += result.notFound;
      if (result.notFound > 0) {
        this.logger.info(
          { versionId, language, notFound: result.notFound },
          "labels the service does not know",
        );
      }
    }
    this.emitProgress(ctx, { step: "labels", done, total, estimator, stepDone: true });
  }

  /**
   * Downloads the complete version again and writes only definitions and label texts that differ
   * from what is stored (the store keeps one copy per content hash, so unchanged content costs no
   * rows).
   */
  private async reverify(ctx: RunContext, versionId: number): Promise<void> {
    const differences = { dataEntities: 0, publicEntities: 0, enumerations: 0, labels: 0 };
    ctx.differences = differences;
    const compareCollection = async <T extends { name: string }>(
      step: SyncStep,
      stream: AsyncIterable<T>,
      stored: (name: string) => T | undefined,
      write: (items: T[]) => WriteResult,
      key: keyof typeof differences,
    ) => {
      const estimator = new StepRateEstimator(performance.now());
      let done = 0;
      for await (const chunk of chunksOf(stream, this.chunkSize)) {
        this.throwIfAborted(ctx);
        const changed = chunk.filter((item) => !sameContent(item, stored(item.name)));
        if (changed.length > 0) {
          differences[key] += changed.length;
          this.count(ctx, write(changed));
        }
        done += chunk.length;
        this.emitProgress(ctx, { step, done, total: null, estimator });
      }
      this.emitProgress(ctx, { step, done, total: done, estimator, stepDone: true });
    };
    const signal = ctx.signal;
    await this.timed(ctx, "dataEntities", () =>
      compareCollection(
        "dataEntities",
        this.source.dataEntities({ signal }),
        (n) => this.store.getDataEntity(versionId, n),
        (items) => this.store.writeDataEntities(versionId, items),
        "dataEntities",
      ),
    );
    await this.timed(ctx, "publicEntities", async () => {
      const estimator = new StepRateEstimator(performance.now());
      let done = 0;
      for await (const window of publicEntityWindows(this.source, {
        startSkip: 0,
        windowSize: this.windowSize,
        inFlight: this.windowsInFlight,
        signal,
      })) {
        const changed: PublicEntity[] = window.entities.filter(
          (e) => !sameContent(e, this.store.getPublicEntity(versionId, e.name)),
        );
        for (const chunk of slices(changed, this.chunkSize)) {
          this.throwIfAborted(ctx);
          differences.publicEntities += chunk.length;
          this.count(ctx, this.store.writePublicEntities(versionId, chunk));
        }
        done += window.entities.length;
        this.emitProgress(ctx, { step: "publicEntities", done, total: null, estimator });
      }
    });
    await this.timed(ctx, "enumerations", () =>
      compareCollection(
        "enumerations",
        this.source.enumerations({ signal }),
        (n) => this.store.getEnumeration(versionId, n),
        (items) => this.store.writeEnumerations(versionId, items),
        "enumerations",
      ),
    );
    await this.timed(ctx, "labels", async () => {
      const ids = this.store.listReferencedLabelIds(versionId);
      const estimator = new StepRateEstimator(performance.now());
      const total = ids.length * ctx.languages.length;
      let done = 0;
      for (const language of ctx.languages) {
        const result = await fetchLabels(this.source, ids, {
          language,
          signal,
          concurrency: this.labelConcurrency,
          chunkSize: this.labelChunkSize,
          onChunk: (labels, notFound) => {
            this.throwIfAborted(ctx);
            const stored = this.store.getLabels(
              versionId,
              labels.map((l) => l.id),
              language,
            );
            const changed = labels.filter((l) => stored.get(l.id) !== l.value);
            if (changed.length > 0) {
              differences.labels += changed.length;
              this.count(ctx, this.store.writeLabels(versionId, changed));
            }
            done += labels.length + notFound;
            this.emitProgress(ctx, { step: "labels", done, total, estimator });
          },
        });
        ctx.labelsFetched += result.fetched;
        ctx.labelsNotFound += result.notFound;
      }
    });
  }

  /**
   * Publishes the version: checks the environment still runs the module set we downloaded, that
   * we still own the lease, then `completeVersion` (one transaction). Linking follows in `sync`.
   */
  private async finalize(
    ctx: RunContext,
    version: GlobalVersionRecord,
    info: EnvironmentVersionInfo,
    keeper: LeaseKeeper,
  ): Promise<void> {
    await this.timed(ctx, "finalize", async () => {
      const state = this.store.getSyncState(version.id);
      const entitiesDone = ENTITY_PHASES.every((p) => state.completedPhases.includes(p));
      const publishable =
        version.status !== "complete" &&
        entitiesDone &&
        (ctx.strategy === "entitiesOnly" || state.completedPhases.includes("labels"));
      if (!publishable) return;
      if (this.verifyModulesBeforeComplete) {
        const now = await raceAbort(this.detector.getEnvironmentVersion({ useCache: false }), ctx.signal);
        if (now.modulesHash !== info.modulesHash) {
          // What we stored may mix two releases: forget it all so the version is rebuilt cleanly.
          for (const phase of ALL_PHASES) this.store.resetPhase(version.id, phase);
          throw new EnvironmentChangedError(info.modulesHash, now.modulesHash);
        }
      }
      if (!keeper.renew()) throw new SyncLeaseLostError(version.id);
      this.throwIfAborted(ctx);
      this.store.completeVersion(version.id);
      this.emitProgress(ctx, { step: "finalize", done: 1, total: 1, estimator: null, stepDone: true });
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Bookkeeping

  private async timed<T>(ctx: RunContext, step: SyncStep, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      ctx.phases[step] += performance.now() - started;
    }
  }

  private count(ctx: RunContext, result: WriteResult): void {
    ctx.rowsWritten += result.rowsWritten;
  }

  private throwIfAborted(ctx: RunContext): void {
    if (ctx.signal.aborted) throw ctx.signal.reason;
  }

  private readCounters(): TransferCounters {
    const total: TransferCounters = { requests: 0, bytesReceived: 0, throttled: 0, retries: 0 };
    for (const source of [this.source, ...(this.extraCounters ?? [])]) {
      const c = source.counters();
      total.requests += c.requests;
      total.bytesReceived += c.bytesReceived;
      total.throttled += c.throttled;
      total.retries += c.retries;
    }
    return total;
  }

  private transferSince(ctx: RunContext): { requests: number; bytesReceived: number } {
    const now = this.readCounters();
    return {
      requests: now.requests - ctx.counterBase.requests,
      bytesReceived: now.bytesReceived - ctx.counterBase.bytesReceived,
    };
  }

  private emitProgress(
    ctx: RunContext,
    event: {
      step: SyncStep;
      done: number;
      total: number | null;
      estimator: StepRateEstimator | null;
      stepDone?: boolean;
      waiting?: boolean;
    },
  ): void {
    if (!ctx.onProgress && this.listenerCount("progress") === 0) return;
    const now = performance.now();
    const total = event.total !== null && event.total >= event.done ? event.total : null;
    const estimate = event.estimator?.estimate(event.done, total, now) ?? { ratePerSecond: 0, etaMs: null };
    const transfer = this.transferSince(ctx);
    const payload: SyncProgressEvent = {
      environmentId: ctx.environment?.id ?? 0,
      versionId: ctx.version?.id ?? 0,
      step: event.step,
      done: event.done,
      total,
      bytesReceived: transfer.bytesReceived,
      requests: transfer.requests,
      ratePerSecond: Math.round(estimate.ratePerSecond * 10) / 10,
      etaMs: estimate.etaMs,
      elapsedMs: Math.round(now - ctx.startedAt),
      ...(event.stepDone ? { stepDone: true } : {}),
      ...(event.waiting ? { waiting: true } : {}),
    };
    try {
      ctx.onProgress?.(payload);
    } catch (error) {
      this.logger.warn({ err: error }, "onProgress callback threw; ignored");
    }
    this.emit("progress", payload);
  }

  private result(
    ctx: RunContext,
    outcome: SyncOutcome,
    version: GlobalVersionRecord,
    previousVersionId: number | null,
    shared: boolean,
  ): SyncResult {
    const transfer = this.transferSince(ctx);
    return {
      strategy: ctx.strategy,
      outcome,
      environmentId: ctx.environment.id,
      versionId: version.id,
      versionHash: version.versionHash,
      modulesHash: version.modulesHash,
      previousVersionId,
      shared,
      resumed: outcome === "resumed",
      skippedPhases: [...new Set(ctx.skippedPhases)],
      requests: transfer.requests,
      bytesReceived: transfer.bytesReceived,
      metadataRowsWritten: ctx.rowsWritten,
      labelsFetched: ctx.labelsFetched,
      labelsNotFound: ctx.labelsNotFound,
      ...(ctx.differences ? { differences: ctx.differences } : {}),
      waitedMs: Math.round(ctx.waitedMs),
      durationMs: Math.round(performance.now() - ctx.startedAt),
      phases: Object.fromEntries(
        Object.entries(ctx.phases).map(([k, v]) => [k, Math.round(v)]),
      ) as StepTimings,
    };
  }

  /** Cancellation and lease loss surface as typed errors; everything else passes through. */
  private translateError(error: unknown, ctx: RunContext): unknown {
    const reason = ctx.signal.reason;
    if (ctx.signal.aborted) {
      if (reason instanceof SyncLeaseLostError) return reason;
      if (error instanceof AbortedError) return error;
      return new AbortedError("The sync was aborted; the next sync resumes from what was stored", {
        cause: error,
      });
    }
    return error;
  }
}
