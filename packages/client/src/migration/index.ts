export { type AutoMigrateOptions, autoMigrate } from "./auto.js";
export type { DetectedEnvironment, DetectedSource } from "./detect.js";
export { MigrationSourceError, type MigrationSourceProblem } from "./errors.js";
export type { ImportedVersion, MigrationProgress, MigrationResult } from "./import.js";
export {
  MetadataMigrationManager,
  type MetadataMigrationManagerOptions,
  type MigrateOptions,
  type MigrationSourceRef,
} from "./manager.js";
export type { MigrationPlan, PlannedEnvironment, PlannedVersion } from "./plan.js";
export type { RepairReport } from "./repair.js";
export type { ImportTrust } from "./trust.js";
export type { PythonCacheFile, PythonCacheLayout, PythonVersionCounts } from "./types.js";
