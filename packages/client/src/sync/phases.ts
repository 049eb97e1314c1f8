/**
 * The download phases of a sync: data entities, public entities (in `$top`/`$skip` windows) and
 * enumerations, then the labels the version's definitions reference. Each resumes from what is
 * stored, so a transient failure (or a killed process) continues where the last write committed.
 */
import type { D365Error } from "../errors.js";
import type { DataEntity, Enumeration, Label } from "../metadata/models.js";
import type { SyncPhase } from "../store/types.js";
import { chunksOf, publicEntityWindows, slices } from "./collections.js";
import { fetchLabels } from "./labels.js";
import { StepRateEstimator } from "./progress.js";
import { isTransient, type PhaseDeps, type RunContext } from "./run.js";
import type { SyncStep } from "./types.js";

/**
 * Runs a phase, and when it fails with a transient error the HTTP client's own retries could
 * not hide (a body cut off mid-stream cannot be retried per request once items were yielded),
 * runs it again from what is stored: the same resume path a restarted process takes.
 */
async function withResume(
  deps: PhaseDeps,
  ctx: RunContext,
  step: SyncStep,
  body: () => Promise<void>,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await body();
      return;
    } catch (error) {
      if (ctx.signal.aborted || attempt >= deps.phaseAttempts || !isTransient(error)) throw error;
      deps.logger.warn(
        { step, attempt, err: { code: (error as D365Error).code, message: (error as Error).message } },
        "transient failure; resuming the step from what is stored",
      );
    }
  }
}

export function syncCollection(
  deps: PhaseDeps,
  ctx: RunContext,
  versionId: number,
  phase: SyncPhase,
): Promise<void> {
  return withResume(deps, ctx, phase as SyncStep, () => syncCollectionOnce(deps, ctx, versionId, phase));
}

async function syncCollectionOnce(
  deps: PhaseDeps,
  ctx: RunContext,
  versionId: number,
  phase: SyncPhase,
): Promise<void> {
  const state = await deps.store.getSyncState(versionId);
  const step = phase as SyncStep;
  if (phase === "publicEntities") {
    const startSkip = state.publicEntityCount;
    const estimator = new StepRateEstimator(performance.now(), startSkip);
    const total = ctx.expectedPublicEntities;
    let done = startSkip;
    deps.emitProgress(ctx, { step, done, total, estimator });
    for await (const window of publicEntityWindows(deps.source, {
      startSkip,
      windowSize: deps.windowSize,
      inFlight: deps.windowsInFlight,
      signal: ctx.signal,
    })) {
      for (const chunk of slices(window.entities, deps.chunkSize)) {
        deps.throwIfAborted(ctx);
        deps.count(ctx, await deps.store.writePublicEntities(versionId, chunk));
        ctx.onDefinitionsStored?.();
        done += chunk.length;
        deps.emitProgress(ctx, { step, done, total, estimator });
      }
    }
    const stored = (await deps.store.getSyncState(versionId)).publicEntityCount;
    if (stored !== done) {
      deps.logger.warn(
        { versionId, stored, received: done },
        "public entity count differs from what was received (duplicate names in the collection?)",
      );
    }
    deps.emitProgress(ctx, { step, done, total: done, estimator, stepDone: true });
    return;
  }

  // Data entities and enumerations are one request each: resume with `$skip` over what is stored.
  const startSkip = phase === "dataEntities" ? state.dataEntityCount : state.enumerationCount;
  const estimator = new StepRateEstimator(performance.now(), startSkip);
  let done = startSkip;
  let expectedPublic = 0;
  deps.emitProgress(ctx, { step, done, total: null, estimator });
  const request = { signal: ctx.signal, ...(startSkip > 0 ? { skip: startSkip } : {}) };
  const stream: AsyncIterable<DataEntity | Enumeration> =
    phase === "dataEntities" ? deps.source.dataEntities(request) : deps.source.enumerations(request);
  for await (const chunk of chunksOf(stream, deps.chunkSize)) {
    deps.throwIfAborted(ctx);
    if (phase === "dataEntities") {
      const entities = chunk as DataEntity[];
      deps.count(ctx, await deps.store.writeDataEntities(versionId, entities));
      ctx.onDefinitionsStored?.();
      for (const e of entities) if (e.dataServiceEnabled && e.publicEntityName) expectedPublic++;
    } else {
      deps.count(ctx, await deps.store.writeEnumerations(versionId, chunk as Enumeration[]));
      ctx.onDefinitionsStored?.();
    }
    done += chunk.length;
    deps.emitProgress(ctx, { step, done, total: null, estimator });
  }
  if (phase === "dataEntities" && startSkip === 0) ctx.expectedPublicEntities = expectedPublic;
  deps.emitProgress(ctx, { step, done, total: done, estimator, stepDone: true });
}

/**
 * Label passes of one sync that overlap the entity phases (`early-labels.ts`): what was asked
 * already (a 404 is not asked twice), the step's progress so far, and a signal that stops them.
 */
export interface LabelPasses {
  asked: Map<string, Set<string>>;
  done: number;
  total: number;
  estimator: StepRateEstimator;
  signal: AbortSignal;
  /** The last pass: every definition is stored; it ends the step. */
  final: boolean;
}

export function syncLabels(
  deps: PhaseDeps,
  ctx: RunContext,
  versionId: number,
  passes?: LabelPasses,
): Promise<void> {
  return withResume(deps, ctx, "labels", () => syncLabelsOnce(deps, ctx, versionId, passes));
}

/** Every label the version's definitions use and the store lacks, per language. */
async function syncLabelsOnce(
  deps: PhaseDeps,
  ctx: RunContext,
  versionId: number,
  passes?: LabelPasses,
): Promise<void> {
  const missingByLanguage: { language: string; ids: string[] }[] = [];
  for (const language of ctx.languages) {
    let ids = await deps.store.listMissingLabelIds(versionId, language);
    const asked = passes?.asked.get(language);
    if (asked) ids = ids.filter((id) => !asked.has(id));
    missingByLanguage.push({ language, ids });
  }
  const found = missingByLanguage.reduce((n, m) => n + m.ids.length, 0);
  const estimator = passes?.estimator ?? new StepRateEstimator(performance.now());
  let done = passes?.done ?? 0;
  const total = (passes?.total ?? 0) + found;
  if (passes) passes.total = total;
  const ends = passes === undefined || passes.final;
  if (found > 0 || ends) deps.emitProgress(ctx, { step: "labels", done, total, estimator });
  for (const { language, ids } of missingByLanguage) {
    if (ids.length === 0) continue;
    const asked = passes && (passes.asked.get(language) ?? new Set<string>());
    if (passes && asked) {
      passes.asked.set(language, asked);
      for (const id of ids) asked.add(id);
    }
    const onChunk = async (labels: Label[], notFound: number) => {
      deps.throwIfAborted(ctx);
      if (labels.length > 0) deps.count(ctx, await deps.store.writeLabels(versionId, labels));
      done += labels.length + notFound;
      if (passes) passes.done = done;
      deps.emitProgress(ctx, { step: "labels", done, total, estimator });
    };
    let result: Awaited<ReturnType<typeof fetchLabels>>;
    try {
      result = await fetchLabels(deps.source, ids, {
        language,
        signal: passes?.signal ?? ctx.signal,
        concurrency: deps.labelConcurrency,
        chunkSize: deps.labelChunkSize,
        onChunk,
      });
    } catch (error) {
      // A pass resumed after this failure asks again for what is still missing.
      if (asked) for (const id of ids) asked.delete(id);
      if (passes) passes.total -= ids.length;
      throw error;
    }
    ctx.labelsFetched += result.fetched;
    ctx.labelsNotFound += result.notFound;
    ctx.labelsUnresolved += result.unresolved.length;
    if (result.unresolved.length > 0) {
      // Not stored, so the next sync (or `sync --strategy labels`) asks for them again.
      deps.logger.warn(
        { versionId, language, unresolved: result.unresolved.slice(0, 20), count: result.unresolved.length },
        "labels the service kept answering HTTP 500 for; left unresolved",
      );
    }
    if (result.notFound > 0) {
      deps.logger.info(
        { versionId, language, notFound: result.notFound },
        "labels the service does not know",
      );
    }
  }
  if (ends) deps.emitProgress(ctx, { step: "labels", done, total, estimator, stepDone: true });
}
