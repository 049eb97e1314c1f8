export { chunksOf, publicEntityWindows, slices } from "./collections.js";
export { canonicalJson, sameContent } from "./compare.js";
export { EnvironmentChangedError, SyncLeaseLostError } from "./errors.js";
export { fetchLabels } from "./labels.js";
export { createLeaseOwner, isLeaseOwnerDead, LeaseKeeper, parseLeaseOwner } from "./lease.js";
export { SmartSyncManagerV2 } from "./manager.js";
export { StepRateEstimator } from "./progress.js";
export type {
  CountedSource,
  SmartSyncManagerOptions,
  StepTimings,
  SyncOptions,
  SyncOutcome,
  SyncProgressEvent,
  SyncResult,
  SyncStep,
  SyncStrategy,
  SyncStrategyV2,
  VersionSource,
} from "./types.js";
export { SYNC_STEPS } from "./types.js";
