/**
 * Rate pacing, the limiter's last resort: when one request at a time is already too many for the
 * server (a token bucket in front of fast responses, which no concurrency limit bounds), request
 * starts are spaced to half the success rate observed over the last seconds (cut at most once a
 * second). It recovers quickly to just under the throttled rate, then creeps past it, and ends
 * after a minute without a cut. Pure apart from the injected clock.
 *
 * Pacing also tells a rate limit from a storm: a token bucket stops refusing once starts are
 * spaced below its rate, whereas a storm refuses the same share at any rate. When a further cut
 * is asked for after slowing down has not made the 429s rare, `cut` answers `storm` and pacing ends.
 */

const RATE_WINDOW_MS = 10_000;
/** Pacing ends after this long without a cut. */
const QUIET_MS = 60_000;

/** Outcomes at a paced rate needed before the share of 429s says whether pacing helps. */
const EVIDENCE_OUTCOMES = 10;
/** At least this share of 429s at a paced rate: slowing down does not help (a storm). */
const INEFFECTIVE_SHARE = 0.25;

/**
 * What a request to cut the rate did: `cut`, nothing yet (`unchanged`), or ended pacing (`storm`,
 * with the evidence: 429s among the outcomes at the paced rate).
 */
export type CutVerdict =
  | { verdict: "cut" | "unchanged" }
  | { verdict: "storm"; throttled: number; outcomes: number };

export interface PacerOptions {
  /** Fraction by which a paced rate recovers per second without a 429 (default 0.1 = 10%/s). */
  recoveryPerSecond: number;
  /** Lowest paced rate, in requests/s. */
  minRatePerSecond: number;
  /** Multiplier applied to the observed rate on a cut. */
  decrease: number;
  now: () => number;
}

export class RatePacer {
  private rate = Number.POSITIVE_INFINITY;
  private rateUpdatedAt = 0;
  /** The rate at the last cut (what the server would not take). */
  private rateCeiling = Number.POSITIVE_INFINITY;
  private lastCutAt = Number.NEGATIVE_INFINITY;
  private nextStartAt = 0;
  /** Completion times within the rate window (for the observed rate). */
  private readonly recent: number[] = [];
  /** Outcomes since the last cut, while paced. */
  private sinceCut = { ok: 0, throttled: 0 };

  constructor(private readonly options: PacerOptions) {}

  /** Paced starts per second, rounded; null while unpaced. */
  ratePerSecond(): number | null {
    const rate = this.currentRate();
    return Number.isFinite(rate) ? Math.round(rate * 100) / 100 : null;
  }

  /** Reserves a start time (so paced callers queue in time instead of waking together); ms to wait. */
  reserveStart(): number {
    const rate = this.currentRate();
    if (!Number.isFinite(rate)) return 0;
    const now = this.options.now();
    const startAt = Math.max(now, this.nextStartAt);
    this.nextStartAt = startAt + 1000 / rate;
    return startAt - now;
  }

  noteThrottled(): void {
    this.sinceCut.throttled++;
  }

  noteSuccess(): void {
    this.sinceCut.ok++;
    const now = this.options.now();
    this.recent.push(now);
    this.trim(now);
    if (this.recent.length > 50_000) this.recent.splice(0, this.recent.length - 50_000);
  }

  /**
   * A congestion 429 with the concurrency already at its floor: pace (or pace slower). Once paced,
   * a further cut waits for the evidence of ten outcomes at the paced rate: 429s still a quarter
   * of them or more mean slowing down did not help, so pacing ends (`storm`).
   */
  cut(): CutVerdict {
    const now = this.options.now();
    if (now - this.lastCutAt < 1000) return { verdict: "unchanged" };
    if (Number.isFinite(this.currentRate())) {
      const { throttled } = this.sinceCut;
      const outcomes = throttled + this.sinceCut.ok;
      if (outcomes < EVIDENCE_OUTCOMES) return { verdict: "unchanged" };
      if (throttled / outcomes >= INEFFECTIVE_SHARE) {
        this.stop();
        return { verdict: "storm", throttled, outcomes };
      }
    }
    this.lastCutAt = now;
    this.sinceCut = { ok: 0, throttled: 0 };
    const current = Math.min(this.currentRate(), this.observedRate());
    this.rateCeiling = current;
    this.rate = Math.max(this.options.minRatePerSecond, current * this.options.decrease);
    this.rateUpdatedAt = now;
    this.nextStartAt = 0;
    return { verdict: "cut" };
  }

  /** Ends pacing. */
  private stop(): void {
    this.rate = Number.POSITIVE_INFINITY;
    this.rateCeiling = Number.POSITIVE_INFINITY;
    this.lastCutAt = Number.NEGATIVE_INFINITY;
    this.nextStartAt = 0;
    this.sinceCut = { ok: 0, throttled: 0 };
  }

  /** The paced rate now, after its recovery since the last update; infinite when unpaced. */
  private currentRate(): number {
    if (!Number.isFinite(this.rate)) return this.rate;
    const now = this.options.now();
    const elapsed = now - this.rateUpdatedAt;
    if (elapsed > 0) {
      // Back towards the rate that was throttled quickly, then past it slowly (2% of it per
      // second): a token bucket's ceiling is probably still where it was.
      const knee = this.rateCeiling * 0.9;
      let rate = this.rate;
      if (rate < knee) rate = Math.min(knee, rate * (1 + this.options.recoveryPerSecond) ** (elapsed / 1000));
      else rate += this.rateCeiling * 0.02 * (elapsed / 1000);
      this.rate = rate;
      this.rateUpdatedAt = now;
    }
    // A server quiet for a minute (or a rate past any limit) no longer needs pacing.
    if (this.rate > 10_000 || now - this.lastCutAt > QUIET_MS) this.rate = Number.POSITIVE_INFINITY;
    return this.rate;
  }

  /**
   * Successful completions per second over the last ten seconds (long enough to average out a
   * token bucket's burst and the pause after a 429), or over the time since the first of them when
   * that is shorter (a 429 early in a burst must not read as a low rate).
   */
  private observedRate(): number {
    const now = this.options.now();
    this.trim(now);
    if (this.recent.length === 0) return this.options.minRatePerSecond;
    const windowMs = Math.min(RATE_WINDOW_MS, Math.max(100, now - this.recent[0]));
    return Math.max(this.options.minRatePerSecond, (this.recent.length * 1000) / windowMs);
  }

  private trim(now: number): void {
    let drop = 0;
    while (drop < this.recent.length && this.recent[drop] <= now - RATE_WINDOW_MS) drop++;
    if (drop > 0) this.recent.splice(0, drop);
  }
}
