/**
 * `npm run bench -- sync [--json] [--preset large|medium|tiny] [--latency realistic|strict|zero]
 *  [--throttling on|off] [--skip-upgrade] [--window-size n] [--windows-in-flight n] [--chunk-size n]
 *  [--backend sqlite|postgres] [--cache-url postgres://…]`
 *
 * Three syncs into one fresh store, against the emulator running in its own process (so this
 * process's RSS and CPU are the client's alone):
 * - fullSync: environment 1 (base release) from scratch;
 * - sharedEnvSync: environment 2 (same release): must link, not download;
 * - upgradeSync: environment 3 (the first upgrade): a new version sharing unchanged definitions.
 * Defaults: `large`, realistic latency and throttling (the emulator's `realisticKnobs()`; `strict`
 * adds the historic per-user limits), SQLite
 * in a temp dir. With `--backend postgres` the store is the database at `--cache-url` (or
 * `D365FO_CACHE_URL`), which must hold no version yet: the full sync must download everything.
 * Each sync reports `limitMs` (its lower bound under the knobs, `_limit.ts`), `ratioToLimit` and
 * `throttled` (429s, seconds paused on Retry-After).
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MetadataCacheV2 } from "../packages/client/src/cache/metadata-cache.js";
import { ConfigurationError, NotSyncedError } from "../packages/client/src/errors.js";
import { MetadataApiClient } from "../packages/client/src/metadata/client.js";
import { inspectStore, openMetadataStore } from "../packages/client/src/store/index.js";
import type { MetadataStore } from "../packages/client/src/store/types.js";
import { SmartSyncManagerV2 } from "../packages/client/src/sync/manager.js";
import type {
  SmartSyncManagerOptions,
  SyncProgressEvent,
  SyncResult,
} from "../packages/client/src/sync/types.js";
import { ModuleVersionDetector } from "../packages/client/src/version/detector.js";
import type { EnvironmentCounters, KnobsPatch } from "../packages/emulator/src/api.js";
import { realisticKnobs } from "../packages/emulator/src/index.js";
import { type BenchBackend, withBenchBackend } from "./_backend.js";
import {
  admin,
  type EmulatorProcess,
  fetchToken,
  startEmulatorProcess,
  stopEmulatorProcess,
} from "./_emulator-process.js";
import { syncLowerBoundMs } from "./_limit.js";
import { round, trackPeakRss } from "./_stats.js";
import type { BenchArgs, BenchResult, BenchRow } from "./run.js";

const ZERO_LATENCY = { baseMs: 0, jitterMs: 0, perMbMs: 0, actionMs: 0, firstRequestMs: 0 };

interface Measured {
  result: SyncResult;
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
  counters: EnvironmentCounters;
  limiter: ReturnType<MetadataApiClient["limiterState"]>;
  /** Highest JS heap in use seen at a progress event (MB): RSS minus this is native memory. */
  peakHeapMb: number;
  /** Highest RSS seen at a progress event of each step (MB). */
  stepRssMb: Record<string, number>;
  /**
   * From the start of the sync to the first moment `getPublicEntity` and `searchEntities` answered
   * for the environment (schema first), ms; null when not probed or never before the end.
   */
  timeToSchemaMs: number | null;
}

/** The entity the schema-first probe looks up (every preset has it). */
const PROBE_ENTITY = "CustomerV3";

/**
 * Polls, every 25 ms, what a second reader of the store (no network) can answer for the
 * environment: the time at which a lookup and a search by name first both succeed.
 */
function probeSchema(
  baseUrl: string,
  store: MetadataStore,
  started: number,
): { stop: () => Promise<number | null> } {
  const reader = new MetadataCacheV2({ baseUrl, store }, {});
  let answeredAt: number | null = null;
  let stopped = false;
  const loop = (async () => {
    while (!stopped && answeredAt === null) {
      try {
        const entity = await reader.getPublicEntity(PROBE_ENTITY);
        const hits = entity ? (await reader.searchEntities(PROBE_ENTITY)).hits : [];
        if (hits.some((h) => h.name === PROBE_ENTITY)) answeredAt = performance.now() - started;
      } catch (error) {
        if (!(error instanceof NotSyncedError)) throw error;
      }
      if (answeredAt === null) await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      await reader.close();
      return answeredAt === null ? null : Math.round(answeredAt);
    },
  };
}

/** Sync tuning from the command line (`--window-size`, `--windows-in-flight`, `--chunk-size`). */
type Tuning = Pick<SmartSyncManagerOptions, "windowSize" | "windowsInFlight" | "chunkSize">;

async function measureSync(
  emu: EmulatorProcess,
  envName: string,
  store: MetadataStore,
  tuning: Tuning,
  log: (m: string) => void,
  probe = false,
): Promise<Measured> {
  const env = emu.environments.find((e) => e.name === envName)!;
  const token = await fetchToken(emu, env.baseUrl);
  await admin(emu, `${envName}/counters/reset`, { method: "POST" });
  const client = new MetadataApiClient({
    baseUrl: env.baseUrl,
    tokenProvider: { getToken: async () => token },
  });
  // GetInstalledModules plus the application and platform versions: the sync's three-request budget.
  const detector = new ModuleVersionDetector(client);
  const sync = new SmartSyncManagerV2({ store, source: client, detector, ...tuning });
  let lastLog = 0;
  const stepRssMb: Record<string, number> = {};
  let peakHeapMb = 0;
  const onProgress = (e: SyncProgressEvent) => {
    const memory = process.memoryUsage();
    stepRssMb[e.step] = Math.max(stepRssMb[e.step] ?? 0, round(memory.rss / 1048576, 1));
    peakHeapMb = Math.max(peakHeapMb, round(memory.heapUsed / 1048576, 1));
    const now = performance.now();
    if (now - lastLog < 5000 && !e.stepDone) return;
    lastLog = now;
    const eta = e.etaMs === null ? "" : ` eta ${Math.round(e.etaMs / 1000)}s`;
    log(
      `  ${envName} ${e.step} ${e.done}/${e.total ?? "?"} ${e.ratePerSecond}/s${eta} (${e.requests} req, ${round(e.bytesReceived / 1048576, 1)} MB)`,
    );
  };
  const rss = trackPeakRss(20);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const schema = probe ? probeSchema(env.baseUrl, store, started) : undefined;
  const result = await sync.syncIfNeeded({ onProgress }).finally(() => schema?.stop());
  const wallMs = performance.now() - started;
  const timeToSchemaMs = (await schema?.stop()) ?? null;
  const used = process.cpuUsage(cpu);
  const peakRssMb = rss.stop();
  const limiter = client.limiterState();
  await client.close();
  const counters = await admin<EnvironmentCounters>(emu, `${envName}/counters`);
  return {
    result,
    wallMs,
    cpuMs: (used.user + used.system) / 1000,
    peakRssMb,
    peakHeapMb,
    counters,
    limiter,
    stepRssMb,
    timeToSchemaMs,
  };
}

function fileBytes(path: string): number {
  let total = 0;
  for (const suffix of ["", "-wal"]) {
    try {
      total += statSync(path + suffix).size;
    } catch {
      // absent
    }
  }
  return total;
}

export function run(args: BenchArgs): Promise<BenchResult> {
  return withBenchBackend(args, (backend) => runWith(args, backend));
}

async function runWith(args: BenchArgs, chosen: BenchBackend): Promise<BenchResult> {
  const preset = String(args.flags.preset ?? "large");
  const latency = String(args.flags.latency ?? "realistic");
  const { backend, cacheUrl } = chosen;
  const throttling = String(args.flags.throttling ?? (latency === "zero" ? "off" : "on")) === "on";
  if (!["tiny", "medium", "large"].includes(preset)) throw new Error(`--preset must be tiny|medium|large`);
  if (!["zero", "realistic", "strict"].includes(latency))
    throw new Error(`--latency must be zero|realistic|strict`);

  const tuning: Tuning = {};
  for (const [flag, key] of [
    ["window-size", "windowSize"],
    ["windows-in-flight", "windowsInFlight"],
    ["chunk-size", "chunkSize"],
  ] as const) {
    if (args.flags[flag] !== undefined) tuning[key] = Number(args.flags[flag]);
  }
  const emu = await startEmulatorProcess(preset, { releases: "0,0,1", log: args.log });
  const baselineRssMb = round(process.memoryUsage.rss() / 1048576, 1);
  const dir = mkdtempSync(join(tmpdir(), "d365fo-bench-sync-"));
  try {
    // `strict`: realistic latency with the historic per-user limits (52 in flight, 20 requests/s).
    const profile = realisticKnobs({ strictUserLimits: latency === "strict" });
    const patch: KnobsPatch = {
      ...(latency !== "zero" ? { latency: profile.latency } : {}),
      ...(throttling ? { throttling: profile.throttling } : {}),
    };
    for (const env of emu.environments)
      await admin(emu, `${env.name}/knobs`, { method: "PATCH", body: patch });
    const store = await openMetadataStore({ cacheDir: dir, cacheUrl });
    const { location } = await store.describe();
    if ((await store.listVersions()).length > 0) {
      await store.close();
      throw new ConfigurationError(
        `The sync benchmark needs an empty store; ${backend} ${location} already holds versions`,
      );
    }
    args.log(`store: ${backend} ${location}`);
    const [first, second, third] = emu.environments.map((e) => e.name);

    args.log(
      `full sync of ${first} (${preset}, latency ${latency}, throttling ${throttling ? "on" : "off"})`,
    );
    const full = await measureSync(emu, first, store, tuning, args.log, true);
    const afterFull = await store.getStorageFootprint();

    args.log(`shared-environment sync of ${second}`);
    const rowsBefore = await inspectStore(store).countMetadataRows();
    const shared = await measureSync(emu, second, store, tuning, args.log);
    const sharedRowsWritten = (await inspectStore(store).countMetadataRows()) - rowsBefore;

    // `--skip-upgrade`: the upgrade sync costs as much as the full one (every label again).
    const skipUpgrade = args.flags["skip-upgrade"] === true;
    let upgrade: Measured | undefined;
    if (!skipUpgrade) {
      args.log(`upgrade sync of ${third}`);
      upgrade = await measureSync(emu, third, store, tuning, args.log);
    }
    const afterUpgrade = await store.getStorageFootprint();
    const versions = (await store.listVersions()).length;
    await store.close();
    // SQLite: the file once closed (WAL checkpointed); a server: the bytes it reports.
    const dbBytes = backend === "sqlite" ? fileBytes(join(dir, "metadata-v2.db")) : afterUpgrade.totalBytes;

    const knobs = {
      latency: { ...ZERO_LATENCY, ...(patch.latency ?? {}) },
      throttling: {
        enabled: false,
        maxConcurrent: 0,
        ratePerSecond: 0,
        burst: 0,
        ...(patch.throttling ?? {}),
      },
    };
    const limitFigures = (m: Measured) => {
      const limitMs = syncLowerBoundMs({
        ...knobs,
        requests: m.counters.requests,
        labelRequests: m.counters.byRoute["metadata.labels"] ?? 0,
        actionRequests: Object.entries(m.counters.byRoute)
          .filter(([route]) => route.startsWith("action."))
          .reduce((n, [, count]) => n + count, 0),
        bytesReceived: m.result.bytesReceived,
        windowsInFlight: tuning.windowsInFlight ?? 3,
        clientMaxConcurrent: 48,
      });
      return { limitMs, ratioToLimit: round(m.wallMs / limitMs, 2) };
    };
    const where = (m: Measured) => ({
      phasesMs: m.result.phases,
      cpuMs: round(m.cpuMs, 0),
      // Wall time not spent on our own CPU: waiting for the server (latency, throttling pauses).
      waitingMs: round(Math.max(0, m.wallMs - m.cpuMs), 0),
      cpuShare: round(m.cpuMs / m.wallMs, 3),
      throttled429: m.counters.throttled,
      limiterPausedMs: round(m.limiter.pausedMs, 0),
      throttled: { count: m.counters.throttled, pausedSeconds: round(m.limiter.pausedMs / 1000, 1) },
      ...limitFigures(m),
      limiterPeak: m.limiter.peakLimit,
      serverMaxInFlight: m.counters.maxInFlight,
      stepRssMb: m.stepRssMb,
      peakHeapMb: m.peakHeapMb,
    });
    const figures = {
      preset,
      backend,
      latency,
      throttling,
      tuning,
      // RSS of this process before any sync (runtime, tsx, libraries): the floor under peakRssMb.
      baselineRssMb,
      fullSync: {
        wallMs: round(full.wallMs, 0),
        requests: full.counters.requests,
        clientRequests: full.result.requests,
        bytesReceived: full.result.bytesReceived,
        peakRssMb: full.peakRssMb,
        labelRequests: full.counters.byRoute["metadata.labels"] ?? 0,
        labelsFetched: full.result.labelsFetched,
        metadataRowsWritten: full.result.metadataRowsWritten,
        ...where(full),
        timeToSchemaMs: full.timeToSchemaMs,
      },
      sharedEnvSync: {
        wallMs: round(shared.wallMs, 1),
        requests: shared.counters.requests,
        metadataRowsWritten: sharedRowsWritten,
        outcome: shared.result.outcome,
        cpuMs: round(shared.cpuMs, 1),
        peakRssMb: shared.peakRssMb,
      },
      upgradeSync: upgrade && {
        wallMs: round(upgrade.wallMs, 0),
        requests: upgrade.counters.requests,
        bytesReceived: upgrade.result.bytesReceived,
        peakRssMb: upgrade.peakRssMb,
        labelRequests: upgrade.counters.byRoute["metadata.labels"] ?? 0,
        metadataRowsWritten: upgrade.result.metadataRowsWritten,
        dbGrowthRatio: round(
          (afterUpgrade.metadataBytes - afterFull.metadataBytes) / afterFull.metadataBytes,
          4,
        ),
        fileGrowthRatio: round((afterUpgrade.totalBytes - afterFull.totalBytes) / afterFull.totalBytes, 4),
        ...where(upgrade),
      },
      dbBytes,
      metadataBytes: round(afterUpgrade.metadataBytes, 0),
      versions,
    };
    const rows: BenchRow[] = [
      {
        metric: "full sync wall",
        value: `${figures.fullSync.wallMs} ms`,
        note: `${preset}, ${latency}, ${backend}`,
      },
      {
        metric: "full sync requests",
        value: figures.fullSync.requests,
        note: `${figures.fullSync.labelRequests} labels`,
      },
      {
        metric: "time to schema",
        value: full.timeToSchemaMs === null ? "-" : `${full.timeToSchemaMs} ms`,
        note: "lookups and search by name answer (schema first)",
      },
      { metric: "full sync received", value: `${round(figures.fullSync.bytesReceived / 1048576, 1)} MB` },
      { metric: "full sync peak RSS", value: `${figures.fullSync.peakRssMb} MB`, note: "target <= 300" },
      {
        metric: "full sync our CPU",
        value: `${figures.fullSync.cpuMs} ms`,
        note: `waiting ${figures.fullSync.waitingMs} ms`,
      },
      {
        metric: "shared env sync",
        value: `${figures.sharedEnvSync.wallMs} ms`,
        note: `cpu ${figures.sharedEnvSync.cpuMs} ms`,
      },
      { metric: "shared env requests", value: figures.sharedEnvSync.requests, note: "target <= 3" },
      {
        metric: "shared env rows written",
        value: figures.sharedEnvSync.metadataRowsWritten,
        note: "target 0",
      },
      { metric: "upgrade sync wall", value: `${figures.upgradeSync?.wallMs ?? "-"} ms` },
      { metric: "upgrade growth", value: figures.upgradeSync?.dbGrowthRatio ?? "-", note: "target <= 0.15" },
      { metric: "db bytes", value: dbBytes },
    ];
    for (const [phase, ms] of Object.entries(full.result.phases)) {
      rows.push({ metric: `full sync ${phase}`, value: `${ms} ms` });
    }
    return { figures, rows };
  } finally {
    await stopEmulatorProcess(emu);
    rmSync(dir, { recursive: true, force: true });
  }
}
