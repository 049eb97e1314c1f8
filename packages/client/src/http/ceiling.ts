/**
 * Where the server's concurrency ceiling is, learned from 429s: pure logic (no timers, no I/O),
 * driven by the limiter with the level each request was admitted at (how many of our requests
 * were in flight, itself included) and the time.
 *
 * Resource-based throttling (D365 since 10.0.36) answers 429 once a client keeps more requests in
 * flight than the server will take, and every 429 costs a Retry-After pause for everyone. So
 * instead of AIMD's sawtooth (halve, creep up, be throttled again), the limit:
 * - *discovers*: grows by about one slot per round of successes while the slots are in use;
 * - *holds*: a 429 at level L while discovering says the ceiling is L − 1; the limit stays there;
 * - *probes* rarely: after a quiet interval it tries one slot more (discovering again). A probe
 *   that fails at once doubles the interval; one that gets past the old ceiling resets it. The
 *   interval starts at eight pauses, so failed probes cost at most an eighth of the time, less
 *   and less as they double;
 * - *backs off* when the ceiling falls: a 429 at a level that was held halves the limit, which
 *   then discovers the new ceiling from below (a burst above it would make the server lengthen
 *   its Retry-After once per rejected request).
 *
 * Not every 429 says "too many in flight": a storm (the service answering some share of requests
 * 429 whatever the load) must not collapse the limit. A 429 counts as congestion only when the
 * requests at its level or above have failed in a row more often than the background 429 rate
 * explains (a run whose chance under that rate is below 1/10,000): one 429 on a server that rarely
 * says so, fourteen in a row when half the requests are refused anyway.
 */

export interface CeilingOptions {
  /** Starting concurrency. */
  initial: number;
  /** Floor. */
  min: number;
  /** Upper bound. */
  max: number;
  /** Slots added per round of successes while discovering. */
  increase: number;
  /** Multiplier applied when a held level is throttled (the ceiling fell). */
  decrease: number;
  /** First probe interval, as a multiple of the pause that came with the congestion (default 8). */
  probePauses?: number;
  /** Bounds of the probe interval (defaults 2 s and 10 min). */
  minProbeIntervalMs?: number;
  maxProbeIntervalMs?: number;
}

export type CeilingMode = "discover" | "hold";
/**
 * How a 429 was read: `congestion` (a decision to hold), `fell` (a held level was throttled: the
 * limit was halved), `narrowed` (a later 429 of the same episode, which can only lower the
 * ceiling) or `background` (a storm's).
 */
export type ThrottleReading = "congestion" | "fell" | "narrowed" | "background";

/**
 * Chance of a run of 429s under the background rate below which the run is taken as congestion:
 * a sync of some 10,000 requests through a storm then mistakes it for congestion about once.
 */
const RUN_CHANCE = 1e-4;
/** Below this background rate a single 429 is congestion. */
const QUIET_RATE = 0.005;
/**
 * Before there is evidence the background rate is taken as 1 in 10, an assumption that 20
 * outcomes outweigh: the first 429s of a storm must not read as a ceiling of one.
 */
const PRIOR_THROTTLED = 0.1;
/** Weight of the past in the background rate: about the last 500 outcomes count. */
const DECAY = 1 - 1 / 500;

export interface CeilingState {
  mode: CeilingMode;
  /** Learned ceiling (highest level known to pass below one that was throttled); null before any congestion. */
  ceiling: number | null;
  /** Share of recent outcomes that were 429s at levels where other requests passed (0–1). */
  background429Rate: number;
  /** 429s read as congestion, and as background (storm) 429s. */
  congestion429: number;
  background429: number;
  probes: number;
  decreases: number;
}

export class ConcurrencyCeiling {
  private limitValue: number;
  private ceilingValue = Number.POSITIVE_INFINITY;
  private modeValue: CeilingMode = "discover";
  /** While discovering after a probe: the ceiling the probe started from. */
  private probeFrom: number | undefined;
  private nextProbeAt = Number.POSITIVE_INFINITY;
  private probeIntervalMs = 0;
  /** Per level L (index): 429s at level ≥ L since the last success at level ≥ L. */
  private readonly runs: number[];
  private okWeight = 0;
  private throttledWeight = 0;
  /** Requests admitted up to this sequence number belong to the last congestion episode. */
  private episodeBarrier = 0;
  /** Highest level a request passed at since the last congestion decision. */
  private episodeOkLevel = 0;
  private readonly probePauses: number;
  private readonly minProbeMs: number;
  private readonly maxProbeMs: number;
  private readonly counts = { congestion429: 0, background429: 0, probes: 0, decreases: 0 };

  constructor(private readonly options: CeilingOptions) {
    this.limitValue = clamp(options.initial, options.min, options.max);
    this.runs = new Array<number>(options.max + 2).fill(0);
    this.probePauses = options.probePauses ?? 8;
    this.minProbeMs = options.minProbeIntervalMs ?? 2_000;
    this.maxProbeMs = options.maxProbeIntervalMs ?? 600_000;
  }

  /** Concurrency admitted now. */
  get limit(): number {
    return Math.floor(this.limitValue);
  }

  get mode(): CeilingMode {
    return this.modeValue;
  }

  state(): CeilingState {
    return {
      mode: this.modeValue,
      ceiling: Number.isFinite(this.ceilingValue) ? this.ceilingValue : null,
      background429Rate: round(this.backgroundRate(), 3),
      ...this.counts,
    };
  }

  /**
   * A success of a request admitted at `level`. `saturated`: the limit was in use (requests were
   * waiting or every slot was taken); only then does a success say anything about a higher limit.
   */
  onSuccess(level: number, saturated: boolean, now: number): void {
    this.decay();
    this.okWeight += 1;
    this.episodeOkLevel = Math.max(this.episodeOkLevel, level);
    // One level of slack: admission levels jitter by one when slots free and fill in the same
    // tick, and a storm must not look like congestion one level up.
    for (let l = 1; l <= Math.min(level + 1, this.runs.length - 1); l++) this.runs[l] = 0;
    if (!saturated) return;
    if (this.modeValue === "hold") {
      if (now < this.nextProbeAt) return;
      this.counts.probes++;
      this.modeValue = "discover";
      this.probeFrom = this.ceilingValue;
      this.limitValue = Math.min(this.options.max, this.limit + 1);
      return;
    }
    this.limitValue = Math.min(
      this.options.max,
      this.limitValue + this.options.increase / Math.max(1, this.limitValue),
    );
  }

  /**
   * A 429 of a request admitted at `level` (sequence number `seq`; `latestSeq` is the newest
   * admission so far). `pauseMs` is the pause that comes with it. Returns how it was read.
   */
  onThrottled(
    level: number,
    seq: number,
    latestSeq: number,
    pauseMs: number,
    now: number,
    pressed = false,
  ): ThrottleReading {
    const top = Math.min(Math.max(1, level), this.runs.length - 1);
    // `pressed`: the server lengthened its Retry-After, i.e. says we keep pushing: load, whatever
    // the levels look like from here.
    const required = pressed ? 1 : this.requiredRun();
    this.decay();
    // A 429 two levels below one where requests of this episode passed is what a storm looks
    // like (a level or one below, it may be the server counting a request more than we do: a
    // response we have read whose end it has not processed yet);
    // congestion above the levels that pass must not make itself look like background.
    if (level + 1 < this.episodeOkLevel) this.throttledWeight += 1;
    for (let l = 1; l <= top; l++) this.runs[l]++;
    if (this.runs[top] < required) {
      this.counts.background429++;
      return "background";
    }
    this.counts.congestion429++;
    const { min } = this.options;
    const passes = Math.max(min, level - 1);
    if (seq <= this.episodeBarrier) {
      // Sent before this episode's decision: it only narrows the ceiling.
      this.ceilingValue = Math.min(this.ceilingValue, passes);
      this.limitValue = Math.min(this.limitValue, Math.max(min, this.ceilingValue));
      return "narrowed";
    }
    this.episodeBarrier = latestSeq;
    this.episodeOkLevel = 0;
    this.runs.fill(0);
    if (this.modeValue === "discover") {
      const from = this.probeFrom;
      this.ceilingValue = passes;
      this.limitValue = Math.min(this.limitValue, passes);
      this.modeValue = "hold";
      this.probeFrom = undefined;
      const base = clamp(this.probePauses * pauseMs, this.minProbeMs, this.maxProbeMs);
      // A probe that got nowhere waits twice as long; one that moved the ceiling starts over.
      this.probeIntervalMs =
        from !== undefined && passes <= from
          ? Math.min(this.maxProbeMs, Math.max(base, this.probeIntervalMs * 2))
          : base;
      this.nextProbeAt = now + this.probeIntervalMs;
      return "congestion";
    }
    // A level that was held is throttled: the ceiling fell, by how much is unknown.
    this.counts.decreases++;
    this.ceilingValue = passes;
    this.limitValue = Math.max(min, Math.floor(Math.min(this.limitValue, level) * this.options.decrease));
    this.modeValue = "discover";
    this.probeFrom = undefined;
    return "fell";
  }

  /**
   * 429s that slowing down did not make rarer (the limiter's pacing saw `throttled` of `outcomes`
   * refused at a lower rate) are a storm's, whatever the levels suggested: levels one and two can
   * give no storm evidence of their own (see `onThrottled`). Take their share as the background
   * rate and forget the ceiling they seemed to show.
   */
  noteStorm(throttled: number, outcomes: number): void {
    const share = Math.min(0.95, throttled / Math.max(1, outcomes));
    this.throttledWeight = Math.max(this.throttledWeight, (share / (1 - share)) * this.okWeight);
    this.ceilingValue = Number.POSITIVE_INFINITY;
    this.modeValue = "discover";
    this.probeFrom = undefined;
    this.nextProbeAt = Number.POSITIVE_INFINITY;
    this.runs.fill(0);
  }

  /** The run of 429s that the background rate makes unlikely enough (1 on a quiet server). */
  private requiredRun(): number {
    const rate = this.backgroundRate();
    if (rate < QUIET_RATE) return 1;
    if (rate >= 0.99) return Number.POSITIVE_INFINITY;
    return Math.max(1, Math.ceil(Math.log(RUN_CHANCE) / Math.log(rate)));
  }

  private backgroundRate(): number {
    return (this.throttledWeight + PRIOR_THROTTLED) / (this.okWeight + this.throttledWeight + 1);
  }

  private decay(): void {
    this.okWeight *= DECAY;
    this.throttledWeight *= DECAY;
  }
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
