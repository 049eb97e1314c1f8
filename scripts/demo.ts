/**
 * `npm run demo`: the metadata cache end to end against the emulator, in one process.
 *
 * Three environments at the `medium` preset, two on one release (`dev`, `test`) and one upgraded
 * (`uat`). All three are synced into one temporary cache: `dev` downloads everything, `test`
 * only detects its module set and links to `dev`'s copy (the emulator's request counters show
 * it), `uat` downloads its own release. Then a search, an entity schema and the comparison of the
 * upgraded environment with `dev`. Everything is removed at the end.
 *
 * Results go to stdout, progress to stderr. Runs with tsx on a fresh clone (no build).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatBytes, formatDuration, renderTable } from "../packages/cli/src/cli/output.js";
import { createProgressReporter } from "../packages/cli/src/cli/progress.js";
import {
  renderComparison,
  renderEntity,
  renderSearch,
  renderStatistics,
} from "../packages/cli/src/cli/render.js";
import { MetadataCacheV2 } from "../packages/client/src/cache/index.js";
import { silentLogger } from "../packages/client/src/logging.js";
import type { SyncResult } from "../packages/client/src/sync/types.js";
import type { EmulatorEnvironment, RunningEmulator } from "../packages/emulator/src/index.js";
import { startEmulator } from "../packages/emulator/src/index.js";

const PRESET = "medium";
const ENVIRONMENTS = [
  { name: "dev", release: 0 },
  { name: "test", release: 0 },
  { name: "uat", release: 1 },
];

function heading(title: string): void {
  process.stdout.write(`\n=== ${title} ===\n\n`);
}

function print(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

function cacheFor(emulator: RunningEmulator, env: EmulatorEnvironment, cacheDir: string): MetadataCacheV2 {
  const { tenantId, clientId, clientSecret } = emulator.credentials;
  return new MetadataCacheV2({
    baseUrl: env.baseUrl,
    tenantId,
    clientId,
    clientSecret,
    authorityHost: emulator.authorityHost,
    credentialOptions: emulator.credentialOptions(),
    cacheDir,
    // The demo's own temporary SQLite cache, even when D365FO_CACHE_URL points at a team database.
    cacheUrl: "",
    logger: silentLogger,
  });
}

interface SyncRow {
  name: string;
  release: string;
  result: SyncResult;
  emulatorRequests: number;
  byRoute: Record<string, number>;
  bytesSent: number;
  wallMs: number;
}

// `npm run demo | head` closes stdout early; that is not an error of the demo.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
});

async function main(): Promise<number> {
  const started = Date.now();
  const cacheDir = mkdtempSync(join(tmpdir(), "d365fo-demo-"));
  process.stderr.write(`Starting the emulator (${PRESET} preset, ${ENVIRONMENTS.length} environments)…\n`);
  const emulator = await startEmulator({ preset: PRESET, environments: ENVIRONMENTS, logger: silentLogger });
  const caches: MetadataCacheV2[] = [];
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.on("SIGINT", onSigint);
  try {
    heading("Environments");
    print(
      renderTable(
        ["name", "base URL", "release", "modules"],
        emulator.environments.map((e) => [e.name, e.baseUrl, e.release.id, e.release.modules.length]),
      ),
    );

    heading("Sync (progress on stderr)");
    const rows: SyncRow[] = [];
    for (const env of emulator.environments) {
      const cache = cacheFor(emulator, env, cacheDir);
      caches.push(cache);
      await cache.initialize();
      env.resetCounters();
      const reporter = createProgressReporter(process.stderr, { enabled: true, label: env.name.padEnd(5) });
      const t0 = Date.now();
      let result: SyncResult;
      try {
        result = await cache.syncIfNeeded({
          signal: controller.signal,
          onProgress: (event) => reporter.update(event),
        });
      } finally {
        reporter.stop();
      }
      const counters = env.counters();
      rows.push({
        name: env.name,
        release: env.release.id,
        result,
        emulatorRequests: counters.requests,
        byRoute: counters.byRoute,
        bytesSent: counters.bytesSent,
        wallMs: Date.now() - t0,
      });
    }
    print(
      renderTable(
        ["environment", "release", "outcome", "version", "requests (emulator)", "sent by emulator", "time"],
        rows.map((r) => [
          r.name,
          r.release,
          r.result.outcome,
          r.result.versionHash,
          r.emulatorRequests,
          formatBytes(r.bytesSent),
          formatDuration(r.wallMs),
        ]),
      ),
    );
    const second = rows[1];
    // The token service counts per environment too, but it is not a request to the environment.
    const routes = Object.entries(second.byRoute).filter(([route]) => route !== "token");
    const tokens = second.byRoute.token ?? 0;
    print(
      `\n${second.name} runs the same module set as ${rows[0].name}: its sync cost ${second.emulatorRequests} request(s) ` +
        `to the environment (${routes.map(([route, n]) => `${route} ×${n}`).join(", ")}` +
        `${tokens ? `; plus ${tokens} token request(s) to Entra` : ""}) instead of ${rows[0].emulatorRequests}, ` +
        `and wrote ${second.result.metadataRowsWritten} metadata rows: it shares ${rows[0].name}'s copy.`,
    );
    if (second.emulatorRequests > 3) {
      process.stderr.write(
        `note: the shared sync cost ${second.emulatorRequests} requests to the environment; the target is at most 3\n`,
      );
    }

    heading("Sharing statistics");
    const stats = await caches[0].getStatistics();
    print(renderStatistics(stats, (await caches[0].store.describe()).location));

    const dev = caches[0];
    heading("Search: 'customer' (dev)");
    const page = await dev.searchEntities("customer", { limit: 8 });
    print(renderSearch(page));

    const entityName =
      page.hits.find((h) => h.kind === "publicEntity")?.name ??
      (await dev.searchEntities("customer", { kinds: ["publicEntity"], limit: 1 })).hits[0]?.name;
    if (entityName) {
      heading(`Entity schema: ${entityName} (dev)`);
      const entity = await dev.getPublicEntity(entityName);
      if (entity) print(renderEntity(entity));
    }

    heading("Compare: dev → uat (upgraded)");
    const comparison = await dev.compareEnvironments(
      emulator.environments[0].baseUrl,
      emulator.environments[2].baseUrl,
    );
    print(renderComparison("dev", "uat", comparison, { rows: 8, names: 10, moreHint: "" }));

    process.stderr.write(`\nDemo finished in ${formatDuration(Date.now() - started)}.\n`);
    return 0;
  } finally {
    process.off("SIGINT", onSigint);
    for (const cache of caches) await cache.close().catch(() => undefined);
    await emulator.close();
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const code = (error as { code?: unknown })?.code;
    process.stderr.write(
      `demo: ${(error as Error)?.message ?? String(error)}${typeof code === "string" ? ` [${code}]` : ""}\n`,
    );
    if (process.env.D365FO_DEMO_VERBOSE) process.stderr.write(`${(error as Error)?.stack}\n`);
    process.exitCode = 1;
  },
);
