/**
 * The sync layer's contract: options, progress events and the result of `SmartSyncManagerV2`,
 * plus the minimal shapes it needs from the version detector and the HTTP client (declared here so
 * the sync layer depends on behaviour, not on concrete classes).
 */
import type { Logger } from "../logging.js";
import type { MetadataSource, ThrottlingSnapshot, TransferCounters } from "../metadata/source.js";
import type { MetadataStore } from "../store/types.js";
import type { EnvironmentVersionInfo } from "../version/models.js";

/**
 * - `full`: every phase the version has not completed yet (a resumed sync continues here).
 * - `entitiesOnly`: data entities, public entities and enumerations; labels are left for later.
 * - `labelsOnly`: labels missing in the configured languages of an already-synced version.
 * - `reverify`: download everything again and store only what differs from the stored version.
 */
export type SyncStrategy = "full" | "entitiesOnly" | "labelsOnly" | "reverify";
/** The specification's name for `SyncStrategy`. */
export type SyncStrategyV2 = SyncStrategy;

/** Timed steps of a sync, in order. */
export type SyncStep = "detect" | "dataEntities" | "publicEntities" | "enumerations" | "labels" | "finalize";

export const SYNC_STEPS: readonly SyncStep[] = [
  "detect",
  "dataEntities",
  "publicEntities",
  "enumerations",
  "labels",
  "finalize",
];

/**
 * What a sync did:
 * - `upToDate`: the environment already served the complete version of its module set.
 * - `shared`: linked to a complete version another environment (or process) downloaded.
 * - `synced`: downloaded the version from scratch.
 * - `resumed`: completed a version an earlier, interrupted sync had started.
 * - `reverified`: compared a complete version with the environment.
 * - `partial`: `entitiesOnly` / `labelsOnly` ran some phases only.
 */
export type SyncOutcome = "upToDate" | "shared" | "synced" | "resumed" | "reverified" | "partial";

export interface SyncProgressEvent {
  environmentId: number;
  versionId: number;
  step: SyncStep;
  /** Items stored in this step so far (entities, enumerations, labels). */
  done: number;
  /** Items expected in this step, when known. */
  total: number | null;
  /** Body bytes received by this sync so far. */
  bytesReceived: number;
  /** HTTP requests sent by this sync so far (retries included). */
  requests: number;
  /** Items per second in this step. */
  ratePerSecond: number;
  /** Estimated time left in this step, when `total` is known. */
  etaMs: number | null;
  elapsedMs: number;
  /** Set on the last event of a step. */
  stepDone?: boolean;
  /** Set while waiting for another process that syncs the same version. */
  waiting?: boolean;
  /**
   * The request budget, when the source reports it: requests in flight against the server's
   * learned concurrency ceiling, 429s received and time spent waiting on Retry-After.
   */
  throttling?: ThrottlingSnapshot;
}

export interface SyncOptions {
  strategy?: SyncStrategy;
  signal?: AbortSignal;
  onProgress?: (event: SyncProgressEvent) => void;
  /**
   * When another process holds the version's sync lease: wait for it (default) or throw
   * `SyncInProgressError`.
   */
  wait?: boolean;
  /** Give up waiting for another process after this long (default: no limit). */
  waitTimeoutMs?: number;
  /** Label languages for this sync (default: the manager's). */
  languages?: readonly string[];
  /**
   * Use the detector's cached module list when fresh (default false: ask the environment, since
   * an in-place upgrade is exactly what a sync must notice).
   */
  useCachedVersion?: boolean;
  /**
   * Publish the downloaded version even when its counts look implausible (no data entities, or a
   * collection that collapsed from thousands): for an environment that really is that small.
   * Default false: such a version is not published and ImplausibleMetadataError says why.
   */
  force?: boolean;
}

export type StepTimings = Record<SyncStep, number>;

export interface SyncResult {
  strategy: SyncStrategy;
  outcome: SyncOutcome;
  environmentId: number;
  versionId: number;
  versionHash: string;
  modulesHash: string;
  /** The version the environment served before this sync, if any. */
  previousVersionId: number | null;
  /**
   * This sync linked the environment to a complete version another environment (or process)
   * downloaded; nothing was downloaded. False when it was up to date already.
   */
  shared: boolean;
  /** The sync continued a version another (interrupted) sync had started. */
  resumed: boolean;
  /** Phases skipped because an earlier sync had completed them. */
  skippedPhases: string[];
  /** HTTP requests this sync sent (version detection included, retries included). */
  requests: number;
  bytesReceived: number;
  /** Rows inserted into metadata tables by this sync. */
  metadataRowsWritten: number;
  /** Label texts received from the service. */
  labelsFetched: number;
  /** Label ids the service answered 404 for. */
  labelsNotFound: number;
  /** Label ids the service kept answering HTTP 500 for: not stored, asked again by the next sync. */
  labelsUnresolved: number;
  /** `reverify` only: definitions / labels found different from what was stored. */
  differences?: { dataEntities: number; publicEntities: number; enumerations: number; labels: number };
  /** Time spent waiting for another process's sync of the same version. */
  waitedMs: number;
  durationMs: number;
  /** Wall time per step (0 for steps skipped). */
  phases: StepTimings;
}

/** The part of `ModuleVersionDetector` the sync uses. */
export interface VersionSource {
  getEnvironmentVersion(options?: { useCache?: boolean }): Promise<EnvironmentVersionInfo>;
}

/** Something whose transfer counters should be added to a sync's figures (e.g. the detector's client). */
export interface CountedSource {
  counters(): TransferCounters;
}

export interface SmartSyncManagerOptions {
  store: MetadataStore;
  /** The HTTP client; `getLabel` must go through its adaptive limiter. */
  source: MetadataSource;
  detector: VersionSource;
  /** Environment base URL (default: `source.baseUrl`). */
  baseUrl?: string;
  /** Display name of the environment in the store. */
  environmentName?: string;
  /** Label languages (default `["en-US"]`). */
  languages?: readonly string[];
  logger?: Logger;
  /** Definitions per write transaction (default 200). */
  chunkSize?: number;
  /** Public entities per request window (`$top`), default 500. */
  windowSize?: number;
  /** Public entity windows fetched ahead of the writer (default 2). */
  windowsInFlight?: number;
  /** Label texts per write transaction (default 500). */
  labelChunkSize?: number;
  /** Label requests handed to the HTTP client at once (default 64; its limiter gates the real concurrency). */
  labelConcurrency?: number;
  /** Sync lease lifetime; renewed every third of it (default 30 s). */
  leaseTtlMs?: number;
  /** How often a waiting process looks at the lease / version status (default 250 ms). */
  pollIntervalMs?: number;
  /**
   * Attempts per step when it fails with a transient error after the HTTP client's own retries
   * (each attempt resumes from what is stored; default 4).
   */
  phaseAttempts?: number;
  /**
   * Ask the environment for its modules again before completing a version, so an upgrade that
   * happened during a long sync cannot be stored under the old module set (default true).
   */
  verifyModulesBeforeComplete?: boolean;
  /**
   * Counters of clients the source does not include (e.g. the detector's own HTTP client), added
   * to `requests` / `bytesReceived`.
   */
  extraCounters?: readonly CountedSource[];
}
