/**
 * Rate and ETA for one sync step. Pure: the caller supplies the clock, so the arithmetic is
 * testable without timers.
 */

export interface StepEstimate {
  ratePerSecond: number;
  etaMs: number | null;
}

/**
 * Tracks items done over time within a step. The rate is measured over the items done in this
 * process only (`baseline` excludes items a previous, interrupted sync stored), so a resumed step
 * does not report an absurd rate for work it did not do.
 */
export class StepRateEstimator {
  private readonly startedAt: number;
  private readonly baseline: number;

  constructor(startedAt: number, baseline = 0) {
    this.startedAt = startedAt;
    this.baseline = baseline;
  }

  estimate(done: number, total: number | null, now: number): StepEstimate {
    const elapsedMs = Math.max(0, now - this.startedAt);
    const doneHere = Math.max(0, done - this.baseline);
    const ratePerSecond = elapsedMs > 0 ? (doneHere * 1000) / elapsedMs : 0;
    if (total === null) return { ratePerSecond, etaMs: null };
    const remaining = Math.max(0, total - done);
    if (remaining === 0) return { ratePerSecond, etaMs: 0 };
    if (ratePerSecond <= 0) return { ratePerSecond, etaMs: null };
    return { ratePerSecond, etaMs: Math.round((remaining * 1000) / ratePerSecond) };
  }
}
