/**
 * A sync in its own process, for the kill and concurrency tests: syncs one environment into the
 * store given by SYNC_CACHE_DIR (and SYNC_CACHE_URL for a database server, see _backends.ts) and
 * prints one JSON line per progress event on stdout (`{"progress":…}`), then `{"result":…}` or
 * `{"error":…}`. The parent SIGKILLs it at chosen points. Configuration comes from environment
 * variables (the bearer token too: it must never be written to disk).
 */
import { MetadataApiClient } from "../../packages/client/src/metadata/client.js";
import { SmartSyncManagerV2 } from "../../packages/client/src/sync/manager.js";
import { ModuleVersionDetector } from "../../packages/client/src/version/detector.js";
import { openStoreAt, storeLocationFromEnv } from "./_backends.js";

const location = storeLocationFromEnv(process.env);
const baseUrl = process.env.SYNC_BASE_URL;
const token = process.env.SYNC_TOKEN;
if (!location || !baseUrl || !token) {
  process.stderr.write("kill-child needs SYNC_CACHE_DIR, SYNC_BASE_URL and SYNC_TOKEN\n");
  process.exit(2);
}
const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

const line = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

const store = await openStoreAt(location);
const client = new MetadataApiClient({
  baseUrl,
  tokenProvider: { getToken: async () => token },
});
const detector = new ModuleVersionDetector({
  getInstalledModules: () => client.getInstalledModules(),
  getApplicationVersion: async () => null,
  getApplicationBuildVersion: () => client.getApplicationBuildVersion(),
  getPlatformBuildVersion: () => client.getPlatformBuildVersion(),
});
const sync = new SmartSyncManagerV2({
  store,
  source: client,
  detector,
  chunkSize: number("SYNC_CHUNK_SIZE", 200),
  windowSize: number("SYNC_WINDOW_SIZE", 500),
  windowsInFlight: number("SYNC_WINDOWS_IN_FLIGHT", 3),
  labelChunkSize: number("SYNC_LABEL_CHUNK_SIZE", 500),
  labelConcurrency: number("SYNC_LABEL_CONCURRENCY", 64),
  leaseTtlMs: number("SYNC_LEASE_TTL_MS", 30_000),
});

line({ ready: process.pid });
try {
  const result = await sync.syncIfNeeded({ onProgress: (event) => line({ progress: event }) });
  line({ result });
} catch (error) {
  const e = error as { code?: string; message?: string };
  line({ error: { code: e.code, message: e.message } });
  process.exitCode = 1;
} finally {
  await client.close();
  await store.close();
}
