/**
 * One machine of the team benchmark (bench/team.ts): its own cache directory, the team's store
 * URL, one environment. Waits for the common start time, syncs, prints one JSON line.
 */
import { MetadataApiClient } from "../packages/client/src/metadata/client.js";
import { openMetadataStore } from "../packages/client/src/store/index.js";
import { SmartSyncManagerV2 } from "../packages/client/src/sync/manager.js";
import { ModuleVersionDetector } from "../packages/client/src/version/detector.js";

interface WorkerInput {
  baseUrl: string;
  token: string;
  cacheDir: string;
  cacheUrl: string;
  startAt: number;
}

const input = JSON.parse(process.argv[2] ?? "{}") as WorkerInput;
const store = await openMetadataStore({ cacheDir: input.cacheDir, cacheUrl: input.cacheUrl });
const client = new MetadataApiClient({
  baseUrl: input.baseUrl,
  tokenProvider: { getToken: async () => input.token },
});
const sync = new SmartSyncManagerV2({ store, source: client, detector: new ModuleVersionDetector(client) });
await new Promise((resolve) => setTimeout(resolve, Math.max(0, input.startAt - Date.now())));
const started = performance.now();
try {
  const result = await sync.syncIfNeeded();
  process.stdout.write(
    `${JSON.stringify({
      outcome: result.outcome,
      shared: result.shared,
      versionId: result.versionId,
      modulesHash: result.modulesHash,
      wallMs: Math.round(performance.now() - started),
    })}\n`,
  );
} finally {
  await client.close();
  await store.close();
}
