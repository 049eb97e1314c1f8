/**
 * One adaptive concurrency limiter per environment. Callers queue for a slot; how many slots
 * there are is learned from the server's 429s by `ConcurrencyCeiling` (discover the ceiling,
 * hold just below it, probe rarely, back off when it falls, ignore storm 429s that say nothing
 * about load). A 429 read as congestion pauses every caller for exactly the Retry-After the
 * server gave (`defaultPauseMs` without one): the service lengthens the pause for clients that
 * come back early. A storm's 429 pauses only the refused request (in the retry concern), for
 * exactly its Retry-After too.
 *
 * When the limit is already at its floor and the server still throttles, or a held level is
 * throttled twice within a minute (a request-rate limit: the level that passes shrinks the longer
 * one runs), request starts are paced as well (`RatePacer`).
 */

import { type CeilingMode, ConcurrencyCeiling, type ThrottleReading } from "./ceiling.js";
import { RatePacer } from "./pacing.js";
import { parseRetryAfter } from "./retry.js";
import { defaultSleep, type Middleware, type Sleep } from "./types.js";

/** Two falls of the ceiling this close together read as a rate limit. */
const REPEATED_FALL_MS = 60_000;

export interface LimiterOptions {
  /** Starting concurrency (default 4). */
  initial?: number;
  /** Floor (default 1). */
  min?: number;
  /** Upper bound (default 48, under the historic 52 concurrent-request limit of D365). */
  max?: number;
  /** Slots added per round of successes while discovering the ceiling (default 1). */
  increase?: number;
  /** Multiplier applied when a level that was held is throttled (default 0.5). */
  decrease?: number;
  /** Fraction by which a paced rate recovers per second without a 429 (default 0.1 = 10%/s). */
  rateRecoveryPerSecond?: number;
  /** Lowest paced rate, in requests/s (default 0.5). */
  minRatePerSecond?: number;
  /** Upper bound of a Retry-After pause (default 10 min). */
  maxPauseMs?: number;
  /** Pause after a congestion 429 that gave no Retry-After (default 1 s). */
  defaultPauseMs?: number;
  sleep?: Sleep;
  now?: () => number;
}

export interface LimiterState {
  /** Current concurrency limit: what is admitted at once. */
  limit: number;
  /** The server's concurrency ceiling as learned from 429s; null until one read as congestion. */
  ceiling: number | null;
  /** `discover` (growing towards the ceiling, or probing past it) or `hold` (just below it). */
  mode: CeilingMode;
  inFlight: number;
  queued: number;
  /** Highest concurrency ever admitted at once. */
  maxInFlight: number;
  /** Highest limit reached. */
  peakLimit: number;
  completed: number;
  /** 429s received; `congestion429` of them were read as "too many in flight", the rest as background (a storm). */
  throttled: number;
  congestion429: number;
  /** Share of recent outcomes that were 429 (0–1). */
  background429Rate: number;
  /** Times the limit was cut because a held level was throttled (the ceiling fell). */
  decreases: number;
  /** Times the limit tried one slot past the learned ceiling. */
  probes: number;
  /** Wall time every caller was paused on Retry-After (and congestion pauses without one), ms. */
  pausedMs: number;
  /**
   * Slot time used: the integral of `inFlight` over time (ms). Its growth between two states over
   * the wall time between them is the mean number of requests in flight (to set against `ceiling`).
   */
  busySlotMs: number;
  /** Paced request starts per second; null while unpaced. */
  ratePerSecond: number | null;
  /** Epoch ms until which new requests wait, if paused now. */
  pausedUntil: number | null;
}

interface Waiter {
  /** Called with the level the waiter was admitted at. */
  resolve: (level: number) => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class AdaptiveLimiter {
  private readonly ceiling: ConcurrencyCeiling;
  private readonly pacer: RatePacer;
  private readonly min: number;
  private readonly maxPauseMs: number;
  private readonly defaultPauseMs: number;
  private readonly sleep: Sleep;
  private readonly now: () => number;
  private inFlight = 0;
  /** ∫ inFlight dt (ms), up to `inFlightSince`. */
  private busySlotMs = 0;
  private inFlightSince = 0;
  private readonly queue: Waiter[] = [];
  private pausedUntil = 0;
  private pauseTimer: NodeJS.Timeout | undefined;
  private admittedSeq = 0;
  /** The level (requests in flight, itself included) each request in flight was admitted at. */
  private readonly levels = new Map<number, number>();
  /** Last time a request filled the last slot or had to wait for one. */
  private lastSaturatedAt = Number.NEGATIVE_INFINITY;
  private lastFallAt = Number.NEGATIVE_INFINITY;
  private lastAdvised: { ms: number; at: number } | undefined;
  private stats = { maxInFlight: 0, peakLimit: 0, completed: 0, throttled: 0, pausedMs: 0 };

  constructor(options: LimiterOptions = {}) {
    this.min = Math.max(1, options.min ?? 1);
    const max = Math.max(this.min, options.max ?? 48);
    this.now = options.now ?? Date.now;
    this.inFlightSince = this.now();
    this.ceiling = new ConcurrencyCeiling({
      initial: options.initial ?? 4,
      min: this.min,
      max,
      increase: options.increase ?? 1,
      decrease: options.decrease ?? 0.5,
    });
    this.pacer = new RatePacer({
      recoveryPerSecond: options.rateRecoveryPerSecond ?? 0.1,
      minRatePerSecond: options.minRatePerSecond ?? 0.5,
      decrease: options.decrease ?? 0.5,
      now: this.now,
    });
    this.maxPauseMs = options.maxPauseMs ?? 600_000;
    this.defaultPauseMs = options.defaultPauseMs ?? 1_000;
    this.sleep = options.sleep ?? defaultSleep;
    this.stats.peakLimit = this.ceiling.limit;
  }

  get limit(): number {
    return this.ceiling.limit;
  }

  state(): LimiterState {
    const ceiling = this.ceiling.state();
    return {
      limit: this.limit,
      ceiling: ceiling.ceiling,
      mode: ceiling.mode,
      inFlight: this.inFlight,
      queued: this.queue.length,
      maxInFlight: this.stats.maxInFlight,
      peakLimit: this.stats.peakLimit,
      completed: this.stats.completed,
      throttled: this.stats.throttled,
      congestion429: ceiling.congestion429,
      background429Rate: ceiling.background429Rate,
      decreases: ceiling.decreases,
      probes: ceiling.probes,
      pausedMs: Math.round(this.stats.pausedMs),
      busySlotMs: Math.round(this.busySlotMs + this.inFlight * Math.max(0, this.now() - this.inFlightSince)),
      ratePerSecond: this.pacer.ratePerSecond(),
      pausedUntil: this.pausedUntil > this.now() ? this.pausedUntil : null,
    };
  }

  /** Waits for a slot; returns the admission sequence number to hand back to `release`. */
  async acquire(signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) throw signal.reason;
    for (;;) {
      const pauseLeft = this.pausedUntil - this.now();
      if (pauseLeft > 0) {
        await this.sleep(pauseLeft, signal);
        continue;
      }
      const wait = this.pacer.reserveStart();
      if (wait > 0) {
        await this.sleep(wait, signal);
        if (this.pausedUntil > this.now()) continue;
      }
      if (this.inFlight < this.limit && this.queue.length === 0) {
        this.setInFlight(this.inFlight + 1);
        return this.admitted(this.inFlight);
      }
      const level = await new Promise<number>((resolve, reject) => {
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
        this.setInFlight(this.inFlight - 1);
        continue;
      }
      return this.admitted(level);
    }
  }

  /** Every change of the requests in flight goes through here, for the slot-time integral. */
  private setInFlight(value: number): void {
    const now = this.now();
    this.busySlotMs += this.inFlight * Math.max(0, now - this.inFlightSince);
    this.inFlightSince = now;
    this.inFlight = value;
  }

  /** `level`: requests in flight at admission, this one included. */
  private admitted(level: number): number {
    if (this.inFlight >= this.limit || this.queue.length > 0) this.lastSaturatedAt = this.now();
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.inFlight);
    const seq = ++this.admittedSeq;
    this.levels.set(seq, level);
    return seq;
  }

  /**
   * Returns a slot; `outcome` teaches the limit (`neutral`: errors that say nothing about load).
   * For a 429, returns how it was read.
   */
  release(
    seq: number,
    outcome: "success" | "throttled" | "neutral",
    retryAfterMs?: number,
  ): ThrottleReading | undefined {
    // Only a limit that was in use is confirmed by a success (as TCP validates its window): when
    // pacing or a slow caller keeps fewer requests in flight, the limit must not drift upwards.
    const now = this.now();
    const saturated = now - this.lastSaturatedAt < 1000;
    const level = this.levels.get(seq) ?? this.inFlight;
    this.levels.delete(seq);
    this.setInFlight(Math.max(0, this.inFlight - 1));
    if (outcome === "success") {
      this.stats.completed++;
      this.pacer.noteSuccess();
      this.ceiling.onSuccess(level, saturated, now);
      this.stats.peakLimit = Math.max(this.stats.peakLimit, this.limit);
    } else if (outcome === "throttled") {
      this.stats.throttled++;
      const advised = retryAfterMs === undefined ? undefined : Math.min(this.maxPauseMs, retryAfterMs);
      const atFloor = this.limit <= this.min;
      const pauseMs = advised ?? this.defaultPauseMs;
      // A Retry-After longer than the last one (within a minute) is the server saying we keep
      // pushing: read as load even when the levels look like a storm (its count of our requests
      // in flight can run ahead of ours).
      const pressed =
        advised !== undefined &&
        this.lastAdvised !== undefined &&
        advised > this.lastAdvised.ms &&
        now - this.lastAdvised.at < REPEATED_FALL_MS;
      if (advised !== undefined) this.lastAdvised = { ms: advised, at: now };
      const reading = this.ceiling.onThrottled(level, seq, this.admittedSeq, pauseMs, now, pressed);
      // Concurrency cannot go lower, or a held level keeps being throttled (the ceiling "falls"
      // again within a minute): the server limits the rate of requests, which the limit on
      // requests in flight bounds only as long as latency stays put.
      // (Not in a storm: its 429s say nothing about rate either.)
      const fellAgain =
        reading === "fell" &&
        now - this.lastFallAt < REPEATED_FALL_MS &&
        this.ceiling.state().background429Rate < 0.05;
      if (reading === "fell") this.lastFallAt = now;
      this.pacer.noteThrottled();
      if ((reading === "congestion" || reading === "fell") && (atFloor || fellAgain)) {
        const cut = this.pacer.cut();
        // Pacing did not make the 429s rarer: a storm, not a rate limit.
        if (cut.verdict === "storm") this.ceiling.noteStorm(cut.throttled, cut.outcomes);
      }
      // A 429 about load pauses everybody for the server's Retry-After (or our default without
      // one): every request sent before it ends would lengthen it. A storm's 429 is the refused
      // request's alone: the retry concern waits out its Retry-After before sending it again.
      if (reading !== "background") this.pauseFor(advised ?? this.defaultPauseMs);
      this.wake();
      return reading;
    }
    this.wake();
    return undefined;
  }

  private pauseFor(ms: number): void {
    if (ms <= 0) return;
    const now = this.now();
    const until = now + ms;
    if (until <= this.pausedUntil) return;
    this.stats.pausedMs += until - Math.max(this.pausedUntil, now);
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
      this.setInFlight(this.inFlight + 1);
      waiter.resolve(this.inFlight);
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
      response.throttleReading = limiter.release(
        seq,
        "throttled",
        parseRetryAfter(response.headers["retry-after"]),
      );
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
