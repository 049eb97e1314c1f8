/**
 * One adaptive concurrency limiter per environment (AIMD, like TCP congestion control): it starts
 * low, adds about one slot per `limit` successful requests (slower near the limit that was last
 * throttled), halves on a 429 and pauses every caller for the server's Retry-After.
 *
 * D365 also throttles on request *rate* (a token bucket), which no concurrency limit bounds when
 * responses are fast. So a 429 also starts pacing: request starts are spaced to half the rate
 * observed over the last seconds (cut at most once a second); it recovers quickly to just under
 * the throttled rate, then creeps past it. Paced requests keep the ones in flight at a
 * 429 few, and every one of those would otherwise make the server lengthen its Retry-After. A bulk caller therefore runs as fast as the server allows
 * and backs off as soon as it says so.
 */

import { parseRetryAfter } from "./retry.js";
import { defaultSleep, type Middleware, type Sleep } from "./types.js";

const RATE_WINDOW_MS = 10_000;

export interface LimiterOptions {
  /** Starting concurrency (default 4). */
  initial?: number;
  /** Floor (default 1). */
  min?: number;
  /** Ceiling (default 48, under the historic 52 concurrent-request limit of D365). */
  max?: number;
  /** Slots added per `limit` successes (default 1). */
  increase?: number;
  /** Multiplier applied on a 429 (default 0.5). */
  decrease?: number;
  /** Fraction by which a paced rate recovers per second without a 429 (default 0.1 = 10%/s). */
  rateRecoveryPerSecond?: number;
  /** Lowest paced rate, in requests/s (default 0.5). */
  minRatePerSecond?: number;
  /** Upper bound of a Retry-After pause (default 10 min). */
  maxPauseMs?: number;
  /** Pause after a 429 that gave no Retry-After (default 1 s). */
  defaultPauseMs?: number;
  sleep?: Sleep;
  now?: () => number;
}

export interface LimiterState {
  /** Current concurrency limit (integer part is what is admitted). */
  limit: number;
  inFlight: number;
  queued: number;
  /** Highest concurrency ever admitted at once. */
  maxInFlight: number;
  /** Highest limit reached. */
  peakLimit: number;
  completed: number;
  throttled: number;
  /** Times the limit was halved. */
  decreases: number;
  /** Wall time the limiter spent paused on Retry-After (ms). */
  pausedMs: number;
  /** Paced request starts per second; null until the first 429 (unpaced). */
  ratePerSecond: number | null;
  /** Epoch ms until which new requests wait, if paused now. */
  pausedUntil: number | null;
}

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class AdaptiveLimiter {
  private limitValue: number;
  private readonly min: number;
  private readonly max: number;
  private readonly increase: number;
  private readonly decrease: number;
  private readonly maxPauseMs: number;
  private readonly rateRecovery: number;
  private readonly minRate: number;
  private rate = Number.POSITIVE_INFINITY;
  private rateUpdatedAt = 0;
  /** The rate at the last 429 (what the server would not take). */
  private rateCeiling = Number.POSITIVE_INFINITY;
  private lastRateCutAt = Number.NEGATIVE_INFINITY;
  private nextStartAt = 0;
  /** Completion times within the rate window (for the observed rate). */
  private readonly recent: number[] = [];
  private readonly defaultPauseMs: number;
  private readonly sleep: Sleep;
  private readonly now: () => number;
  private inFlight = 0;
  private readonly queue: Waiter[] = [];
  private pausedUntil = 0;
  private pauseTimer: NodeJS.Timeout | undefined;
  /** Requests admitted before the last decrease do not halve again (one cut per congestion episode). */
  private admittedSeq = 0;
  private decreaseBarrier = 0;
  /** The limit at the last 429 (infinite until one happens). */
  private ceiling = Number.POSITIVE_INFINITY;
  /** Last time a request filled the last slot or had to wait for one. */
  private lastSaturatedAt = Number.NEGATIVE_INFINITY;
  private stats = { maxInFlight: 0, peakLimit: 0, completed: 0, throttled: 0, decreases: 0, pausedMs: 0 };

  constructor(options: LimiterOptions = {}) {
    this.min = Math.max(1, options.min ?? 1);
    this.max = Math.max(this.min, options.max ?? 48);
    this.limitValue = Math.min(this.max, Math.max(this.min, options.initial ?? 4));
    this.increase = options.increase ?? 1;
    this.decrease = options.decrease ?? 0.5;
    this.maxPauseMs = options.maxPauseMs ?? 600_000;
    this.rateRecovery = options.rateRecoveryPerSecond ?? 0.1;
    this.minRate = options.minRatePerSecond ?? 0.5;
    this.defaultPauseMs = options.defaultPauseMs ?? 1_000;
    this.sleep = options.sleep ?? defaultSleep;
    this.now = options.now ?? Date.now;
    this.stats.peakLimit = this.limitValue;
  }

  get limit(): number {
    return Math.floor(this.limitValue);
  }

  state(): LimiterState {
    return {
      limit: this.limit,
      inFlight: this.inFlight,
      queued: this.queue.length,
      ...this.stats,
      ratePerSecond:
        this.currentRate() === Number.POSITIVE_INFINITY ? null : Math.round(this.rate * 100) / 100,
      pausedUntil: this.pausedUntil > this.now() ? this.pausedUntil : null,
    };
  }

  /** Waits for a slot; returns the admission sequence number to hand back to `release`. */
  async acquire(signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) throw signal.reason;
    for (;;) {
      const now = this.now();
      const pauseLeft = this.pausedUntil - now;
      if (pauseLeft > 0) {
        await this.sleep(pauseLeft, signal);
        continue;
      }
      if (Number.isFinite(this.currentRate())) {
        // Reserve a start time, so paced callers queue in time instead of waking together.
        const startAt = Math.max(now, this.nextStartAt);
        this.nextStartAt = startAt + 1000 / this.rate;
        if (startAt > now) {
          await this.sleep(startAt - now, signal);
          if (this.pausedUntil > this.now()) continue;
        }
      }
      if (this.inFlight < this.limit && this.queue.length === 0) break;
      await new Promise<void>((resolve, reject) => {
        const waiter: Waiter = { resolve, reject, signal };
        if (signal) {
          waiter.onAbort = () => {
            const index = this.queue.indexOf(waiter);
            if (index >= 0) this.queue.splice(index, 1);
            reject(signal.reason);
          };
          signal.addEventListener("abort", waiter.onAbort, { once: true });
        }
        this.queue.push(waiter);
      });
      // Woken for a free slot; the slot was reserved for us by `wake`.
      if (this.pausedUntil - this.now() > 0) {
        this.inFlight--;
        continue;
      }
      return this.admitted();
    }
    this.inFlight++;
    return this.admitted();
  }

  private admitted(): number {
    if (this.inFlight >= this.limit || this.queue.length > 0) this.lastSaturatedAt = this.now();
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.inFlight);
    return ++this.admittedSeq;
  }

  /** Returns a slot; `outcome` adapts the limit. */
  release(seq: number, outcome: "success" | "throttled" | "neutral", retryAfterMs?: number): void {
    // Only a limit that was in use is confirmed by a success (as TCP validates its window): when
    // pacing or a slow caller keeps fewer requests in flight, the limit must not drift upwards.
    const limitWasUsed = this.now() - this.lastSaturatedAt < 1000;
    this.inFlight--;
    if (outcome === "success" && !limitWasUsed) {
      this.stats.completed++;
      this.noteCompletion();
    } else if (outcome === "success") {
      this.stats.completed++;
      this.noteCompletion();
      // Near the limit that was last throttled, probe eight times more slowly (a plateau, as in
      // CUBIC): the server's ceiling is probably still there. Past it, grow normally again.
      const nearCeiling = this.limitValue + 1 >= this.ceiling && this.limitValue < this.ceiling + 1;
      const step = this.increase / Math.max(1, this.limitValue) / (nearCeiling ? 8 : 1);
      this.limitValue = Math.min(this.max, this.limitValue + step);
      this.stats.peakLimit = Math.max(this.stats.peakLimit, this.limit);
    } else if (outcome === "throttled") {
      this.stats.throttled++;
      if (seq > this.decreaseBarrier) {
        this.ceiling = this.limitValue;
        this.limitValue = Math.max(this.min, Math.floor(this.limitValue * this.decrease));
        this.stats.decreases++;
        this.decreaseBarrier = this.admittedSeq;
      }
      const now = this.now();
      if (now - this.lastRateCutAt >= 1000) {
        this.lastRateCutAt = now;
        const current = Math.min(this.currentRate(), this.observedRate());
        this.rateCeiling = current;
        this.rate = Math.max(this.minRate, current * this.decrease);
        this.rateUpdatedAt = now;
        this.nextStartAt = 0;
      }
      const pause = Math.min(this.maxPauseMs, retryAfterMs ?? this.defaultPauseMs);
      this.pauseFor(pause);
    }
    this.wake();
  }

  /** The paced rate now, after its recovery since the last update; infinite when unpaced. */
  private currentRate(): number {
    if (!Number.isFinite(this.rate)) return this.rate;
    const now = this.now();
    const elapsed = now - this.rateUpdatedAt;
    if (elapsed > 0) {
      // Back towards the rate that was throttled quickly (10%/s), then past it slowly (2% of it
      // per second): a token bucket's ceiling is probably still where it was.
      const knee = this.rateCeiling * 0.9;
      let rate = this.rate;
      if (rate < knee) rate = Math.min(knee, rate * (1 + this.rateRecovery) ** (elapsed / 1000));
      else rate += this.rateCeiling * 0.02 * (elapsed / 1000);
      this.rate = rate;
      this.rateUpdatedAt = now;
    }
    // A server quiet for long enough no longer needs pacing.
    if (this.rate > 10_000) this.rate = Number.POSITIVE_INFINITY;
    return this.rate;
  }

  private noteCompletion(): void {
    const now = this.now();
    this.recent.push(now);
    while (this.recent.length > 0 && this.recent[0] <= now - RATE_WINDOW_MS) this.recent.shift();
    if (this.recent.length > 50_000) this.recent.splice(0, this.recent.length - 50_000);
  }

  /**
   * Successful completions per second over the last ten seconds (long enough to average out a
   * token bucket's burst and the pause after a 429), or over the time since the first of them when
   * that is shorter (a 429 early in a burst must not read as a low rate).
   */
  private observedRate(): number {
    const now = this.now();
    while (this.recent.length > 0 && this.recent[0] <= now - RATE_WINDOW_MS) this.recent.shift();
    if (this.recent.length === 0) return this.minRate;
    const windowMs = Math.min(RATE_WINDOW_MS, Math.max(100, now - this.recent[0]));
    return Math.max(this.minRate, (this.recent.length * 1000) / windowMs);
  }

  private pauseFor(ms: number): void {
    const until = this.now() + ms;
    if (until <= this.pausedUntil) return;
    const previous = this.pausedUntil;
    this.stats.pausedMs += until - Math.max(previous, this.now());
    this.pausedUntil = until;
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    // Queued waiters are woken when the pause ends.
    this.pauseTimer = setTimeout(() => {
      this.pauseTimer = undefined;
      // Clock granularity may leave a millisecond of pause; it is over.
      this.pausedUntil = Math.min(this.pausedUntil, this.now());
      this.wake();
    }, ms);
    this.pauseTimer.unref?.();
  }

  private wake(): void {
    if (this.pausedUntil > this.now()) return;
    while (this.queue.length > 0 && this.inFlight < this.limit) {
      const waiter = this.queue.shift() as Waiter;
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener("abort", waiter.onAbort);
      this.inFlight++;
      waiter.resolve();
    }
  }

  /** Runs `fn` in a slot (for callers outside the middleware chain). */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const seq = await this.acquire(signal);
    try {
      const result = await fn();
      this.release(seq, "success");
      return result;
    } catch (error) {
      this.release(seq, "neutral");
      throw error;
    }
  }

  close(): void {
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
  }
}

/**
 * Limiter concern: each attempt holds a slot until its response body has been fully read (or the
 * stream closed), so a long streamed download counts as in flight for its whole duration.
 */
export function limiterMiddleware(limiter: AdaptiveLimiter): Middleware {
  return async (request, next) => {
    const seq = await limiter.acquire(request.signal);
    let response: Awaited<ReturnType<typeof next>>;
    try {
      response = await next(request);
    } catch (error) {
      limiter.release(seq, "neutral");
      throw error;
    }
    if (response.status === 429) {
      limiter.release(seq, "throttled", parseRetryAfter(response.headers["retry-after"]));
      return response;
    }
    const outcome = response.status < 500 ? "success" : "neutral";
    const stream = response.stream;
    if (!stream) {
      limiter.release(seq, outcome);
      return response;
    }
    let released = false;
    const releaseOnce = () => {
      if (released) return;
      released = true;
      limiter.release(seq, outcome);
    };
    stream.once("close", releaseOnce);
    stream.once("end", releaseOnce);
    stream.once("error", releaseOnce);
    return response;
  };
}
