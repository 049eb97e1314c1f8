/**
 * A label phase against a simulated server, on vitest's fake clock: the emulator's own throttling
 * decisions (`Throttle`: concurrency ceiling, growing Retry-After, storms) in front of a latency
 * of 80–300 ms, a pool of workers like `fetchLabels`, and the library's limiter with its
 * defaults. Retries follow the retry concern: wait the Retry-After, then queue again.
 */
import { vi } from "vitest";
import { AdaptiveLimiter, type LimiterState } from "../../packages/client/src/http/limiter.js";
import type { ThrottlingKnobs } from "../../packages/emulator/src/api.js";
import { Throttle } from "../../packages/emulator/src/server/throttle.js";

export interface SimOptions {
  /** The server's ceiling at simulated time t (ms). */
  ceilingAt: (t: number) => number;
  /** Simulated duration (ms). */
  durationMs: number;
  workers?: number;
  throttling?: Partial<ThrottlingKnobs>;
  seed?: number;
}

export interface Sample {
  t: number;
  inFlight: number;
  state: LimiterState;
}

export interface Throttled {
  t: number;
  level: number;
  retryAfterS?: number;
}

export interface SimResult {
  completed: number;
  throttled: Throttled[];
  /** Limiter state every 500 ms. */
  samples: Sample[];
  final: LimiterState;
}

function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function simulate(options: SimOptions): Promise<SimResult> {
  vi.useFakeTimers({ now: 0 });
  try {
    const random = prng(options.seed ?? 7);
    const limiter = new AdaptiveLimiter();
    const throttle = new Throttle();
    const knobs = (t: number): ThrottlingKnobs => ({
      enabled: true,
      maxConcurrent: options.ceilingAt(t),
      ratePerSecond: 0,
      burst: 0,
      retryAfterSeconds: 5,
      retryAfterGrowth: 2,
      maxRetryAfterSeconds: 120,
      omitRetryAfter: false,
      randomRate: 0,
      ...options.throttling,
    });
    let serverInFlight = 0;
    let completed = 0;
    const throttled: Throttled[] = [];
    const samples: Sample[] = [];
    const end = options.durationMs;

    const request = async () => {
      for (;;) {
        const seq = await limiter.acquire();
        const level = limiter.state().inFlight;
        serverInFlight++;
        const now = Date.now();
        const decision = throttle.decide(knobs(now), now, serverInFlight, random());
        if (decision.throttled) {
          serverInFlight--;
          throttled.push({ t: now, level, retryAfterS: decision.retryAfterSeconds });
          const advised =
            decision.retryAfterSeconds === undefined ? undefined : decision.retryAfterSeconds * 1000;
          limiter.release(seq, "throttled", advised);
          await sleep(advised ?? 1000);
          continue;
        }
        await sleep(80 + random() * 220);
        serverInFlight--;
        limiter.release(seq, "success");
        completed++;
        return;
      }
    };
    const worker = async () => {
      while (Date.now() < end) await request();
    };
    const workers = Promise.all(Array.from({ length: options.workers ?? 64 }, worker));
    let finished = false;
    void workers.then(() => {
      finished = true;
    });
    while (!finished) {
      await vi.advanceTimersByTimeAsync(500);
      samples.push({ t: Date.now(), inFlight: limiter.state().inFlight, state: limiter.state() });
    }
    await workers;
    const final = limiter.state();
    limiter.close();
    return { completed, throttled, samples, final };
  } finally {
    vi.useRealTimers();
  }
}

/** Mean requests in flight over the samples within [from, to). */
export function meanInFlight(samples: readonly Sample[], from: number, to: number): number {
  const within = samples.filter((s) => s.t >= from && s.t < to);
  return within.reduce((sum, s) => sum + s.inFlight, 0) / Math.max(1, within.length);
}
