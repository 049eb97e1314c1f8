import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { EmulatorEnvironment, RunningEmulator } from "../../../packages/emulator/src/api.js";
import { DEFAULT_KNOBS, realisticKnobs } from "../../../packages/emulator/src/server/knobs.js";
import { call, post, rawRequest, startFixtureEmulator } from "./helpers.js";

let emulator: RunningEmulator;
let env: EmulatorEnvironment;

beforeAll(async () => {
  emulator = await startFixtureEmulator({ environments: [{ name: "dev" }, { name: "other", release: 1 }] });
  env = emulator.environment("dev");
});
afterAll(() => emulator.close());
afterEach(() => {
  env.setKnobs(DEFAULT_KNOBS);
  env.resetCounters();
});

const delayOf = (res: { headers: Record<string, unknown> }) => Number(res.headers["x-emulator-delay-ms"]);
const durOf = (res: { headers: Record<string, unknown> }) =>
  Number(/dur=(\d+)/.exec(String(res.headers["server-timing"]))?.[1]);

describe("knob plumbing", () => {
  it("defaults are all off", () => {
    expect(env.knobs()).toEqual(DEFAULT_KNOBS);
  });

  it("setKnobs merges and validates; knobs() is a copy", () => {
    env.setKnobs({ latency: { baseMs: 5 }, pageSize: 3 });
    const knobs = env.knobs();
    expect(knobs.latency).toMatchObject({ baseMs: 5, jitterMs: 0 });
    expect(knobs.pageSize).toBe(3);
    knobs.latency.baseMs = 999;
    expect(env.knobs().latency.baseMs).toBe(5);
    expect(() => env.setKnobs({ faults: { error500Rate: 2 } })).toThrow(/error500Rate/);
    expect(() => env.setKnobs({ faults: { pathPattern: "(" } })).toThrow(/regular expression/);
  });

  it("realisticKnobs follows the protocol §5.6 profile", () => {
    const k = realisticKnobs();
    expect(k.latency?.baseMs).toBe(80);
    expect((k.latency?.baseMs ?? 0) + (k.latency?.jitterMs ?? 0)).toBe(300);
    // ~46 MiB of large PublicEntities at this rate is about a minute (protocol §2.5).
    expect(((k.latency?.perMbMs ?? 0) * 46) / 1000).toBeGreaterThan(50);
    expect(((k.latency?.perMbMs ?? 0) * 46) / 1000).toBeLessThan(70);
    expect(k.throttling?.enabled).toBe(true);
    // Resource-based throttling: a concurrency ceiling, no per-user rate quota.
    expect(k.throttling?.maxConcurrent).toBe(24);
    expect(k.throttling?.ratePerSecond).toBe(0);
  });

  it("realisticKnobs with strictUserLimits adds the historic per-user limits (§5.2)", () => {
    const k = realisticKnobs({ strictUserLimits: true });
    expect(k.throttling).toMatchObject({ enabled: true, maxConcurrent: 52, ratePerSecond: 20 });
    expect(k.latency).toEqual(realisticKnobs().latency);
  });
});

describe("latency", () => {
  it("baseMs delays every request (server-timing covers it)", async () => {
    env.setKnobs({ latency: { baseMs: 30 } });
    const res = await call(emulator, "/Metadata/PublicEnumerations");
    expect(delayOf(res)).toBe(30);
    expect(durOf(res)).toBeGreaterThanOrEqual(30);
  });

  it("jitter stays within [base, base + jitter)", async () => {
    env.setKnobs({ latency: { baseMs: 1, jitterMs: 20 } });
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) delays.push(delayOf(await call(emulator, "/Metadata/PublicEnumerations")));
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(1);
      expect(d).toBeLessThanOrEqual(21);
    }
    expect(new Set(delays).size).toBeGreaterThan(1);
  });

  it("perMbMs is proportional to the uncompressed size", async () => {
    env.setKnobs({ latency: { perMbMs: 10_000 } });
    const res = await call(emulator, "/Metadata/PublicEntities");
    expect(delayOf(res)).toBe(Math.round((res.raw.length / (1024 * 1024)) * 10_000));
  });

  it("a client that disconnects mid-body leaves the environment serving", async () => {
    env.setKnobs({ latency: { perMbMs: 200_000 } });
    const token = await emulator.issueToken({ audience: env.baseUrl });
    const { request } = await import("node:http");
    await new Promise<void>((resolve) => {
      const req = request(
        `${env.baseUrl}/Metadata/PublicEntities`,
        { headers: { authorization: `Bearer ${token}`, "accept-encoding": "gzip" }, agent: false },
        (res) => {
          res.on("error", () => {});
          res.on("close", () => resolve());
          req.destroy();
        },
      );
      req.on("error", () => resolve());
      req.end();
    });
    env.setKnobs({ latency: { perMbMs: 0 } });
    expect((await call(emulator, "/Metadata/PublicEntities")).status).toBe(200);
  });

  it("actions take actionMs ± 50%", async () => {
    env.setKnobs({ latency: { actionMs: 40 } });
    const action = await post(
      emulator,
      "/data/SystemNotifications/Microsoft.Dynamics.DataEntities.GetInstalledModules",
    );
    expect(delayOf(action)).toBeGreaterThanOrEqual(20);
    expect(delayOf(action)).toBeLessThanOrEqual(60);
    expect(delayOf(await call(emulator, "/Metadata/PublicEnumerations"))).toBe(0);
  });

  it("firstRequestMs applies once, and again after an in-place upgrade", async () => {
    const fresh = await startFixtureEmulator({ knobs: { latency: { firstRequestMs: 25 } } });
    try {
      const first = await call(fresh, "/Metadata/PublicEnumerations");
      const second = await call(fresh, "/Metadata/PublicEnumerations");
      expect([delayOf(first), delayOf(second)]).toEqual([25, 0]);
      await fresh.environments[0].setRelease(1);
      expect(delayOf(await call(fresh, "/Metadata/PublicEnumerations"))).toBe(25);
    } finally {
      await fresh.close();
    }
  });
});

describe("throttling", () => {
  it("429 above maxConcurrent, counted, with Retry-After", async () => {
    env.setKnobs({
      throttling: { enabled: true, maxConcurrent: 1, retryAfterSeconds: 3 },
      latency: { baseMs: 1500 },
    });
    const slow = call(emulator, "/Metadata/PublicEnumerations");
    while (env.counters().requests < 1) await new Promise((r) => setTimeout(r, 5));
    const rejected = await call(emulator, "/Metadata/PublicEnumerations");
    expect(rejected.status).toBe(429);
    expect(rejected.headers["retry-after"]).toBe("3");
    expect(rejected.json().error.message).toMatch(/high resource utilization/);
    expect((await slow).status).toBe(200);
    expect(env.counters()).toMatchObject({ throttled: 1, maxInFlight: 2 });
  });

  it("token bucket: Retry-After grows under continued pressure up to the max", async () => {
    env.setKnobs({
      throttling: {
        enabled: true,
        ratePerSecond: 0.001,
        burst: 1,
        retryAfterSeconds: 1,
        retryAfterGrowth: 2,
        maxRetryAfterSeconds: 4,
      },
    });
    const statuses: number[] = [];
    const advice: (string | undefined)[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await call(emulator, "/Metadata/PublicEnumerations");
      statuses.push(res.status);
      advice.push(res.headers["retry-after"] as string | undefined);
    }
    expect(statuses).toEqual([200, 429, 429, 429, 429]);
    expect(advice.slice(1)).toEqual(["1", "2", "4", "4"]);
  });

  it("omitRetryAfter sends 429 without the header", async () => {
    env.setKnobs({ throttling: { enabled: true, randomRate: 1, omitRetryAfter: true } });
    const res = await call(emulator, "/Metadata/PublicEnumerations");
    expect(res.status).toBe(429);
    expect(res.headers["retry-after"]).toBeUndefined();
  });

  it("a storm rate throttles that fraction at random", async () => {
    env.setKnobs({ throttling: { enabled: true, randomRate: 0.5 } });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await call(emulator, "/Metadata/PublicEnumerations")).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(2);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(2);
  });
});

describe("faults", () => {
  it("500 and 503 with the D365 error envelope", async () => {
    env.setKnobs({ faults: { error500Rate: 1 } });
    const e500 = await call(emulator, "/Metadata/PublicEnumerations");
    expect(e500.status).toBe(500);
    expect(e500.json().error).toMatchObject({ code: "", message: "An error has occurred." });
    env.setKnobs({ faults: { error500Rate: 0, error503Rate: 1 } });
    const e503 = await call(emulator, "/Metadata/PublicEnumerations");
    expect(e503.status).toBe(503);
    expect(e503.json().error.innererror.type).toBeTruthy();
    expect(env.counters().faults).toBe(2);
  });

  it("connection reset before any response", async () => {
    env.setKnobs({ faults: { resetRate: 1 } });
    await expect(call(emulator, "/Metadata/PublicEnumerations")).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(env.counters().faults).toBe(1);
  });

  it("truncated body (identity and gzip)", async () => {
    env.setKnobs({ faults: { truncateRate: 1 } });
    await expect(call(emulator, "/Metadata/PublicEntities")).rejects.toThrow(
      /aborted|ECONNRESET|hang up|unexpected end/i,
    );
    await expect(
      call(emulator, "/Metadata/PublicEntities", { headers: { "accept-encoding": "gzip" } }),
    ).rejects.toThrow();
    expect(env.counters().faults).toBe(2);
  });

  it("stall: headers arrive, then no body bytes for stallMs", async () => {
    env.setKnobs({ faults: { stallRate: 1, stallMs: 30_000 } });
    const token = await emulator.issueToken({ audience: env.baseUrl });
    const { request } = await import("node:http");
    const outcome = await new Promise<{ status: number; bytes: number }>((resolve, reject) => {
      const req = request(
        `${env.baseUrl}/Metadata/PublicEnumerations`,
        { headers: { authorization: `Bearer ${token}` }, agent: false },
        (res) => {
          let bytes = 0;
          res.on("data", (c: Buffer) => {
            bytes += c.length;
          });
          res.on("error", () => {});
          setTimeout(() => {
            resolve({ status: res.statusCode ?? 0, bytes });
            req.destroy();
          }, 300);
        },
      );
      req.on("error", (e) => (e.message.includes("aborted") ? undefined : reject(e)));
      req.end();
    });
    expect(outcome).toEqual({ status: 200, bytes: 0 });
    expect(env.counters().faults).toBe(1);
  });

  it("GetInstalledModules 403 switch", async () => {
    env.setKnobs({ faults: { installedModulesForbidden: true } });
    const res = await post(
      emulator,
      "/data/SystemNotifications/Microsoft.Dynamics.DataEntities.GetInstalledModules",
    );
    expect(res.status).toBe(403);
    expect(res.json().error.code).toBe("");
    expect(
      (
        await post(
          emulator,
          "/data/DataManagementEntities/Microsoft.Dynamics.DataEntities.GetApplicationVersion",
        )
      ).status,
    ).toBe(200);
  });

  it("pathPattern limits faults to matching paths", async () => {
    env.setKnobs({ faults: { error500Rate: 1, pathPattern: "^/Metadata/Labels" } });
    expect((await call(emulator, "/Metadata/PublicEnumerations")).status).toBe(200);
    expect((await call(emulator, "/Metadata/Labels(Id='@SYS1',Language='en-us')")).status).toBe(500);
  });

  it("knobs are per environment", async () => {
    env.setKnobs({ faults: { error500Rate: 1 } });
    expect((await call(emulator, "/Metadata/PublicEnumerations", { env: "other" })).status).toBe(200);
  });
});

describe("counters", () => {
  it("count requests by route, bytes sent after compression, and reset", async () => {
    const a = await call(emulator, "/Metadata/PublicEntities", { headers: { "accept-encoding": "gzip" } });
    const b = await call(emulator, "/Metadata/Labels(Id='@SYS1',Language='en-us')");
    const c = await post(
      emulator,
      "/data/SystemNotifications/Microsoft.Dynamics.DataEntities.GetInstalledModules",
    );
    await call(emulator, "/Metadata/PublicEntities('CustomerV3')");
    await call(emulator, "/nowhere");
    const counters = env.counters();
    expect(counters.requests).toBe(5);
    expect(counters.byRoute).toMatchObject({
      "metadata.publicEntities": 1,
      "metadata.publicEntities.byKey": 1,
      "metadata.labels": 1,
      "action.GetInstalledModules": 1,
      notFound: 1,
    });
    expect(counters.bytesSent).toBeGreaterThan(a.raw.length + b.raw.length + c.raw.length);
    env.resetCounters();
    expect(env.counters()).toMatchObject({ requests: 0, byRoute: {}, bytesSent: 0 });
  });

  it("bytesSent equals the bytes received", async () => {
    const a = await call(emulator, "/Metadata/PublicEntities", { headers: { "accept-encoding": "gzip" } });
    const b = await call(emulator, "/Metadata/DataEntities");
    expect(env.counters().bytesSent).toBe(a.raw.length + b.raw.length);
  });
});

describe("admin routes", () => {
  const admin = (path: string, method = "GET", body?: unknown) =>
    rawRequest(`${emulator.adminUrl}${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: { "content-type": "application/json" },
    });

  it("lists environments", async () => {
    const res = await admin("/environments");
    expect(res.json()).toEqual([
      { name: "dev", baseUrl: env.baseUrl, release: env.release.id, upgradeStep: 0 },
      {
        name: "other",
        baseUrl: emulator.environment("other").baseUrl,
        release: "10.0.43+u1",
        upgradeStep: 1,
      },
    ]);
  });

  it("reads and resets counters", async () => {
    await call(emulator, "/Metadata/PublicEnumerations");
    expect((await admin("/environments/dev/counters")).json()).toMatchObject({
      requests: 1,
      byRoute: { "metadata.publicEnumerations": 1 },
    });
    expect((await admin("/environments/dev/counters/reset", "POST")).json()).toMatchObject({ requests: 0 });
    expect(env.counters().requests).toBe(0);
  });

  it("reads and patches knobs (validated)", async () => {
    const patched = await admin("/environments/dev/knobs", "PATCH", { pageSize: 2, latency: { baseMs: 1 } });
    expect(patched.status).toBe(200);
    expect(patched.json()).toMatchObject({ pageSize: 2, latency: { baseMs: 1 } });
    expect(env.knobs().pageSize).toBe(2);
    expect((await admin("/environments/dev/knobs")).json().pageSize).toBe(2);
    const bad = await admin("/environments/dev/knobs", "PATCH", { pageSize: -1 });
    expect(bad.status).toBe(400);
    expect((await admin("/environments/dev/knobs", "PATCH", { nope: 1 })).status).toBe(400);
  });

  it("moves an environment to another release", async () => {
    const res = await admin("/environments/dev/release", "POST", { upgradeStep: 1 });
    expect(res.json()).toMatchObject({ release: "10.0.43+u1", upgradeStep: 1 });
    const version = await post(
      emulator,
      "/data/DataManagementEntities/Microsoft.Dynamics.DataEntities.GetApplicationBuildVersion",
    );
    expect(version.json().value).toBe("10.0.2177.99");
    await env.setRelease(0);
    expect((await admin("/environments/dev/release", "POST", { upgradeStep: -1 })).status).toBe(400);
  });

  it("404 for unknown environments and routes", async () => {
    expect((await admin("/environments/nope/counters")).status).toBe(404);
    expect((await admin("/elsewhere")).status).toBe(404);
  });
});
