/**
 * One adaptive concurrency limiter per environment (AIMD, like TCP congestion control): it starts
 * low, adds about one slot per `limit` successful requests (slower near the limit that was last
 * throttled), halves on a 429 and pauses every caller for the server's Retry-After. A bulk caller therefore runs as fast as the server allows
 * and backs off as soon as it says so.
 */

import { parseRetryAfter } from "./retry.js";
import { defaultSleep, type Middleware, type Sleep } from "./types.js";

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
  private stats = { maxInFlight: 0, peakLimit: 0, completed: 0, throttled: 0, decreases: 0, pausedMs: 0 };

  constructor(options: LimiterOptions = {}) {
    this.min = Math.max(1, options.min ?? 1);
    this.max = Math.max(this.min, options.max ?? 48);
    this.limitValue = Math.min(this.max, Math.max(this.min, options.initial ?? 4));
    this.increase = options.increase ?? 1;
    this.decrease = options.decrease ?? 0.5;
    this.maxPauseMs = options.maxPauseMs ?? 600_000;
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
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.inFlight);
    return ++this.admittedSeq;
  }

  /** Returns a slot; `outcome` adapts the limit. */
  release(seq: number, outcome: "success" | "throttled" | "neutral", retryAfterMs?: number): void {
    this.inFlight--;
    if (outcome === "success") {
      this.stats.completed++;
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
      const pause = Math.min(this.maxPauseMs, retryAfterMs ?? this.defaultPauseMs);
      this.pauseFor(pause);
    }
    this.wake();
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
