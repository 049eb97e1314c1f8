/**
 * Schema first: a *first* sync of an environment makes its version queryable as soon as data
 * entities, public entities and enumerations are complete; label texts follow. A cache that reads
 * the store (here one with no network access, as another process would) answers lookups, search by
 * name and schema questions, says `labelsComplete: false`, and serves the complete version once the
 * labels are done. A sync SIGKILLed at that stage leaves the staged version served and resumes.
 * On every store backend.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MetadataCacheV2 } from "../../packages/client/src/cache/metadata-cache.js";
import { AbortedError, NotSyncedError } from "../../packages/client/src/errors.js";
import type { MetadataStore } from "../../packages/client/src/store/types.js";
import type { SyncProgressEvent } from "../../packages/client/src/sync/types.js";
import type { RunningEmulator } from "../../packages/emulator/src/api.js";
import {
  openBackendStore,
  type SyncStoreBackend,
  storeLocationEnv,
  syncStoreBackends,
} from "../sync/_backends.js";
import {
  createSyncStack,
  emulatorCredential,
  type SyncStack,
  startTestEmulator,
  tempDir,
} from "../sync/_stack.js";

const CHILD = fileURLToPath(new URL("../sync/kill-child.ts", import.meta.url));
/** Label requests take a little time, so the labels outlast the entity phases by seconds. */
const SLOW_LABELS = { latency: { baseMs: 15, jitterMs: 0, perMbMs: 0, actionMs: 0, firstRequestMs: 0 } };

/** A cache on the store alone (no network): what a second process, or the CLI, would see. */
function offlineCache(baseUrl: string, store: MetadataStore): MetadataCacheV2 {
  return new MetadataCacheV2({ baseUrl, store }, {});
}

async function entityPhasesComplete(store: MetadataStore, versionId: number): Promise<boolean> {
  const { completedPhases } = await store.getSyncState(versionId);
  return ["dataEntities", "publicEntities", "enumerations"].every((p) =>
    completedPhases.includes(p as never),
  );
}

async function until(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A sync cancelled as soon as its entity phases are stored (its labels still in flight). */
function syncStoppedWithLabelsPending(stack: SyncStack, store: MetadataStore): Promise<unknown> {
  const controller = new AbortController();
  let stopping = false;
  const onProgress = (event: SyncProgressEvent) => {
    if (stopping || event.step !== "enumerations" || !event.stepDone) return;
    stopping = true;
    void until(() => entityPhasesComplete(store, event.versionId)).then(() => controller.abort());
  };
  return stack.sync.syncIfNeeded({ signal: controller.signal, onProgress });
}

describe.each(syncStoreBackends())("schema first ($name)", (backend: SyncStoreBackend) => {
  let emulator: RunningEmulator;
  const dirs: { remove: () => void }[] = [];
  let referenceHash: string;
  /** CustomerV3 as a complete sync stored it. */
  let reference: { entitySetName: string; properties: string[] };

  function dir(prefix: string): string {
    const d = tempDir(prefix);
    dirs.push(d);
    return d.path;
  }

  beforeAll(async () => {
    emulator = await startTestEmulator({
      preset: "medium",
      environments: [
        { name: "reference" },
        { name: "aborted", knobs: SLOW_LABELS },
        { name: "live", knobs: SLOW_LABELS },
        { name: "killed", knobs: SLOW_LABELS },
        { name: "upgraded", knobs: SLOW_LABELS },
      ],
    });
    const store = await openBackendStore(backend, dir("sf-ref"));
    const stack = createSyncStack(emulator.environment("reference"), store, emulatorCredential(emulator));
    const result = await stack.sync.syncIfNeeded();
    referenceHash = await store.getContentHash(result.versionId);
    const customer = await store.getPublicEntity(result.versionId, "CustomerV3");
    reference = {
      entitySetName: customer!.entitySetName,
      properties: customer!.properties.map((p) => p.name),
    };
    await stack.close();
    await store.close();
  }, 180_000);

  afterAll(async () => {
    await emulator?.close();
    for (const d of dirs) d.remove();
  });

  it("serves the version once entities and enumerations are complete, labels pending, then complete", async () => {
    const env = emulator.environment("aborted");
    const store = await openBackendStore(backend, dir("sf-abort"));
    const stack = createSyncStack(env, store, emulatorCredential(emulator));
    const reader = offlineCache(env.baseUrl, store);
    try {
      await expect(reader.getPublicEntity("CustomerV3")).rejects.toBeInstanceOf(NotSyncedError);
      // Stop the sync (as a cancel would) once its entity phases are stored: labels are in flight.
      await expect(syncStoppedWithLabelsPending(stack, store)).rejects.toBeInstanceOf(AbortedError);

      const version = await reader.getEnvironmentVersion({ cachedOnly: true });
      expect(version.labelsComplete).toBe(false);
      expect(version.toJSON()).toMatchObject({ labelsComplete: false });
      const entity = await reader.getPublicEntity("CustomerV3");
      expect(entity?.entitySetName).toBe(reference.entitySetName);
      expect(entity?.properties.map((p) => p.name)).toEqual(reference.properties);
      const search = await reader.searchEntities("CustomerV3");
      expect(search.hits[0]?.name).toBe("CustomerV3");
      const statistics = await reader.getStatistics();
      expect(statistics.labelsComplete).toBe(false);
      expect(statistics.versionsWithLabelsPending).toEqual([version.versionHash]);
      expect(statistics.storedVersions).toBe(0);

      // The resumed sync completes the labels; the same reader then serves the complete version.
      const resumed = await stack.sync.syncIfNeeded();
      expect(resumed.outcome).toBe("resumed");
      await reader.refreshServingVersion();
      expect((await reader.getEnvironmentVersion({ cachedOnly: true })).labelsComplete).toBe(true);
      expect((await reader.getPublicEntity("CustomerV3"))?.labelText).toBe("Customers V3");
      expect((await reader.getStatistics()).versionsWithLabelsPending).toEqual([]);
      expect(await store.getContentHash(resumed.versionId)).toBe(referenceHash);
    } finally {
      await reader.close();
      await stack.close();
      await store.close();
    }
  });

  it("answers lookups while the labels of a running first sync are still being fetched", async () => {
    const env = emulator.environment("live");
    const store = await openBackendStore(backend, dir("sf-live"));
    const stack = createSyncStack(env, store, emulatorCredential(emulator));
    const reader = offlineCache(env.baseUrl, store);
    try {
      let syncDone = false;
      const syncing = stack.sync.syncIfNeeded().finally(() => {
        syncDone = true;
      });
      let answeredDuringSync: { labelsComplete: boolean | undefined; found: boolean } | undefined;
      while (!syncDone && !answeredDuringSync) {
        const entity = await reader.getPublicEntity("CustomerV3").catch((error: unknown) => {
          if (error instanceof NotSyncedError) return undefined;
          throw error;
        });
        if (entity) {
          const version = await reader.getEnvironmentVersion({ cachedOnly: true });
          const found = (await reader.searchEntities("CustomerV3")).hits[0]?.name === "CustomerV3";
          answeredDuringSync = { labelsComplete: version.labelsComplete, found };
        } else {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      const result = await syncing;
      expect(result.outcome).toBe("synced");
      expect(answeredDuringSync).toEqual({ labelsComplete: false, found: true });
      await reader.refreshServingVersion();
      expect((await reader.getEnvironmentVersion({ cachedOnly: true })).labelsComplete).toBe(true);
    } finally {
      await reader.close();
      await stack.close();
      await store.close();
    }
  });

  it("keeps serving the complete version during an upgrade's labels, unless asked for schema first always", async () => {
    const env = emulator.environment("upgraded");
    const store = await openBackendStore(backend, dir("sf-upgrade"));
    const stack = createSyncStack(env, store, emulatorCredential(emulator));
    const byDefault = offlineCache(env.baseUrl, store);
    const always = new MetadataCacheV2({ baseUrl: env.baseUrl, store, schemaFirst: "always" }, {});
    try {
      const base = await stack.sync.syncIfNeeded();
      await env.setRelease(1);
      await expect(syncStoppedWithLabelsPending(stack, store)).rejects.toBeInstanceOf(AbortedError);
      const served = await byDefault.getEnvironmentVersion({ cachedOnly: true });
      expect(served).toMatchObject({ modulesHash: base.modulesHash, labelsComplete: true });
      const staged = await always.getEnvironmentVersion({ cachedOnly: true });
      expect(staged.labelsComplete).toBe(false);
      expect(staged.modulesHash).not.toBe(base.modulesHash);
      expect((await always.getPublicEntity("CustomerV3"))?.name).toBe("CustomerV3");
    } finally {
      await always.close();
      await byDefault.close();
      await stack.close();
      await store.close();
    }
  });

  it("a sync SIGKILLed with its labels pending leaves the version served schema first, and resumes", async () => {
    const env = emulator.environment("killed");
    const cacheDir = dir("sf-kill");
    const location = await backend.locate(cacheDir);
    const token = await emulator.issueToken({ audience: env.baseUrl });
    const store = await openBackendStore(backend, cacheDir);
    try {
      const killed = await new Promise<boolean>((resolve, reject) => {
        const child: ChildProcess = spawn(
          process.execPath,
          ["--conditions=d365fo-source", "--import", "tsx", CHILD],
          {
            env: {
              ...process.env,
              ...storeLocationEnv(location),
              SYNC_BASE_URL: env.baseUrl,
              SYNC_TOKEN: token,
              SYNC_LABEL_CONCURRENCY: "8",
            },
            stdio: ["ignore", "pipe", "pipe"],
          },
        );
        let killing = false;
        createInterface({ input: child.stdout! }).on("line", (text) => {
          const message = JSON.parse(text) as { progress?: SyncProgressEvent };
          const event = message.progress;
          if (killing || !event || event.step !== "enumerations" || !event.stepDone) return;
          killing = true;
          void until(() => entityPhasesComplete(store, event.versionId)).then(() => child.kill("SIGKILL"));
        });
        child.on("error", reject);
        child.on("exit", (_code, signal) => resolve(signal === "SIGKILL"));
      });
      expect(killed).toBe(true);

      // As the next process sees it: intact, served schema first.
      const fresh = await openBackendStore(backend, cacheDir);
      const reader = offlineCache(env.baseUrl, fresh);
      try {
        expect((await fresh.checkIntegrity()).ok).toBe(true);
        expect((await reader.getEnvironmentVersion({ cachedOnly: true })).labelsComplete).toBe(false);
        expect((await reader.getPublicEntity("CustomerV3"))?.name).toBe("CustomerV3");
        expect((await reader.searchEntities("CustomerV3")).hits[0]?.name).toBe("CustomerV3");
      } finally {
        await reader.close();
        await fresh.close();
      }

      // The next sync resumes: no entity collection is downloaded again; the content is a clean sync's.
      env.resetCounters();
      const stack = createSyncStack(env, store, emulatorCredential(emulator));
      const result = await stack.sync.syncIfNeeded().finally(() => stack.close());
      expect(result.outcome).toBe("resumed");
      const byRoute = env.counters().byRoute;
      expect(byRoute["metadata.publicEntities"] ?? 0).toBe(0);
      expect(byRoute["metadata.dataEntities"] ?? 0).toBe(0);
      expect(await store.getContentHash(result.versionId)).toBe(referenceHash);
    } finally {
      await store.close();
    }
  }, 180_000);
});
