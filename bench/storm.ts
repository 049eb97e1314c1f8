/**
 * `npm run bench -- storm [--json] [--preset medium|tiny|large] [--latency zero|realistic]
 *  [--retry-after s] [--rates 0.2,0.5]`
 *
 * A full sync of one environment with the library's default settings (no retry or limiter
 * option), clean and then under 429 storms: for each rate (default 20 % and 50 % of all
 * requests refused at random), once with a constant `Retry-After` (default 0 s) and once
 * without the header. Each sync goes into a fresh store; its content hash is compared with the
 * clean sync's. Target: every case completes; at 50 % with Retry-After 0, within 5× the clean
 * wall time.
 *
 * The emulator runs in this process (the clean and the storm syncs share that cost); a warm-up
 * sync comes first and is not counted.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MetadataApiClient } from "../packages/client/src/metadata/client.js";
import { openMetadataStore } from "../packages/client/src/store/index.js";
import { SmartSyncManagerV2 } from "../packages/client/src/sync/manager.js";
import { ModuleVersionDetector } from "../packages/client/src/version/detector.js";
import type { EnvironmentSpec, RunningEmulator } from "../packages/emulator/src/api.js";
import { realisticKnobs, startEmulator } from "../packages/emulator/src/index.js";
import { round } from "./_stats.js";
import type { BenchArgs, BenchResult, BenchRow } from "./run.js";

interface StormCase {
  name: string;
  rate: number;
  /** Seconds, or undefined for a 429 without the header. */
  retryAfter?: number;
}

interface Outcome {
  wallMs: number;
  requests: number;
  throttled: number;
  contentHash: string;
  limiter: ReturnType<MetadataApiClient["limiterState"]>;
}

async function syncEnvironment(emulator: RunningEmulator, envName: string): Promise<Outcome> {
  const env = emulator.environment(envName);
  const token = await emulator.issueToken({ audience: env.baseUrl });
  const dir = mkdtempSync(join(tmpdir(), "d365fo-bench-storm-"));
  const store = await openMetadataStore({ cacheDir: dir, cacheUrl: "" });
  // Defaults as shipped: no `http` options at all.
  const client = new MetadataApiClient({
    baseUrl: env.baseUrl,
    tokenProvider: { getToken: async () => token },
  });
  try {
    const sync = new SmartSyncManagerV2({
      store,
      source: client,
      detector: new ModuleVersionDetector(client),
    });
    env.resetCounters();
    const started = performance.now();
    const result = await sync.syncIfNeeded();
    const wallMs = performance.now() - started;
    const counters = env.counters();
    return {
      wallMs,
      requests: counters.requests,
      throttled: counters.throttled,
      contentHash: await store.getContentHash(result.versionId),
      limiter: client.limiterState(),
    };
  } finally {
    await client.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(args: BenchArgs): Promise<BenchResult> {
  const preset = String(args.flags.preset ?? "medium");
  const latency = String(args.flags.latency ?? "zero");
  const retryAfter = Number(args.flags["retry-after"] ?? 0);
  const rates = String(args.flags.rates ?? "0.2,0.5")
    .split(",")
    .map(Number);
  if (!["tiny", "medium", "large"].includes(preset)) throw new Error("--preset must be tiny|medium|large");
  if (!["zero", "realistic"].includes(latency)) throw new Error("--latency must be zero|realistic");
  if (!Number.isFinite(retryAfter) || retryAfter < 0) throw new Error("--retry-after must be seconds >= 0");
  if (rates.some((r) => !(r > 0 && r < 1))) throw new Error("--rates must be fractions in (0, 1)");

  const cases: StormCase[] = rates.flatMap((rate) => [
    { name: `${rate * 100}% 429, Retry-After ${retryAfter}`, rate, retryAfter },
    { name: `${rate * 100}% 429, no Retry-After`, rate },
  ]);
  const environments: EnvironmentSpec[] = [
    { name: "clean" },
    ...cases.map((c, i) => ({
      name: `storm${i}`,
      knobs: {
        throttling: {
          enabled: true,
          randomRate: c.rate,
          // A storm is a fault, not pressure: a constant Retry-After (or none).
          retryAfterSeconds: c.retryAfter ?? 0,
          retryAfterGrowth: 1,
          omitRetryAfter: c.retryAfter === undefined,
        },
      },
    })),
  ];
  const latencyKnobs =
    latency === "realistic"
      ? realisticKnobs().latency
      : { baseMs: 0, jitterMs: 0, perMbMs: 0, actionMs: 0, firstRequestMs: 0 };
  const emulator = await startEmulator({
    preset: preset as "medium",
    environments,
    knobs: { latency: latencyKnobs },
  });
  try {
    // The first sync of the process pays for JIT warm-up and the emulator's first serialisation
    // of the release; the clean figure is the second one, like every storm sync after it.
    args.log(`warm-up sync (${preset}, latency ${latency})`);
    const warmup = await syncEnvironment(emulator, "clean");
    args.log(`clean sync`);
    const clean = await syncEnvironment(emulator, "clean");
    args.log(`  ${round(clean.wallMs / 1000, 1)} s, ${clean.requests} requests`);
    const results = [];
    for (const [index, storm] of cases.entries()) {
      args.log(`storm: ${storm.name}`);
      const outcome = await syncEnvironment(emulator, `storm${index}`);
      const ratio = outcome.wallMs / clean.wallMs;
      args.log(`  ${round(outcome.wallMs / 1000, 1)} s (${round(ratio, 2)}x), ${outcome.requests} requests`);
      results.push({
        case: storm.name,
        rate: storm.rate,
        retryAfterSeconds: storm.retryAfter ?? null,
        completed: true,
        wallMs: round(outcome.wallMs, 0),
        ratioToClean: round(ratio, 2),
        requests: outcome.requests,
        throttled: outcome.throttled,
        contentEqual: outcome.contentHash === clean.contentHash,
        limiter: {
          congestion429: outcome.limiter.congestion429,
          peakLimit: outcome.limiter.peakLimit,
          finalLimit: outcome.limiter.limit,
          pausedMs: outcome.limiter.pausedMs,
        },
      });
    }
    const figures = {
      preset,
      latency,
      warmupMs: round(warmup.wallMs, 0),
      clean: { wallMs: round(clean.wallMs, 0), requests: clean.requests },
      storms: results,
    };
    const rows: BenchRow[] = [
      { metric: "clean sync", value: `${figures.clean.wallMs} ms`, note: `${clean.requests} requests` },
      ...results.map((r) => ({
        metric: r.case,
        value: `${r.wallMs} ms (${r.ratioToClean}x)`,
        note: `${r.requests} req, ${r.throttled} x 429, content ${r.contentEqual ? "equal" : "DIFFERENT"}`,
      })),
    ];
    return { figures, rows };
  } finally {
    await emulator.close();
  }
}
