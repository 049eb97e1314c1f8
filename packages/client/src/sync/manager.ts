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
 * This file is the orchestration (sharing, the lease, publishing, bookkeeping); the download
 * phases are in phases.ts, the `reverify` strategy in reverify.ts, per-sync state in run.ts.
 * See docs/sync.md for the design and the measured figures.
 */
import { EventEmitter, setMaxListeners } from "node:events";
import { AbortedError, CacheError, ConfigurationError } from "../errors.js";
import { type Logger, silentLogger } from "../logging.js";
import type { TransferCounters } from "../metadata/source.js";
import type { EnvironmentRecord, GlobalVersionRecord, MetadataStore } from "../store/types.js";
import type { EnvironmentVersionInfo } from "../version/models.js";
import { EarlyLabels } from "./early-labels.js";
import { EnvironmentChangedError, SyncLeaseLostError } from "./errors.js";
import { findLiveVersion } from "./imported.js";
import { createLeaseOwner, LeaseKeeper } from "./lease.js";
import { acquireVersionLease, type LeaseWaitDeps } from "./lease-wait.js";
import { syncCollection, syncLabels } from "./phases.js";
import { assertPlausible } from "./plausibility.js";
import { reverify } from "./reverify.js";
import {
  ALL_PHASES,
  countWrite,
  ENTITY_PHASES,
  emptyTimings,
  type PhaseDeps,
  type ProgressUpdate,
  progressEvent,
  type RunContext,
  raceAbort,
  sumCounters,
  syncResult,
  throwIfAborted,
  timed,
  transferSince,
  translateAbort,
} from "./run.js";
import type {
  SmartSyncManagerOptions,
  SyncOptions,
  SyncOutcome,
  SyncProgressEvent,
  SyncResult,
  SyncStrategy,
} from "./types.js";

const STRATEGIES: readonly SyncStrategy[] = ["full", "entitiesOnly", "labelsOnly", "reverify"];

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
  /** What the phases (phases.ts, reverify.ts) use of this manager. */
  private readonly phaseDeps: PhaseDeps;
  private readonly leaseWait: LeaseWaitDeps;

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
    this.phaseDeps = {
      store: this.store,
      source: this.source,
      logger: this.logger,
      chunkSize: this.chunkSize,
      windowSize: this.windowSize,
      windowsInFlight: this.windowsInFlight,
      labelChunkSize: this.labelChunkSize,
      labelConcurrency: this.labelConcurrency,
      phaseAttempts: this.phaseAttempts,
      timed,
      count: countWrite,
      throwIfAborted,
      emitProgress: (ctx, update) => this.emitProgress(ctx, update),
    };
    this.leaseWait = {
      store: this.store,
      logger: this.logger,
      leaseTtlMs: this.leaseTtlMs,
      pollIntervalMs: this.pollIntervalMs,
      emitProgress: (ctx, update) => this.emitProgress(ctx, update),
    };
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
      counterBase: sumCounters(this.counterSources()),
      environment: undefined as unknown as EnvironmentRecord,
      phases: emptyTimings(),
      rowsWritten: 0,
      labelsFetched: 0,
      labelsNotFound: 0,
      labelsUnresolved: 0,
      force: options.force === true,
      skippedPhases: [],
      waitedMs: 0,
      expectedPublicEntities: null,
    };
    try {
      const info = await timed(ctx, "detect", () =>
        raceAbort(
          this.detector.getEnvironmentVersion({ useCache: options.useCachedVersion ?? false }),
          ctx.signal,
        ),
      );
      ctx.environment = await this.store.ensureEnvironment(this.baseUrl, this.environmentName);
      await this.store.recordVersionCheck(ctx.environment.id);
      const previousVersionId = ctx.environment.versionId;

      const existing = await findLiveVersion(this.store, info, this.logger);
      // An imported version that looks silently incomplete is re-verified, not trusted.
      if (
        existing?.status === "complete" &&
        existing.trust === "needsReverification" &&
        strategy === "full"
      ) {
        ctx.strategy = "reverify";
      }
      if (existing?.status === "complete" && (ctx.strategy === "full" || ctx.strategy === "entitiesOnly")) {
        return await this.linkExisting(ctx, existing, previousVersionId);
      }
      const { version } = await this.store.getOrCreateVersion(info, ctx.environment.id);
      ctx.version = version;

      const owner = createLeaseOwner();
      const acquired = await acquireVersionLease(this.leaseWait, ctx, version.id, owner, options);
      if (acquired === "complete") {
        // Another process finished this version while we waited.
        const completed = await this.store.getVersion(version.id);
        if (!completed)
          throw new CacheError(`Version ${version.id} disappeared from the store while waiting for its sync`);
        return await this.linkExisting(ctx, completed, previousVersionId);
      }
      keeper = new LeaseKeeper(this.store, version.id, owner, this.leaseTtlMs, () =>
        controller.abort(new SyncLeaseLostError(version.id)),
      );
      keeper.start();
      // Re-read under the lease: the previous holder may have completed it just before.
      const current = (await this.store.getVersion(version.id)) ?? version;
      ctx.version = current;
      if (current.status === "complete" && (ctx.strategy === "full" || ctx.strategy === "entitiesOnly")) {
        await keeper.release();
        keeper = undefined;
        return await this.linkExisting(ctx, current, previousVersionId);
      }

      const outcome = await this.runPhases(ctx, current);
      await this.finalize(ctx, current, info, keeper);
      if (outcome === "reverified" && current.trust !== "verified") {
        await this.store.setVersionTrust(current.id, "verified");
      }
      await keeper.release();
      keeper = undefined;
      const { changed } =
        (await this.store.getVersion(current.id))?.status === "complete"
          ? await this.store.linkEnvironment(ctx.environment.id, current.id)
          : { changed: false };
      const durationMs = performance.now() - ctx.startedAt;
      await this.store.recordSync(ctx.environment.id, Math.round(durationMs));
      this.logger.info(
        { environmentId: ctx.environment.id, versionId: current.id, outcome, changed, durationMs },
        "sync finished",
      );
      return this.result(ctx, outcome, current, previousVersionId, false);
    } catch (error) {
      throw translateAbort(error, ctx);
    } finally {
      await keeper?.release();
      options.signal?.removeEventListener("abort", onUserAbort);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Sharing and the lease

  private async linkExisting(
    ctx: RunContext,
    version: GlobalVersionRecord,
    previousVersionId: number | null,
  ): Promise<SyncResult> {
    const { changed } = await this.store.linkEnvironment(ctx.environment.id, version.id);
    const durationMs = performance.now() - ctx.startedAt;
    await this.store.recordSync(ctx.environment.id, Math.round(durationMs));
    const outcome: SyncOutcome = changed ? "shared" : "upToDate";
    ctx.skippedPhases.push(...ALL_PHASES);
    this.logger.info(
      { environmentId: ctx.environment.id, versionId: version.id, outcome },
      "environment linked to a complete version",
    );
    // `shared` means this sync took another's download; an environment already linked to the
    // version was simply up to date.
    return this.result(ctx, outcome, version, previousVersionId, changed);
  }

  // ---------------------------------------------------------------------------------------------
  // Phases

  private async runPhases(ctx: RunContext, version: GlobalVersionRecord): Promise<SyncOutcome> {
    const state = await this.store.getSyncState(version.id);
    const completed = new Set(state.completedPhases);
    const hasStoredWork =
      completed.size > 0 ||
      state.dataEntityCount > 0 ||
      state.publicEntityCount > 0 ||
      state.enumerationCount > 0 ||
      Object.values(state.labelCounts).some((n) => n > 0);

    if (ctx.strategy === "reverify" && version.status === "complete") {
      await reverify(this.phaseDeps, ctx, version.id);
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
      await timed(ctx, "labels", () => syncLabels(this.phaseDeps, ctx, version.id));
      if (!completed.has("labels")) await this.store.markPhaseComplete(version.id, "labels");
      return "partial";
    }

    // Labels resolve while the entity phases download (one request budget); the phase is still
    // complete only after a last pass over everything stored.
    const early =
      ctx.strategy !== "entitiesOnly" && !completed.has("labels")
        ? new EarlyLabels(this.phaseDeps, ctx, version.id)
        : undefined;
    const labelsStarted = performance.now();
    if (early) {
      ctx.onDefinitionsStored = () => early.notify();
      early.start();
    }
    try {
      for (const phase of ENTITY_PHASES) {
        if (completed.has(phase)) {
          ctx.skippedPhases.push(phase);
          continue;
        }
        await timed(ctx, phase, () => syncCollection(this.phaseDeps, ctx, version.id, phase));
        await this.store.markPhaseComplete(version.id, phase);
      }
    } catch (error) {
      await early?.abandon();
      throw error;
    } finally {
      ctx.onDefinitionsStored = undefined;
    }
    if (!early) {
      ctx.skippedPhases.push("labels");
      return ctx.strategy === "entitiesOnly" ? "partial" : hasStoredWork ? "resumed" : "synced";
    }
    try {
      await early.finish();
    } finally {
      // Wall time from the first label pass to the last: it overlaps the entity phases.
      ctx.phases.labels += performance.now() - labelsStarted;
    }
    await this.store.markPhaseComplete(version.id, "labels");
    return hasStoredWork ? "resumed" : "synced";
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
    await timed(ctx, "finalize", async () => {
      const state = await this.store.getSyncState(version.id);
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
          for (const phase of ALL_PHASES) await this.store.resetPhase(version.id, phase);
          throw new EnvironmentChangedError(info.modulesHash, now.modulesHash);
        }
      }
      await this.assertPlausible(ctx, version);
      if (!(await keeper.renew())) throw new SyncLeaseLostError(version.id);
      throwIfAborted(ctx);
      await this.store.completeVersion(version.id);
      this.emitProgress(ctx, { step: "finalize", done: 1, total: 1, estimator: null, stepDone: true });
    });
  }

  /**
   * Refuses to publish implausible counts (plausibility.ts), compared with the version the
   * environment serves now: that version stays linked and served.
   */
  private async assertPlausible(ctx: RunContext, version: GlobalVersionRecord): Promise<void> {
    if (ctx.force) return;
    const counts = await this.store.getCounts(version.id);
    const previousId = ctx.environment.versionId;
    const previous =
      previousId !== null && previousId !== version.id ? await this.store.getCounts(previousId) : undefined;
    assertPlausible(counts, previous);
  }

  // ---------------------------------------------------------------------------------------------
  // Bookkeeping

  private counterSources(): { counters(): TransferCounters }[] {
    return [this.source, ...(this.extraCounters ?? [])];
  }

  private emitProgress(ctx: RunContext, event: ProgressUpdate): void {
    if (!ctx.onProgress && this.listenerCount("progress") === 0) return;
    const payload = progressEvent(
      ctx,
      event,
      transferSince(ctx, sumCounters(this.counterSources())),
      performance.now(),
      this.source.throttling?.(),
    );
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
    return syncResult(
      ctx,
      { outcome, version, previousVersionId, shared },
      transferSince(ctx, sumCounters(this.counterSources())),
    );
  }
}
