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

  it("grows additively (about one slot per `limit` successes)", () => {
    const limiter = new AdaptiveLimiter({ initial: 2, max: 100 });
    for (let i = 0; i < 2; i++) limiter.release(0, "success");
    expect(limiter.limit).toBe(2);
    for (let i = 0; i < 40; i++) limiter.release(0, "success");
    // 2 → roughly sqrt(2*42) ≈ 9: additive, not exponential.
    expect(limiter.limit).toBeGreaterThan(5);
    expect(limiter.limit).toBeLessThan(12);
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
});
