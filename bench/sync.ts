/**
 * `npm run bench -- sync [--json] [--preset large|medium|tiny] [--latency realistic|zero]
 *  [--throttling on|off] [--skip-upgrade] [--window-size n] [--windows-in-flight n] [--chunk-size n]`
 *
 * Three syncs into one fresh store, against the emulator running in its own process (so this
 * process's RSS and CPU are the client's alone):
 * - fullSync: environment 1 (base release) from scratch;
 * - sharedEnvSync: environment 2 (same release): must link, not download;
 * - upgradeSync: environment 3 (the first upgrade): a new version sharing unchanged definitions.
 * Defaults: `large`, realistic latency and throttling (the emulator's `realisticKnobs()`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Agent, fetch } from "undici";
import type { EnvironmentCounters, KnobsPatch } from "../src/emulator/api.js";
import { realisticKnobs } from "../src/emulator/index.js";
import { MetadataApiClient } from "../src/metadata/client.js";
import { openMetadataStore } from "../src/store/index.js";
import type { MetadataStore } from "../src/store/types.js";
import { SmartSyncManagerV2 } from "../src/sync/manager.js";
import type { SmartSyncManagerOptions, SyncProgressEvent, SyncResult } from "../src/sync/types.js";
import { ModuleVersionDetector } from "../src/version/detector.js";
import { round, trackPeakRss } from "./_stats.js";
import type { BenchArgs, BenchResult, BenchRow } from "./run.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

interface EmulatorProcess {
  child: ChildProcess;
  environments: { name: string; baseUrl: string; release: string }[];
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string;
  adminUrl: string;
  caCertificatePath: string;
}

async function startEmulatorProcess(preset: string, log: (m: string) => void): Promise<EmulatorProcess> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(ROOT, "src/emulator/cli.ts"),
      "--preset",
      preset,
      "--envs",
      "3",
      "--releases",
      "0,0,1",
      "--log-level",
      "warn",
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
  );
  const first = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`emulator exited ${code} before it was ready`)));
  });
  const described = JSON.parse(first) as Omit<EmulatorProcess, "child">;
  log(
    `emulator (${preset}) ready: ${described.environments.map((e) => `${e.name}=${e.release}`).join(", ")}`,
  );
  return { child, ...described };
}

async function admin<T>(
  emu: EmulatorProcess,
  path: string,
  init?: { method: string; body?: unknown },
): Promise<T> {
  const response = await fetch(`${emu.adminUrl}/environments/${path}`, {
    method: init?.method ?? "GET",
    ...(init?.body === undefined
      ? {}
      : { body: JSON.stringify(init.body), headers: { "content-type": "application/json" } }),
  });
  if (!response.ok) throw new Error(`admin ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** A client-credentials token from the emulator's Entra-style endpoint (its CA trusted explicitly). */
async function fetchToken(emu: EmulatorProcess, audience: string): Promise<string> {
  const { readFileSync } = await import("node:fs");
  const dispatcher = new Agent({ connect: { ca: readFileSync(emu.caCertificatePath, "utf8") } });
  try {
    const response = await fetch(emu.tokenEndpoint, {
      method: "POST",
      dispatcher,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: emu.clientId,
        client_secret: emu.clientSecret,
        scope: `${audience}/.default`,
      }).toString(),
    });
    const body = (await response.json()) as { access_token?: string };
    if (!body.access_token) throw new Error(`token endpoint answered ${response.status}`);
    return body.access_token;
  } finally {
    await dispatcher.close();
  }
}

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
}

/** Sync tuning from the command line (`--window-size`, `--windows-in-flight`, `--chunk-size`). */
type Tuning = Pick<SmartSyncManagerOptions, "windowSize" | "windowsInFlight" | "chunkSize">;

async function measureSync(
  emu: EmulatorProcess,
  envName: string,
  store: MetadataStore,
  tuning: Tuning,
  log: (m: string) => void,
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
  const result = await sync.syncIfNeeded({ onProgress });
  const wallMs = performance.now() - started;
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

export async function run(args: BenchArgs): Promise<BenchResult> {
  const preset = String(args.flags.preset ?? "large");
  const latency = String(args.flags.latency ?? "realistic");
  const throttling = String(args.flags.throttling ?? (latency === "realistic" ? "on" : "off")) === "on";
  if (!["tiny", "medium", "large"].includes(preset)) throw new Error(`--preset must be tiny|medium|large`);
  if (!["zero", "realistic"].includes(latency)) throw new Error(`--latency must be zero|realistic`);

  const tuning: Tuning = {};
  for (const [flag, key] of [
    ["window-size", "windowSize"],
    ["windows-in-flight", "windowsInFlight"],
    ["chunk-size", "chunkSize"],
  ] as const) {
    if (args.flags[flag] !== undefined) tuning[key] = Number(args.flags[flag]);
  }
  const emu = await startEmulatorProcess(preset, args.log);
  const baselineRssMb = round(process.memoryUsage.rss() / 1048576, 1);
  const dir = mkdtempSync(join(tmpdir(), "d365fo-bench-sync-"));
  try {
    const profile = realisticKnobs();
    const patch: KnobsPatch = {
      ...(latency === "realistic" ? { latency: profile.latency } : {}),
      ...(throttling ? { throttling: profile.throttling } : {}),
    };
    for (const env of emu.environments)
      await admin(emu, `${env.name}/knobs`, { method: "PATCH", body: patch });
    const store = openMetadataStore({ cacheDir: dir });
    const [first, second, third] = emu.environments.map((e) => e.name);

    args.log(
      `full sync of ${first} (${preset}, latency ${latency}, throttling ${throttling ? "on" : "off"})`,
    );
    const full = await measureSync(emu, first, store, tuning, args.log);
    const afterFull = store.getStorageFootprint();

    args.log(`shared-environment sync of ${second}`);
    const rowsBefore = store.countMetadataRows();
    const shared = await measureSync(emu, second, store, tuning, args.log);
    const sharedRowsWritten = store.countMetadataRows() - rowsBefore;

    // `--skip-upgrade`: the upgrade sync costs as much as the full one (every label again).
    const skipUpgrade = args.flags["skip-upgrade"] === true;
    let upgrade: Measured | undefined;
    if (!skipUpgrade) {
      args.log(`upgrade sync of ${third}`);
      upgrade = await measureSync(emu, third, store, tuning, args.log);
    }
    const afterUpgrade = store.getStorageFootprint();
    const versions = store.listVersions().length;
    store.close();
    const dbBytes = fileBytes(join(dir, "metadata-v2.db"));

    const where = (m: Measured) => ({
      phasesMs: m.result.phases,
      cpuMs: round(m.cpuMs, 0),
      // Wall time not spent on our own CPU: waiting for the server (latency, throttling pauses).
      waitingMs: round(Math.max(0, m.wallMs - m.cpuMs), 0),
      cpuShare: round(m.cpuMs / m.wallMs, 3),
      throttled429: m.counters.throttled,
      limiterPausedMs: round(m.limiter.pausedMs, 0),
      limiterPeak: m.limiter.peakLimit,
      serverMaxInFlight: m.counters.maxInFlight,
      stepRssMb: m.stepRssMb,
      peakHeapMb: m.peakHeapMb,
    });
    const figures = {
      preset,
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
      { metric: "full sync wall", value: `${figures.fullSync.wallMs} ms`, note: `${preset}, ${latency}` },
      {
        metric: "full sync requests",
        value: figures.fullSync.requests,
        note: `${figures.fullSync.labelRequests} labels`,
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
    emu.child.kill("SIGTERM");
    await new Promise((r) => emu.child.once("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
}
