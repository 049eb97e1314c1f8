/**
 * Crash safety: a child process syncing the `medium` preset (moving from release 0 to 1) is
 * SIGKILLed at ten points. After each kill the database is intact and the environment still
 * serves a complete version; each resumed sync downloads only what is not stored yet; the final
 * content equals an uninterrupted sync's in a separate database. On every store backend.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePublicEntity } from "../../packages/client/src/metadata/parse.js";
import type { MetadataStore, SyncPhase } from "../../packages/client/src/store/types.js";
import type { SyncProgressEvent, SyncResult, SyncStep } from "../../packages/client/src/sync/types.js";
import { SYNC_STEPS } from "../../packages/client/src/sync/types.js";
import type { EmulatorEnvironment, RunningEmulator } from "../../packages/emulator/src/api.js";
import {
  openBackendStore,
  type StoreLocation,
  type SyncStoreBackend,
  storeLocationEnv,
  syncStoreBackends,
} from "./_backends.js";
import { createSyncStack, emulatorCredential, startTestEmulator, tempDir } from "./_stack.js";

const CHILD = fileURLToPath(new URL("./kill-child.ts", import.meta.url));
const LABEL_CONCURRENCY = 16;

interface KillPoint {
  /** Kill at the `after`-th event of `step` (counted in this run), or at any event of a later step. */
  step: SyncStep | "ready";
  after: number;
}

// Ten points across every phase; each run resumes from where the previous one was killed.
const KILL_POINTS: KillPoint[] = [
  { step: "ready", after: 0 },
  { step: "dataEntities", after: 3 },
  { step: "dataEntities", after: 2 },
  { step: "publicEntities", after: 2 },
  { step: "publicEntities", after: 3 },
  { step: "enumerations", after: 2 },
  { step: "labels", after: 3 },
  { step: "labels", after: 8 },
  { step: "labels", after: 12 },
  { step: "finalize", after: 1 },
];

interface ChildRun {
  killed: boolean;
  events: SyncProgressEvent[];
  result?: SyncResult;
  error?: { code?: string; message?: string };
}

function runChild(
  env: EmulatorEnvironment,
  location: StoreLocation,
  token: string,
  kill?: KillPoint,
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      ["--conditions=d365fo-source", "--import", "tsx", CHILD],
      {
        env: {
          ...process.env,
          ...storeLocationEnv(location),
          SYNC_BASE_URL: env.baseUrl,
          SYNC_TOKEN: token,
          // Small chunks and windows: many commit points to be killed between.
          SYNC_CHUNK_SIZE: "50",
          SYNC_WINDOW_SIZE: "100",
          SYNC_WINDOWS_IN_FLIGHT: "2",
          SYNC_LABEL_CHUNK_SIZE: "100",
          SYNC_LABEL_CONCURRENCY: String(LABEL_CONCURRENCY),
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const run: ChildRun = { killed: false, events: [] };
    const perStep = new Map<string, number>();
    let stderr = "";
    child.stderr?.on("data", (d) => {
      stderr += String(d);
    });
    const shouldKill = (step: SyncStep | "ready"): boolean => {
      if (!kill || run.killed) return false;
      if (kill.step === "ready") return true;
      const order = (s: SyncStep | "ready") => (s === "ready" ? -1 : SYNC_STEPS.indexOf(s));
      if (order(step) > order(kill.step)) return true;
      return step === kill.step && (perStep.get(step) ?? 0) >= kill.after;
    };
    createInterface({ input: child.stdout! }).on("line", (text) => {
      const message = JSON.parse(text) as {
        ready?: number;
        progress?: SyncProgressEvent;
        result?: SyncResult;
        error?: ChildRun["error"];
      };
      if (message.progress) {
        const step = message.progress.step;
        perStep.set(step, (perStep.get(step) ?? 0) + 1);
        run.events.push(message.progress);
        if (shouldKill(step)) {
          run.killed = child.kill("SIGKILL");
        }
      } else if (message.ready !== undefined && shouldKill("ready")) {
        run.killed = child.kill("SIGKILL");
      }
      if (message.result) run.result = message.result;
      if (message.error) run.error = message.error;
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL" || code === 0) resolve(run);
      else reject(new Error(`child exited ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

describe.each(syncStoreBackends())("a sync killed at any point ($name)", (backend: SyncStoreBackend) => {
  let emulator: RunningEmulator;
  let env: EmulatorEnvironment;
  const killDir = tempDir("kill");
  const referenceDir = tempDir("kill-ref");
  let store: MetadataStore;
  let token: string;
  let baseVersionId: number;
  let referenceHash: string;
  /** Label ids the upgraded version references: what a resumed sync may still have to fetch. */
  let referenceLabelIds: string[];

  function byRoute(route: string): number {
    return env.counters().byRoute[route] ?? 0;
  }

  beforeAll(async () => {
    emulator = await startTestEmulator({ preset: "medium", environments: [{ name: "A" }] });
    env = emulator.environment("A");
    token = await emulator.issueToken({ audience: env.baseUrl });
    const credential = emulatorCredential(emulator);

    // The environment has been synced on release 0 and serves it.
    store = await openBackendStore(backend, killDir.path);
    const first = createSyncStack(env, store, credential);
    baseVersionId = (await first.sync.syncIfNeeded()).versionId;
    await first.close();

    // It is upgraded in place; an uninterrupted sync of the upgrade, in a separate store.
    await env.setRelease(1);
    const referenceStore = await openBackendStore(backend, referenceDir.path);
    const reference = createSyncStack(env, referenceStore, credential);
    const result = await reference.sync.syncIfNeeded();
    referenceHash = await referenceStore.getContentHash(result.versionId);
    referenceLabelIds = await referenceStore.listReferencedLabelIds(result.versionId);
    await reference.close();
    await referenceStore.close();
  }, 180_000);

  afterAll(async () => {
    await store?.close();
    await emulator?.close();
    killDir.remove();
    referenceDir.remove();
  });

  it("leaves a consistent store that serves the last good version and resumes without re-downloading", async () => {
    const killLocation = await backend.locate(killDir.path);
    const baseEntityName = (await store.listPublicEntityNames(baseVersionId))[0];
    const baseEntity = await store.getPublicEntity(baseVersionId, baseEntityName);
    let newVersionId: number | undefined;
    let kills = 0;
    const phasesSkipped = new Set<SyncPhase>();

    for (const point of [...KILL_POINTS, undefined]) {
      // What is stored before this run decides what it may download.
      const before = newVersionId === undefined ? undefined : await store.getSyncState(newVersionId);
      // Labels are fetched while definitions are still arriving (they overlap the entity phases), so
      // what a run may fetch is what the finished version references and is not stored yet.
      const storedLabels = new Set<string>();
      if (newVersionId !== undefined) {
        const missing = new Set(await store.listMissingLabelIds(newVersionId, "en-US"));
        for (const id of await store.listReferencedLabelIds(newVersionId)) {
          if (!missing.has(id)) storedLabels.add(id);
        }
      }
      const missingLabels = referenceLabelIds.filter((id) => !storedLabels.has(id)).length;
      env.resetCounters();

      const run = await runChild(env, killLocation, token, point);
      if (point) {
        expect(run.killed, `kill at ${point.step}#${point.after}`).toBe(true);
        kills++;
      } else {
        expect(run.error).toBeUndefined();
        // The last kill (at the finalize event, emitted once the version is complete) may land
        // before the killed process links the environment ("shared" now) or just after ("upToDate").
        expect(run.result?.outcome).toMatch(/^(resumed|shared|synced|upToDate)$/);
      }

      // The store is intact and the environment serves a complete version.
      // Checked on a new connection, as the next process sees it. (A SQLite connection kept open
      // across another process's writes can report a stale FTS5 structure; see docs/sync.md.)
      const fresh = await openBackendStore(backend, killDir.path);
      try {
        expect(await fresh.checkIntegrity(), `after kill at ${point?.step}#${point?.after}`).toEqual({
          ok: true,
          messages: [],
        });
      } finally {
        await fresh.close();
      }
      const serving = (await store.findEnvironment(env.baseUrl))?.versionId ?? null;
      expect(serving).not.toBeNull();
      expect((await store.getVersion(serving!))?.status).toBe("complete");
      newVersionId ??= (await store.listVersions()).find((v) => v.id !== baseVersionId)?.id;
      if (serving === baseVersionId) {
        expect(await store.getPublicEntity(baseVersionId, baseEntityName)).toEqual(baseEntity);
        expect(await store.getContentHash(baseVersionId)).toBeTypeOf("string");
      }

      // Completed phases were not downloaded again; labels only what was missing.
      if (before) {
        const done = new Set(before.completedPhases);
        const routes: Record<string, SyncPhase> = {
          "metadata.dataEntities": "dataEntities",
          "metadata.publicEntities": "publicEntities",
          "metadata.publicEnumerations": "enumerations",
          "metadata.labels": "labels",
        };
        for (const [route, phase] of Object.entries(routes)) {
          if (done.has(phase)) {
            expect(byRoute(route), `${route} after ${phase} was complete`).toBe(0);
            phasesSkipped.add(phase);
          }
        }
        if (!done.has("publicEntities")) {
          const windowsLeft = Math.ceil(
            (emulator.environment("A").release.publicEntities.length - before.publicEntityCount) / 100,
          );
          expect(byRoute("metadata.publicEntities")).toBeLessThanOrEqual(windowsLeft + 2);
        }
        // At most the missing labels (plus what the killed process may have had on the wire).
        expect(byRoute("metadata.labels")).toBeLessThanOrEqual(missingLabels + LABEL_CONCURRENCY);
      }
    }

    expect(kills).toBe(10);
    // Every phase was, at some point, complete before a run began, and that run did not fetch it.
    expect([...phasesSkipped].sort()).toEqual(["dataEntities", "enumerations", "labels", "publicEntities"]);
    expect(newVersionId).toBeDefined();
    expect((await store.findEnvironment(env.baseUrl))?.versionId).toBe(newVersionId);
    expect(await store.getContentHash(newVersionId!)).toBe(referenceHash);
    const upgraded = emulator.environment("A").release.publicEntities[0];
    expect(await store.getPublicEntity(newVersionId!, upgraded.Name)).toEqual(
      parsePublicEntity(upgraded, { collection: "PublicEntities" }),
    );
    expect(await store.listVersions()).toHaveLength(2);
  }, 300_000);
});
