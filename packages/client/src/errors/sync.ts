/** Outcomes of a sync that are not failures of this process (each has its own exit code). */
import { D365Error, type D365ErrorOptions } from "./base.js";

/**
 * The environment reported a different module set at the end of a sync than at its start (it was
 * upgraded while we downloaded). Nothing was published; the next sync starts over for the new set.
 */
export class EnvironmentChangedError extends D365Error {
  readonly expectedModulesHash: string;
  readonly actualModulesHash: string;
  constructor(expected: string, actual: string, options?: D365ErrorOptions) {
    super(
      "D365_ENVIRONMENT_CHANGED",
      `The environment's installed modules changed during the sync (${expected.slice(0, 16)} -> ${actual.slice(0, 16)}); run the sync again`,
      options,
    );
    this.expectedModulesHash = expected;
    this.actualModulesHash = actual;
  }
}

/** This process lost the version's sync lease (it expired and another process took it over). */
export class SyncLeaseLostError extends D365Error {
  constructor(versionId: number, options?: D365ErrorOptions) {
    super(
      "D365_SYNC_LEASE_LOST",
      `Lost the sync lease of version ${versionId} to another process; its sync continues the work`,
      options,
    );
  }
}

/** A collection's count that made a sync's result implausible. */
export interface ImplausibleCount {
  collection: string;
  count: number;
  /** The same collection's count in the last good version, when there is one. */
  previous?: number;
}

/**
 * The downloaded metadata is implausible (no data entities at all, or a collection that shrank
 * from thousands to almost nothing): it was not published, and the last good version is still
 * served. `force` publishes it anyway.
 */
export class ImplausibleMetadataError extends D365Error {
  readonly counts: readonly ImplausibleCount[];
  constructor(message: string, counts: readonly ImplausibleCount[], options?: D365ErrorOptions) {
    super("D365_IMPLAUSIBLE_METADATA", message, options);
    this.counts = counts;
  }
}
