import { describe, expect, it } from "vitest";
import { AdaptiveLimiter } from "../../src/http/limiter.js";

const tick = () => new Promise((r) => setImmediate(r));

describe("AdaptiveLimiter", () => {
  it("admits no more than its limit at once and queues the rest", async () => {
    const limiter = new AdaptiveLimiter({ initial: 3, max: 3 });
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        limiter.run(async () => {
          active++;
          peak = Math.max(peak, active);
          await tick();
          active--;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(limiter.state()).toMatchObject({ inFlight: 0, queued: 0, maxInFlight: 3, completed: 20 });
  });

  it("grows additively (about one slot per `limit` successes) while the limit is in use", async () => {
    const limiter = new AdaptiveLimiter({ initial: 2, max: 100 });
    const round = async () => {
      const seqs = await Promise.all(Array.from({ length: limiter.limit }, () => limiter.acquire()));
      for (const seq of seqs) limiter.release(seq, "success");
    };
    for (let i = 0; i < 7; i++) await round();
    // About one slot per full round (2 → ~8 after 7 rounds), not doubling (2 → 256).
    expect(limiter.limit).toBeGreaterThanOrEqual(6);
    expect(limiter.limit).toBeLessThanOrEqual(9);
  });

  it("does not grow while fewer requests than the limit are in flight", async () => {
    let now = 0;
    const limiter = new AdaptiveLimiter({ initial: 4, max: 100, now: () => now });
    for (let i = 0; i < 100; i++) {
      now += 2_000;
      limiter.release(await limiter.acquire(), "success");
    }
    expect(limiter.limit).toBe(4);
  });

  it("halves once per congestion episode, not once per 429 of the same burst", async () => {
    const limiter = new AdaptiveLimiter({ initial: 16, max: 16, defaultPauseMs: 0 });
    const seqs = await Promise.all(Array.from({ length: 8 }, () => limiter.acquire()));
    for (const seq of seqs) limiter.release(seq, "throttled", 0);
    expect(limiter.limit).toBe(8);
    expect(limiter.state().decreases).toBe(1);
    const later = await limiter.acquire();
    limiter.release(later, "throttled", 0);
    expect(limiter.limit).toBe(4);
  });

  it("never drops below min", () => {
    const limiter = new AdaptiveLimiter({ initial: 2, min: 1, defaultPauseMs: 0 });
    for (let i = 0; i < 5; i++) limiter.release(1_000_000 + i, "throttled", 0);
    expect(limiter.limit).toBe(1);
  });

  it("pauses every caller for the Retry-After it was given", async () => {
    let now = 1_000;
    const slept: number[] = [];
    const limiter = new AdaptiveLimiter({
      initial: 4,
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });
    const seq = await limiter.acquire();
    limiter.release(seq, "throttled", 5_000);
    expect(limiter.state().pausedUntil).toBe(6_000);
    await limiter.acquire();
    expect(slept).toEqual([5_000]);
    limiter.close();
  });

  it("aborts a queued waiter", async () => {
    const limiter = new AdaptiveLimiter({ initial: 1, max: 1 });
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
    expect(limiter.state().queued).toBe(0);
  });

  it("starts pacing at half the observed rate after a 429, then recovers with time", async () => {
    let now = 0;
    const slept: number[] = [];
    const limiter = new AdaptiveLimiter({
      initial: 8,
      defaultPauseMs: 0,
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });
    expect(limiter.state().ratePerSecond).toBeNull();
    // 40 quick successes, 10 ms apart.
    for (let i = 0; i < 40; i++) {
      const seq = await limiter.acquire();
      now += 10;
      limiter.release(seq, "success");
    }
    const seq = await limiter.acquire();
    limiter.release(seq, "throttled", 0);
    // 40 completions over the 390 ms since the first: ~102.6/s observed, halved.
    const rate = limiter.state().ratePerSecond!;
    expect(rate).toBeCloseTo(51.28, 1);
    slept.length = 0;
    for (let i = 0; i < 3; i++) await limiter.acquire();
    // Starts are spaced 1000/rate ms apart.
    expect(slept).toHaveLength(2);
    for (const ms of slept) expect(ms).toBeCloseTo(1000 / rate, 0);
    // Recovery: quickly back to 90% of the throttled rate (~102.6/s), then 2% of it per second.
    now += 10_000;
    expect(limiter.state().ratePerSecond).toBeCloseTo(102.56 * 0.9, 0);
    now += 10_000;
    expect(limiter.state().ratePerSecond).toBeCloseTo(102.56 * 0.9 + 102.56 * 0.2, 0);
    limiter.close();
  });
});
