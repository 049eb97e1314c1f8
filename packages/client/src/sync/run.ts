/**
 * One sync's state and the seams between `SmartSyncManagerV2` (sharing, the lease, publishing)
 * and its phases (`phases.ts`, `reverify.ts`): what a phase may use of the manager, and small
 * helpers for waiting and cancellation.
 */
import {
  AbortedError,
  NetworkError,
  ProtocolError,
  ServerError,
  ThrottledError,
  TimeoutError,
} from "../errors.js";
import type { Logger } from "../logging.js";
import type { ThrottlingSnapshot, TransferCounters } from "../metadata/source.js";
import type {
  EnvironmentRecord,
  GlobalVersionRecord,
  MetadataStore,
  SyncPhase,
  WriteResult,
} from "../store/types.js";
import { SyncLeaseLostError } from "./errors.js";
import type { StepRateEstimator } from "./progress.js";
import {
  type SmartSyncManagerOptions,
  type StepTimings,
  SYNC_STEPS,
  type SyncOutcome,
  type SyncProgressEvent,
  type SyncResult,
  type SyncStep,
  type SyncStrategy,
} from "./types.js";

export const ENTITY_PHASES: readonly SyncPhase[] = ["dataEntities", "publicEntities", "enumerations"];
export const ALL_PHASES: readonly SyncPhase[] = [...ENTITY_PHASES, "labels"];

/** Per-sync state: counters baseline, timings, progress, the abort signal. */
export interface RunContext {
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
  /** Labels left unresolved after repeated HTTP 500s (see labels.ts). */
  labelsUnresolved: number;
  /** Publish even when the counts look implausible (SyncOptions.force). */
  force: boolean;
  skippedPhases: string[];
  waitedMs: number;
  differences?: NonNullable<SyncResult["differences"]>;
  /** Public entities expected (from the data entities' `DataServiceEnabled` + public name), if known. */
  expectedPublicEntities: number | null;
  /** Called after every write of definitions (label ids to resolve may have arrived). */
  onDefinitionsStored?: () => void;
}

/** Failures worth another attempt from the stored state (not bad input, auth, or cancellation). */
export function isTransient(error: unknown): boolean {
  return (
    error instanceof NetworkError ||
    error instanceof TimeoutError ||
    error instanceof ServerError ||
    error instanceof ThrottledError ||
    error instanceof ProtocolError
  );
}

export function emptyTimings(): StepTimings {
  return Object.fromEntries(SYNC_STEPS.map((s) => [s, 0])) as StepTimings;
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
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
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
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

/** A progress report from a phase; the manager adds transfer figures, rate and ETA. */
export interface ProgressUpdate {
  step: SyncStep;
  done: number;
  total: number | null;
  estimator: StepRateEstimator | null;
  stepDone?: boolean;
  waiting?: boolean;
}

/** What a phase uses of the manager: the store and source, its tuning, and its bookkeeping. */
export interface PhaseDeps {
  store: MetadataStore;
  source: SmartSyncManagerOptions["source"];
  logger: Logger;
  chunkSize: number;
  windowSize: number;
  windowsInFlight: number;
  labelChunkSize: number;
  labelConcurrency: number;
  phaseAttempts: number;
  timed<T>(ctx: RunContext, step: SyncStep, work: () => Promise<T>): Promise<T>;
  count(ctx: RunContext, result: WriteResult): void;
  throwIfAborted(ctx: RunContext): void;
  emitProgress(ctx: RunContext, update: ProgressUpdate): void;
}

/** Requests and body bytes this sync has cost so far. */
export interface TransferSoFar {
  requests: number;
  bytesReceived: number;
}

/** The public progress event for `update`, with transfer figures, rate and ETA at `now`. */
export function progressEvent(
  ctx: RunContext,
  update: ProgressUpdate,
  transfer: TransferSoFar,
  now: number,
  throttling?: ThrottlingSnapshot,
): SyncProgressEvent {
  const total = update.total !== null && update.total >= update.done ? update.total : null;
  const estimate = update.estimator?.estimate(update.done, total, now) ?? { ratePerSecond: 0, etaMs: null };
  return {
    environmentId: ctx.environment?.id ?? 0,
    versionId: ctx.version?.id ?? 0,
    step: update.step,
    done: update.done,
    total,
    bytesReceived: transfer.bytesReceived,
    requests: transfer.requests,
    ratePerSecond: Math.round(estimate.ratePerSecond * 10) / 10,
    etaMs: estimate.etaMs,
    elapsedMs: Math.round(now - ctx.startedAt),
    ...(update.stepDone ? { stepDone: true } : {}),
    ...(update.waiting ? { waiting: true } : {}),
    ...(throttling ? { throttling } : {}),
  };
}

/** The sync's result from its state. */
export function syncResult(
  ctx: RunContext,
  end: {
    outcome: SyncOutcome;
    version: GlobalVersionRecord;
    previousVersionId: number | null;
    shared: boolean;
  },
  transfer: TransferSoFar,
): SyncResult {
  const { outcome, version } = end;
  return {
    strategy: ctx.strategy,
    outcome,
    environmentId: ctx.environment.id,
    versionId: version.id,
    versionHash: version.versionHash,
    modulesHash: version.modulesHash,
    previousVersionId: end.previousVersionId,
    shared: end.shared,
    resumed: outcome === "resumed",
    skippedPhases: [...new Set(ctx.skippedPhases)],
    requests: transfer.requests,
    bytesReceived: transfer.bytesReceived,
    metadataRowsWritten: ctx.rowsWritten,
    labelsFetched: ctx.labelsFetched,
    labelsNotFound: ctx.labelsNotFound,
    labelsUnresolved: ctx.labelsUnresolved,
    ...(ctx.differences ? { differences: ctx.differences } : {}),
    waitedMs: Math.round(ctx.waitedMs),
    durationMs: Math.round(performance.now() - ctx.startedAt),
    phases: Object.fromEntries(Object.entries(ctx.phases).map(([k, v]) => [k, Math.round(v)])) as StepTimings,
  };
}

// -----------------------------------------------------------------------------------------------
// Bookkeeping of one run

/** Runs `work`, adding its wall time to the run's timing of `step`. */
export async function timed<T>(ctx: RunContext, step: SyncStep, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    ctx.phases[step] += performance.now() - started;
  }
}

export function countWrite(ctx: RunContext, result: WriteResult): void {
  ctx.rowsWritten += result.rowsWritten;
}

export function throwIfAborted(ctx: RunContext): void {
  if (ctx.signal.aborted) throw ctx.signal.reason;
}

/** The transfer counters of every source, summed. */
export function sumCounters(sources: readonly { counters(): TransferCounters }[]): TransferCounters {
  const total: TransferCounters = { requests: 0, bytesReceived: 0, throttled: 0, retries: 0 };
  for (const source of sources) {
    const c = source.counters();
    total.requests += c.requests;
    total.bytesReceived += c.bytesReceived;
    total.throttled += c.throttled;
    total.retries += c.retries;
  }
  return total;
}

/** What this run has transferred so far, given the counters now. */
export function transferSince(ctx: RunContext, now: TransferCounters): TransferSoFar {
  return {
    requests: now.requests - ctx.counterBase.requests,
    bytesReceived: now.bytesReceived - ctx.counterBase.bytesReceived,
  };
}

/** Cancellation and lease loss surface as typed errors; everything else passes through. */
export function translateAbort(error: unknown, ctx: RunContext): unknown {
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
