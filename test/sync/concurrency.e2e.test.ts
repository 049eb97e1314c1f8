/**
 * Two syncs of the same new module set at once (two processes, or two connections): one
 * downloads under the store's lease, the other waits and links, or refuses with `wait: false`;
 * a lease left by a dead process is taken over. Never two global versions for one module set.
 * On every store backend; on a database server also two processes with different cache
 * directories (two machines) sharing one store.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SyncInProgressError } from "../../packages/client/src/errors.js";
import { MetadataApiClient } from "../../packages/client/src/metadata/client.js";
import { createLeaseOwner } from "../../packages/client/src/sync/lease.js";
import type { SyncResult } from "../../packages/client/src/sync/types.js";
import type { EmulatorEnvironment, RunningEmulator } from "../../packages/emulator/src/api.js";
import {
  openBackendStore,
  type StoreLocation,
  type SyncStoreBackend,
  storeLocationEnv,
  syncStoreBackends,
} from "./_backends.js";
import {
  createSyncStack,
  emulatorCredential,
  startTestEmulator,
  tempDir,
  threeCallDetector,
} from "./_stack.js";

const CHILD = fileURLToPath(new URL("./kill-child.ts", import.meta.url));

let emulator: RunningEmulator;
const dirs: ReturnType<typeof tempDir>[] = [];

function newDir(): string {
  const dir = tempDir("concurrency");
  dirs.push(dir);
  return dir.path;
}

function downloads(env: EmulatorEnvironment): number {
  const routes = env.counters().byRoute;
  return (routes["metadata.publicEntities"] ?? 0) + (routes["metadata.labels"] ?? 0);
}

/** Starts a sync in a child process; `ready` resolves when it is about to sync. */
function childSync(
  env: EmulatorEnvironment,
  location: StoreLocation,
  token: string,
): { ready: Promise<void>; result: Promise<SyncResult> } {
  let onReady: () => void = () => {};
  const ready = new Promise<void>((r) => {
    onReady = r;
  });
  const result = new Promise<SyncResult>((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=d365fo-source", "--import", "tsx", CHILD], {
      env: { ...process.env, ...storeLocationEnv(location), SYNC_BASE_URL: env.baseUrl, SYNC_TOKEN: token },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += String(d);
      if (out.includes('"ready"')) onReady();
    });
    child.stderr.on("data", (d) => {
      err += String(d);
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const line = out
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { result?: SyncResult })
        .find((m) => m.result);
      if (code === 0 && line?.result) resolve(line.result);
      else reject(new Error(`child exited ${code}: ${err.slice(-2000)}`));
    });
  });
  return { ready, result };
}

beforeAll(async () => {
  emulator = await startTestEmulator({
    preset: "tiny",
    environments: [{ name: "A" }, { name: "B" }, { name: "C" }, { name: "D" }],
  });
});

afterEach(() => {
  for (const env of emulator.environments) env.resetCounters();
});

afterAll(async () => {
  await emulator?.close();
  for (const dir of dirs) dir.remove();
});

describe.each(syncStoreBackends())("two syncs of one module set ($name)", (backend: SyncStoreBackend) => {
  const open = (dir: string) => openBackendStore(backend, dir);

  /**
   * One sync in this process and one in a child, of two environments on one module set. The
   * child's store is `childLocation` (the same store as `dir`, possibly through another cache
   * directory).
   */
  async function syncTwoProcesses(dir: string, childLocation: StoreLocation): Promise<void> {
    const [a, b] = [emulator.environment("A"), emulator.environment("B")];
    const store = await open(dir);
    const token = await emulator.issueToken({ audience: b.baseUrl });
    // A little latency so that both syncs overlap for certain.
    for (const env of [a, b]) env.setKnobs({ latency: { baseMs: 10 } });
    const stack = createSyncStack(a, store, emulatorCredential(emulator));
    const child = childSync(b, childLocation, token);
    await child.ready;
    const [inProcess, other] = await Promise.all([stack.sync.syncIfNeeded(), child.result]);
    await stack.close();
    for (const env of [a, b]) env.setKnobs({ latency: { baseMs: 0 } });

    const outcomes = [inProcess.outcome, other.outcome].sort();
    expect(outcomes).toEqual(["shared", "synced"]);
    expect(inProcess.versionId).toBe(other.versionId);
    // The side that did not download waited for the other one.
    const waiter = inProcess.outcome === "shared" ? inProcess : other;
    expect(waiter.waitedMs).toBeGreaterThan(0);
    // Exactly one of the two environments was downloaded from.
    expect([downloads(a) > 0, downloads(b) > 0].filter(Boolean)).toHaveLength(1);
    expect(await store.listVersions()).toHaveLength(1);
    expect((await store.getVersion(inProcess.versionId))?.referenceCount).toBe(2);
    expect(await store.getSyncLease(inProcess.versionId)).toBeUndefined();
    expect((await store.checkIntegrity()).ok).toBe(true);
    await store.close();
  }

  it("two processes: one downloads, the other waits for it and links", async () => {
    const dir = newDir();
    await syncTwoProcesses(dir, await backend.locate(dir));
  });

  it.runIf(backend.sharedAcrossCacheDirs)(
    "two machines (separate cache directories, one store): one downloads, the other links",
    async () => {
      const dir = newDir();
      const elsewhere = newDir();
      await syncTwoProcesses(dir, { ...(await backend.locate(dir)), cacheDir: elsewhere });
    },
  );

  it("wait: false answers SyncInProgressError while another sync holds the lease", async () => {
    const dir = newDir();
    const first = await open(dir);
    const second = await open(dir);
    const [a, b] = [emulator.environment("A"), emulator.environment("B")];
    const stackA = createSyncStack(a, first, emulatorCredential(emulator));
    const stackB = createSyncStack(b, second, emulatorCredential(emulator));
    let refused: unknown;
    let attempted = false;
    const running = stackA.sync.syncIfNeeded({
      onProgress: (event) => {
        if (event.step === "dataEntities" && !attempted) {
          attempted = true;
          refused = stackB.sync.syncIfNeeded({ wait: false }).catch((error: unknown) => error);
        }
      },
    });
    const result = await running;
    const error = await refused;
    expect(error).toBeInstanceOf(SyncInProgressError);
    expect((error as SyncInProgressError).code).toBe("D365_SYNC_IN_PROGRESS");
    expect(downloads(b)).toBe(0);
    // The refusing side then simply links once the first sync is done.
    const later = await stackB.sync.syncIfNeeded({ wait: false });
    expect(later.outcome).toBe("shared");
    expect(later.versionId).toBe(result.versionId);
    expect(await second.listVersions()).toHaveLength(1);
    await stackA.close();
    await stackB.close();
    await first.close();
    await second.close();
  });

  it("takes over a lease whose owner process is dead, and an expired lease of another host", async () => {
    const c = emulator.environment("C");
    for (const staleOwner of ["dead", "expired"] as const) {
      const dir = newDir();
      const store = await open(dir);
      const client = new MetadataApiClient({ baseUrl: c.baseUrl, credential: emulatorCredential(emulator) });
      const info = await threeCallDetector(client).getEnvironmentVersion();
      await client.close();
      const { version } = await store.getOrCreateVersion(info, null);
      let owner: string;
      if (staleOwner === "dead") {
        const gone = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
        await new Promise((r) => gone.on("exit", r));
        owner = createLeaseOwner(gone.pid!);
        // Valid for ten minutes: only the owner's death allows taking it over.
        expect(await store.tryAcquireSyncLease(version.id, owner, 600_000)).toBe(true);
      } else {
        owner = createLeaseOwner(4242, "another-host");
        expect(await store.tryAcquireSyncLease(version.id, owner, 300)).toBe(true);
      }
      const stack = createSyncStack(c, store, emulatorCredential(emulator), { pollIntervalMs: 50 });
      const result = await stack.sync.syncIfNeeded({ waitTimeoutMs: 60_000 });
      await stack.close();
      expect(result.outcome, staleOwner).toBe("synced");
      expect(result.versionId).toBe(version.id);
      expect((await store.getVersion(version.id))?.status).toBe("complete");
      expect(await store.getSyncLease(version.id)).toBeUndefined();
      await store.close();
    }
  });

  it("a live lease of another host is waited for, not taken", async () => {
    const d = emulator.environment("D");
    const store = await open(newDir());
    const client = new MetadataApiClient({ baseUrl: d.baseUrl, credential: emulatorCredential(emulator) });
    const info = await threeCallDetector(client).getEnvironmentVersion();
    await client.close();
    const { version } = await store.getOrCreateVersion(info, null);
    expect(await store.tryAcquireSyncLease(version.id, createLeaseOwner(4242, "another-host"), 600_000)).toBe(
      true,
    );
    const stack = createSyncStack(d, store, emulatorCredential(emulator), { pollIntervalMs: 20 });
    await expect(stack.sync.syncIfNeeded({ waitTimeoutMs: 200 })).rejects.toBeInstanceOf(SyncInProgressError);
    await stack.close();
    expect((await store.getVersion(version.id))?.status).toBe("pending");
    expect(downloads(d)).toBe(0);
    await store.close();
  });
});
