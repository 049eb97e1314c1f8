import { describe, expect, it } from "vitest";
import { AdaptiveLimiter } from "../../packages/client/src/http/limiter.js";
import { sharedLimiter } from "../../packages/client/src/http/limiter-registry.js";
import { meanInFlight, simulate } from "./_ceiling-sim.js";

const tick = () => new Promise((r) => setImmediate(r));

/** Fills every slot and releases them all with `outcome`: one round at the current limit. */
async function round(limiter: AdaptiveLimiter) {
  const seqs = await Promise.all(Array.from({ length: limiter.limit }, () => limiter.acquire()));
  for (const seq of seqs) limiter.release(seq, "success");
}

/**
 * A limiter held at one request at a time on a fake clock, after 200 quick successes (10 ms apart),
 * with `outcome` to run one more request that takes 10 ms and ends as given.
 */
async function pacedAtTheFloor() {
  let now = 0;
  const limiter = new AdaptiveLimiter({
    initial: 1,
    max: 1,
    defaultPauseMs: 0,
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  });
  const outcome = async (result: "success" | "throttled") => {
    const seq = await limiter.acquire();
    now += 10;
    limiter.release(seq, result, result === "throttled" ? 0 : undefined);
  };
  for (let i = 0; i < 200; i++) await outcome("success");
  return Object.assign(limiter, { outcome });
}

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

  it("grows additively (about one slot per round of successes) while the limit is in use", async () => {
    const limiter = new AdaptiveLimiter({ initial: 2, max: 100 });
    for (let i = 0; i < 7; i++) await round(limiter);
    // About one slot per full round (2 → ~8 after 7 rounds), not doubling (2 → 256).
    expect(limiter.limit).toBeGreaterThanOrEqual(6);
    expect(limiter.limit).toBeLessThanOrEqual(9);
    expect(limiter.state()).toMatchObject({ mode: "discover", ceiling: null });
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

  it("holds just below the level a 429 came at, instead of halving", async () => {
    const limiter = new AdaptiveLimiter({ initial: 10, max: 48 });
    for (let i = 0; i < 30; i++) await round(limiter);
    const before = limiter.limit;
    const seqs = await Promise.all(Array.from({ length: before }, () => limiter.acquire()));
    // The last one admitted (at level `before`) is refused; the others pass.
    limiter.release(seqs[before - 1], "throttled", 0);
    for (const seq of seqs.slice(0, -1)) limiter.release(seq, "success");
    expect(limiter.state()).toMatchObject({
      mode: "hold",
      ceiling: before - 1,
      limit: before - 1,
      congestion429: 1,
      decreases: 0,
    });
  });

  it("halves when a level it held is throttled (the ceiling fell)", async () => {
    const limiter = new AdaptiveLimiter({ initial: 10, max: 48 });
    for (let i = 0; i < 30; i++) await round(limiter);
    const seqs = await Promise.all(Array.from({ length: limiter.limit }, () => limiter.acquire()));
    const top = seqs.length;
    limiter.release(seqs.pop()!, "throttled", 0);
    for (const seq of seqs) limiter.release(seq, "success");
    const held = limiter.limit;
    expect(held).toBe(top - 1);
    // Long enough at the held level for the first 429 to be history.
    for (let i = 0; i < 20; i++) await round(limiter);
    expect(limiter.limit).toBe(held);
    // Now the held level itself is refused: the ceiling moved down by an unknown amount.
    const again = await Promise.all(Array.from({ length: held }, () => limiter.acquire()));
    limiter.release(again.pop()!, "throttled", 0);
    expect(limiter.state()).toMatchObject({ limit: Math.floor(held / 2), mode: "discover", decreases: 1 });
    // Other 429s of the same episode narrow the ceiling but do not halve again.
    limiter.release(again.pop()!, "throttled", 0);
    expect(limiter.state().decreases).toBe(1);
    for (const seq of again) limiter.release(seq, "success");
  });

  it("never drops below min", async () => {
    const limiter = new AdaptiveLimiter({ initial: 2, min: 1, defaultPauseMs: 0 });
    for (let i = 0; i < 5; i++) limiter.release(await limiter.acquire(), "throttled", 0);
    expect(limiter.limit).toBe(1);
  });

  it("reads a storm (429s interleaved with successes at the same level) as background, not congestion", async () => {
    const limiter = new AdaptiveLimiter({ initial: 8, max: 48 });
    let draw = 0;
    // Every other request refused, whatever the load: 2,000 outcomes.
    for (let i = 0; i < 125; i++) {
      const seqs = await Promise.all(Array.from({ length: limiter.limit }, () => limiter.acquire()));
      for (const seq of seqs) limiter.release(seq, draw++ % 2 === 0 ? "throttled" : "success", 0);
    }
    const state = limiter.state();
    expect(state.background429Rate).toBeGreaterThan(0.4);
    expect(state.throttled).toBeGreaterThan(900);
    // A few runs long enough to look like congestion may happen; the limit still grew.
    expect(state.congestion429).toBeLessThan(5);
    expect(limiter.limit).toBeGreaterThan(16);
  });

  it("pauses every caller for the Retry-After of a 429 about load", async () => {
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
    // A quiet server (100 successes), then one 429: congestion.
    for (let i = 0; i < 100; i++) limiter.release(await limiter.acquire(), "success");
    const seq = await limiter.acquire();
    limiter.release(seq, "throttled", 5_000);
    expect(limiter.state()).toMatchObject({ congestion429: 1, pausedUntil: 6_000 });
    await limiter.acquire();
    expect(slept).toEqual([5_000]);
    expect(limiter.state().pausedMs).toBe(5_000);
    limiter.close();
  });

  it("pauses everybody only for 429s about load, not for a storm's (with or without Retry-After)", async () => {
    let now = 0;
    const limiter = new AdaptiveLimiter({ initial: 4, max: 4, now: () => now });
    // A storm: in every round of four, the first admitted is refused while the later ones pass.
    const stormRound = async (retryAfterMs: number | undefined) => {
      const seqs = await Promise.all(Array.from({ length: 4 }, () => limiter.acquire()));
      for (const seq of seqs.slice(1)) limiter.release(seq, "success");
      limiter.release(seqs[0], "throttled", retryAfterMs);
    };
    for (let i = 0; i < 40; i++) {
      await stormRound(5_000);
      now += 10_000;
    }
    const paused = limiter.state().pausedMs;
    await stormRound(undefined);
    // The same Retry-After as before: the server does not say we push harder.
    await stormRound(5_000);
    expect(limiter.state().pausedMs).toBe(paused);
    expect(limiter.state().pausedUntil).toBeNull();
    expect(limiter.state().background429Rate).toBeGreaterThan(0.15);
    // On a quiet server the same 429 is congestion: everybody waits about a second.
    const quiet = new AdaptiveLimiter({ initial: 4, now: () => now });
    for (let i = 0; i < 200; i++) quiet.release(await quiet.acquire(), "success");
    quiet.release(await quiet.acquire(), "throttled");
    expect(quiet.state().pausedMs).toBe(1_000);
    limiter.close();
    quiet.close();
  });

  it("integrates the requests in flight over time (slot time), for the mean against the ceiling", async () => {
    let now = 0;
    const limiter = new AdaptiveLimiter({ initial: 4, now: () => now });
    const a = await limiter.acquire();
    const b = await limiter.acquire();
    now = 100;
    limiter.release(a, "success");
    now = 200;
    expect(limiter.state().busySlotMs).toBe(300);
    limiter.release(b, "success");
    now = 1_000;
    // 2 in flight for 100 ms, then 1 for 100 ms: 300 slot-ms over 1 s, a mean of 0.3.
    expect(limiter.state().busySlotMs).toBe(300);
  });

  it("reads a 429 whose Retry-After grew as load, even amid a storm", async () => {
    let now = 0;
    const limiter = new AdaptiveLimiter({ initial: 4, max: 4, now: () => now });
    for (let i = 0; i < 40; i++) {
      const seqs = await Promise.all(Array.from({ length: 4 }, () => limiter.acquire()));
      for (const seq of seqs.slice(1)) limiter.release(seq, "success");
      limiter.release(seqs[0], "throttled", 5_000);
      now += 10_000;
    }
    expect(limiter.state().congestion429).toBeLessThan(3);
    const seq = await limiter.acquire();
    expect(limiter.release(seq, "throttled", 10_000)).not.toBe("background");
    expect(limiter.state().pausedUntil).toBe(now + 10_000);
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

  it("paces request starts only once one request at a time is too many, then recovers with time", async () => {
    let now = 0;
    const slept: number[] = [];
    const limiter = new AdaptiveLimiter({
      initial: 1,
      max: 1,
      defaultPauseMs: 0,
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });
    expect(limiter.state().ratePerSecond).toBeNull();
    // 400 quick successes, 10 ms apart: 4 s.
    for (let i = 0; i < 400; i++) {
      const seq = await limiter.acquire();
      now += 10;
      limiter.release(seq, "success");
    }
    limiter.release(await limiter.acquire(), "throttled", 0);
    // 400 completions over the 3.99 s since the first: ~100.25/s observed, halved.
    const rate = limiter.state().ratePerSecond!;
    expect(rate).toBeCloseTo(50.13, 1);
    slept.length = 0;
    for (let i = 0; i < 3; i++) limiter.release(await limiter.acquire(), "neutral");
    // Starts are spaced 1000/rate ms apart.
    expect(slept).toHaveLength(2);
    for (const ms of slept) expect(ms).toBeCloseTo(1000 / rate, 0);
    // Recovery: quickly back to 90% of the throttled rate (~100.25/s), then 2% of it per second.
    now += 10_000;
    expect(limiter.state().ratePerSecond).toBeCloseTo(100.25 * 0.9, 0);
    now += 10_000;
    expect(limiter.state().ratePerSecond).toBeCloseTo(100.25 * 0.9 + 100.25 * 0.2, 0);
    limiter.close();
  });

  it("ends pacing when slowing down does not make the 429s rarer (a storm at the floor, not a rate limit)", async () => {
    const limiter = await pacedAtTheFloor();
    // Level one can give no storm evidence of its own: the first 429 reads as a rate limit.
    limiter.release(await limiter.acquire(), "throttled", 0);
    expect(limiter.state().ratePerSecond).not.toBeNull();
    // Every other request refused at the paced rate, for a few seconds.
    for (let i = 0; i < 60 && limiter.state().ratePerSecond !== null; i++) {
      await limiter.outcome(i % 2 === 0 ? "throttled" : "success");
    }
    const state = limiter.state();
    expect(state.ratePerSecond).toBeNull();
    expect(state.background429Rate).toBeGreaterThan(0.3);
    expect(state.ceiling).toBeNull();
    // From here on the storm's 429s are background: no more pacing, no congestion.
    const congestion = state.congestion429;
    for (let i = 0; i < 40; i++) await limiter.outcome(i % 2 === 0 ? "throttled" : "success");
    expect(limiter.state()).toMatchObject({ ratePerSecond: null, congestion429: congestion });
    limiter.close();
  });

  it("keeps pacing a rate limit that stops refusing once starts are spaced", async () => {
    const limiter = await pacedAtTheFloor();
    limiter.release(await limiter.acquire(), "throttled", 0);
    const first = limiter.state().ratePerSecond!;
    // Paced, the requests pass; a later 429 (the rate crept past the limit) cuts again.
    for (let i = 0; i < 100; i++) await limiter.outcome("success");
    limiter.release(await limiter.acquire(), "throttled", 0);
    const second = limiter.state().ratePerSecond!;
    expect(second).not.toBeNull();
    expect(second).toBeLessThan(first * 1.5);
    limiter.close();
  });

  it("does not pace while concurrency can still go down", async () => {
    const limiter = new AdaptiveLimiter({ initial: 8 });
    for (let i = 0; i < 30; i++) await round(limiter);
    const seqs = await Promise.all(Array.from({ length: limiter.limit }, () => limiter.acquire()));
    limiter.release(seqs.pop()!, "throttled", 0);
    for (const seq of seqs) limiter.release(seq, "success");
    expect(limiter.state()).toMatchObject({ congestion429: 1, ratePerSecond: null });
    limiter.close();
  });
});

describe("the limit settles at the server's ceiling (fake clock, the emulator's throttling)", () => {
  it("converges just below a fixed ceiling with a 429 only on its first few, then rare probes", async () => {
    // 200 s of label requests against a ceiling of 24 in flight, Retry-After 5 s doubling.
    const result = await simulate({ ceilingAt: () => 24, durationMs: 200_000 });
    // The first few 429s find the ceiling; after that only probes, each after a quiet interval
    // that doubles when it fails: a handful over 200 s, not one per sawtooth.
    expect(result.throttled.length).toBeGreaterThan(0);
    expect(result.throttled.length).toBeLessThanOrEqual(5);
    const afterFirst = result.throttled.filter((t) => t.t > result.throttled[0].t);
    for (let i = 1; i < afterFirst.length; i++) {
      expect(afterFirst[i].t - afterFirst[i - 1].t).toBeGreaterThanOrEqual(30_000);
    }
    // Every 429 came from one request past the ceiling, never a burst above it.
    for (const t of result.throttled) expect(t.level).toBe(25);
    expect(result.final).toMatchObject({ ceiling: 24, limit: 24, mode: "hold", decreases: 0 });
    // Just below the ceiling, Retry-After pauses included.
    expect(meanInFlight(result.samples, 10_000, 200_000)).toBeGreaterThan(24 * 0.9);
  });

  it("recovers when the ceiling falls and when it rises again", async () => {
    const fallAt = 60_000;
    const riseAt = 180_000;
    const end = 480_000;
    const ceilingAt = (t: number) => (t < fallAt ? 24 : t < riseAt ? 12 : 24);
    const result = await simulate({ ceilingAt, durationMs: end });
    const at = (t: number) => result.samples.find((s) => s.t >= t)!.state;
    expect(at(fallAt - 1_000)).toMatchObject({ ceiling: 24, limit: 24 });
    // Within 30 s of the fall it holds at the new ceiling...
    expect(at(fallAt + 30_000)).toMatchObject({ ceiling: 12, limit: 12, mode: "hold" });
    expect(meanInFlight(result.samples, fallAt + 30_000, riseAt)).toBeGreaterThan(12 * 0.85);
    const duringFall = result.throttled.filter((t) => t.t >= fallAt && t.t < riseAt);
    expect(duringFall.length).toBeLessThanOrEqual(5);
    // ...and a probe finds the room again once the ceiling rises.
    expect(at(end - 60_000)).toMatchObject({ ceiling: 24, limit: 24 });
    expect(meanInFlight(result.samples, end - 60_000, end)).toBeGreaterThan(24 * 0.85);
    expect(result.throttled.length).toBeLessThanOrEqual(12);
  });

  it("holds the historic per-user rate limit (20/s, burst 60) near its rate by pacing", async () => {
    // --latency strict: 52 in flight allowed, but 20 requests/s; 14 in flight at ~190 ms is 70/s.
    const result = await simulate({
      ceilingAt: () => 52,
      durationMs: 300_000,
      throttling: { ratePerSecond: 20, burst: 60 },
    });
    // A fixed concurrency limit would pay a 429 and a 5 s pause per emptied bucket (~8/s).
    expect(result.completed / 300).toBeGreaterThan(15);
    expect(result.throttled.length).toBeLessThan(40);
  });

  it("mostly ignores a 50 % storm with Retry-After 0: the limit stays far above AIMD's floor", async () => {
    const result = await simulate({
      ceilingAt: () => 0,
      durationMs: 60_000,
      throttling: { randomRate: 0.5, retryAfterSeconds: 0, retryAfterGrowth: 1 },
    });
    expect(result.throttled.length).toBeGreaterThan(result.completed * 0.8);
    // Only 429s two levels below one that passed count as storm evidence (the server may count
    // one request more than we do), so some runs still read as congestion: the limit settles
    // lower than its maximum, but AIMD would sit at 1–2 (every other response a 429).
    expect(result.final.limit).toBeGreaterThanOrEqual(12);
    expect(result.final.congestion429).toBeLessThan(result.throttled.length / 50);
  });
});

describe("sharedLimiter", () => {
  it("gives every user of one environment the same limiter, until the last one lets go", () => {
    const a = sharedLimiter("https://one.example");
    const b = sharedLimiter("https://one.example");
    const other = sharedLimiter("https://two.example");
    expect(b.limiter).toBe(a.limiter);
    expect(other.limiter).not.toBe(a.limiter);
    a.release();
    a.release();
    expect(sharedLimiter("https://one.example").limiter).toBe(b.limiter);
    b.release();
    other.release();
  });
});
