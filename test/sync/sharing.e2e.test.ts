/**
 * Version sharing end to end: environments A and B on one release, C on its upgrade, over real
 * HTTP against the emulator and a real store, on every store backend.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePublicEntity } from "../../packages/client/src/metadata/parse.js";
import type { PublicEntityJson } from "../../packages/client/src/metadata/wire.js";
import { inspectStore } from "../../packages/client/src/store/index.js";
import type { MetadataStore } from "../../packages/client/src/store/types.js";
import type { SyncResult } from "../../packages/client/src/sync/types.js";
import type { EmulatorEnvironment, RunningEmulator } from "../../packages/emulator/src/api.js";
import type { EmulatorRelease } from "../../packages/emulator/src/model/types.js";
import { openBackendStore, type SyncStoreBackend, syncStoreBackends } from "./_backends.js";
import { createSyncStack, emulatorCredential, startTestEmulator, tempDir } from "./_stack.js";

function metadataRequests(env: EmulatorEnvironment): number {
  return Object.entries(env.counters().byRoute)
    .filter(([route]) => route.startsWith("metadata."))
    .reduce((n, [, count]) => n + count, 0);
}

function wireEntity(release: EmulatorRelease, name: string): PublicEntityJson | undefined {
  return release.publicEntities.find((e) => e.Name === name);
}

/** Entities that differ between two releases: changed, removed in `to`, added in `to`. */
function releaseDiff(from: EmulatorRelease, to: EmulatorRelease) {
  const before = new Map(from.publicEntities.map((e) => [e.Name, JSON.stringify(e)]));
  const after = new Map(to.publicEntities.map((e) => [e.Name, JSON.stringify(e)]));
  return {
    changed: [...after.keys()].filter((n) => before.has(n) && before.get(n) !== after.get(n)),
    removed: [...before.keys()].filter((n) => !after.has(n)),
    added: [...after.keys()].filter((n) => !before.has(n)),
    unchanged: [...after.keys()].filter((n) => before.get(n) === after.get(n)),
  };
}

describe.each(syncStoreBackends())(
  "version sharing across environments ($name)",
  (backend: SyncStoreBackend) => {
    let emulator: RunningEmulator;
    let dir: ReturnType<typeof tempDir>;
    let store: MetadataStore;
    let base: EmulatorRelease;
    let upgrade: EmulatorRelease;

    async function syncEnv(
      name: string,
    ): Promise<{ result: SyncResult; requests: number; metadata: number }> {
      const env = emulator.environment(name);
      env.resetCounters();
      const stack = createSyncStack(env, store, emulatorCredential(emulator));
      try {
        const result = await stack.sync.syncIfNeeded();
        return { result, requests: env.counters().requests, metadata: metadataRequests(env) };
      } finally {
        await stack.close();
      }
    }

    async function servingVersion(name: string): Promise<number> {
      const id = (await store.findEnvironment(emulator.environment(name).baseUrl))?.versionId;
      if (id === null || id === undefined) throw new Error(`${name} serves no version`);
      return id;
    }

    async function referenceCount(versionId: number): Promise<number | undefined> {
      return (await store.getVersion(versionId))?.referenceCount;
    }

    beforeAll(async () => {
      emulator = await startTestEmulator({
        preset: "medium",
        environments: [{ name: "A" }, { name: "B" }, { name: "C", release: 1 }],
      });
      dir = tempDir("sharing");
      store = await openBackendStore(backend, dir.path);
    });

    afterAll(async () => {
      await store?.close();
      await emulator?.close();
      dir?.remove();
    });

    it("downloads A, links B with at most 3 requests and no rows, downloads C's upgrade", async () => {
      base = emulator.environment("A").release;
      upgrade = emulator.environment("C").release;

      const a = await syncEnv("A");
      expect(a.result.outcome).toBe("synced");
      expect(a.result.shared).toBe(false);
      expect(a.result.labelsFetched).toBeGreaterThan(1000);
      expect(a.result.metadataRowsWritten).toBeGreaterThan(0);

      const rowsBefore = await inspectStore(store).countMetadataRows();
      const b = await syncEnv("B");
      expect(b.result.outcome).toBe("shared");
      expect(b.result.shared).toBe(true);
      expect(b.requests).toBeLessThanOrEqual(3);
      expect(b.metadata).toBe(0);
      expect(b.result.metadataRowsWritten).toBe(0);
      expect(await inspectStore(store).countMetadataRows()).toBe(rowsBefore);
      expect(b.result.versionId).toBe(a.result.versionId);

      const c = await syncEnv("C");
      expect(c.result.outcome).toBe("synced");
      expect(c.result.versionId).not.toBe(a.result.versionId);

      const versions = await store.listVersions();
      expect(versions).toHaveLength(2);
      expect(versions.every((v) => v.status === "complete")).toBe(true);
      expect(await referenceCount(a.result.versionId)).toBe(2);
      expect(await referenceCount(c.result.versionId)).toBe(1);
      expect((await store.checkIntegrity()).ok).toBe(true);
      // Two full syncs of `medium`: ≈30-55 s on a loaded 2-core machine, more on a database server.
    }, 180_000);

    it("serves each environment the entity definitions of its own release", async () => {
      const diff = releaseDiff(base, upgrade);
      expect(diff.changed.length + diff.removed.length + diff.added.length).toBeGreaterThan(0);
      const vA = await servingVersion("A");
      const vB = await servingVersion("B");
      const vC = await servingVersion("C");
      expect(vA).toBe(vB);
      const expectEntity = async (versionId: number, release: EmulatorRelease, name: string) => {
        const wire = wireEntity(release, name);
        const stored = await store.getPublicEntity(versionId, name);
        if (!wire) {
          expect(stored, `${name} must be absent`).toBeUndefined();
          return;
        }
        expect(stored, name).toEqual(parsePublicEntity(wire, { collection: "PublicEntities" }));
      };
      for (const name of [
        ...diff.changed.slice(0, 5),
        ...diff.removed.slice(0, 5),
        ...diff.added.slice(0, 5),
      ]) {
        await expectEntity(vA, base, name);
        await expectEntity(vC, upgrade, name);
      }
      for (const name of diff.unchanged.slice(0, 5)) {
        await expectEntity(vB, base, name);
        await expectEntity(vC, upgrade, name);
      }
      expect((await store.listPublicEntityNames(vA)).length).toBe(base.publicEntities.length);
      expect((await store.listPublicEntityNames(vC)).length).toBe(upgrade.publicEntities.length);
      expect((await store.listDataEntityNames(vC)).length).toBe(upgrade.dataEntities.length);
      expect((await store.listEnumerationNames(vC)).length).toBe(upgrade.enumerations.length);
      const label = base.labels.get("en-us")!;
      const referenced = new Set(await store.listReferencedLabelIds(vA));
      const [someId, someText] = [...label.entries()].find(([id]) => referenced.has(id))!;
      expect(await store.getLabel(vA, someId, "en-US")).toBe(someText);
    });

    it("keeps reference counts equal to linked environments while environments move, and after cleanup", async () => {
      const vBase = await servingVersion("A");
      const vUpgrade = await servingVersion("C");
      const upgradeHash = await store.getContentHash(vUpgrade);

      // An in-place upgrade is invisible until the environment syncs: it keeps serving the old version.
      await emulator.environment("B").setRelease(1);
      expect(await servingVersion("B")).toBe(vBase);
      const b = await syncEnv("B");
      expect(b.result.outcome).toBe("shared");
      expect(b.result.previousVersionId).toBe(vBase);
      expect(b.metadata).toBe(0);
      expect(b.requests).toBeLessThanOrEqual(3);
      expect(await referenceCount(vBase)).toBe(1);
      expect(await referenceCount(vUpgrade)).toBe(2);

      await emulator.environment("A").setRelease(1);
      await syncEnv("A");
      expect(await referenceCount(vBase)).toBe(0);
      expect(await referenceCount(vUpgrade)).toBe(3);

      // Syncing again changes nothing.
      const again = await syncEnv("A");
      expect(again.result.outcome).toBe("upToDate");
      expect(await referenceCount(vUpgrade)).toBe(3);

      const cleaned = await store.cleanupVersions({
        olderThan: new Date(Date.now() + 60_000),
        dryRun: false,
      });
      expect(cleaned.versionIds).toEqual([vBase]);
      expect(await store.getVersion(vBase)).toBeUndefined();
      expect((await store.listVersions()).map((v) => [v.id, v.referenceCount])).toEqual([[vUpgrade, 3]]);
      expect(await store.getContentHash(vUpgrade)).toBe(upgradeHash);
      expect((await store.checkIntegrity()).ok).toBe(true);
    });
  },
);
