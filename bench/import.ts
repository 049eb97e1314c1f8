/**
 * `npm run bench -- import [--json] [--preset large|medium|tiny]`
 *
 * A user switching from the Python tool: a Python-format v2 cache of the preset (three
 * environments: two on the base release sharing one version, one on the first upgrade), built in
 * the documented layout from the emulator's data by a child process, is imported into a fresh
 * store; then each environment's `syncIfNeeded()` runs against the emulator (its own process).
 * Figures: import wall time and peak RSS of this process, what was imported, and the requests
 * the first syncs needed (target ≤ 3 each: the version check only).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MetadataApiClient } from "../packages/client/src/metadata/client.js";
import { MetadataMigrationManager } from "../packages/client/src/migration/manager.js";
import { inspectStore, openMetadataStore } from "../packages/client/src/store/index.js";
import { SmartSyncManagerV2 } from "../packages/client/src/sync/manager.js";
import { ModuleVersionDetector } from "../packages/client/src/version/detector.js";
import type { EnvironmentCounters } from "../packages/emulator/src/api.js";
import { admin, fetchToken, startEmulatorProcess, stopEmulatorProcess } from "./_emulator-process.js";
import { round, trackPeakRss } from "./_stats.js";
import type { BenchArgs, BenchResult } from "./run.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

export async function run(args: BenchArgs): Promise<BenchResult> {
  const preset = String(args.flags.preset ?? "large");
  if (!["tiny", "medium", "large"].includes(preset)) throw new Error("--preset must be tiny|medium|large");
  const emu = await startEmulatorProcess(preset, { releases: "0,0,1", log: args.log });
  const dir = mkdtempSync(join(tmpdir(), "d365fo-bench-import-"));
  try {
    const source = join(dir, "python", "metadata_v2.db");
    mkdirSync(dirname(source), { recursive: true });
    const releases = [0, 0, 1];
    args.log(`building a Python-format cache of ${preset} (${emu.environments.length} environments)`);
    const buildStarted = performance.now();
    execFileSync(
      process.execPath,
      [
        "--conditions=d365fo-source",
        "--import",
        "tsx",
        join(ROOT, "bench/_build-python-cache.ts"),
        source,
        preset,
        ...emu.environments.map((e, i) => `${e.baseUrl}=${releases[i]}`),
      ],
      { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] },
    );
    const buildMs = performance.now() - buildStarted;
    const sourceBytes = statSync(source).size;

    const store = await openMetadataStore({ cacheDir: join(dir, "cache") });
    const manager = new MetadataMigrationManager({ store });
    args.log("importing");
    const rss = trackPeakRss(20);
    const cpu = process.cpuUsage();
    const started = performance.now();
    const result = await manager.migrate(source);
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    const peakRssMb = rss.stop();
    args.log(result.message);

    const rowsBeforeSync = await inspectStore(store).countMetadataRows();
    const requests: number[] = [];
    const outcomes: string[] = [];
    for (const env of emu.environments) {
      const bearer = await fetchToken(emu, env.baseUrl);
      await admin(emu, `${env.name}/counters/reset`, { method: "POST" });
      const client = new MetadataApiClient({
        baseUrl: env.baseUrl,
        tokenProvider: { getToken: async () => bearer },
      });
      const sync = new SmartSyncManagerV2({
        store,
        source: client,
        detector: new ModuleVersionDetector(client),
      });
      const synced = await sync.syncIfNeeded();
      await client.close();
      const counters = await admin<EnvironmentCounters>(emu, `${env.name}/counters`);
      requests.push(counters.requests - (counters.byRoute.token ?? 0));
      outcomes.push(synced.outcome);
    }
    const rowsWrittenBySync = (await inspectStore(store).countMetadataRows()) - rowsBeforeSync;
    await store.close();

    const figures = {
      preset,
      wallMs: round(wallMs, 0),
      cpuMs: round(cpuMs, 0),
      loadAverage: round(loadavg()[0], 1),
      environments: result.environmentsImported,
      versions: result.versionsImported,
      rows: result.rowsWritten,
      labels: result.labelsImported,
      peakRssMb,
      requestsAfterImport: Math.max(...requests),
      requestsPerEnvironment: requests,
      syncOutcomes: outcomes,
      rowsWrittenBySync,
      repairs: result.repairs,
      sourceBytes,
      buildMs: round(buildMs, 0),
    };
    return {
      figures,
      rows: [
        { metric: "import wall time", value: `${figures.wallMs} ms`, note: "target < 60 s" },
        {
          metric: "import CPU time",
          value: `${figures.cpuMs} ms`,
          note: `load average ${figures.loadAverage}`,
        },
        { metric: "environments imported", value: figures.environments },
        { metric: "versions imported", value: figures.versions, note: "two environments share one" },
        { metric: "rows written", value: figures.rows },
        { metric: "labels imported", value: figures.labels },
        { metric: "peak RSS (import)", value: `${peakRssMb} MB` },
        {
          metric: "requests after import (max per env)",
          value: figures.requestsAfterImport,
          note: "target ≤ 3",
        },
        { metric: "sync outcomes", value: outcomes.join(", ") },
        { metric: "metadata rows written by the syncs", value: rowsWrittenBySync, note: "0 expected" },
        { metric: "duplicated constraints removed", value: result.repairs.duplicateFixedConstraintsRemoved },
        { metric: "Python cache size", value: `${round(sourceBytes / 1048576, 1)} MB` },
        { metric: "Python cache build (child process)", value: `${figures.buildMs} ms` },
      ],
    };
  } finally {
    await stopEmulatorProcess(emu);
    rmSync(dir, { recursive: true, force: true });
  }
}
