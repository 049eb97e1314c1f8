/**
 * Version sharing end to end: environments A and B on one release, C on its upgrade, over real
 * HTTP against the emulator and a real SQLite store.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmulatorEnvironment, RunningEmulator } from "../../src/emulator/api.js";
import type { EmulatorRelease } from "../../src/emulator/model/types.js";
import { parsePublicEntity } from "../../src/metadata/parse.js";
import type { PublicEntityJson } from "../../src/metadata/wire.js";
import type { MetadataStore } from "../../src/store/types.js";
import type { SyncResult } from "../../src/sync/types.js";
import { createSyncStack, emulatorCredential, openStore, startTestEmulator, tempDir } from "./_stack.js";

let emulator: RunningEmulator;
let dir: ReturnType<typeof tempDir>;
let store: MetadataStore;

function metadataRequests(env: EmulatorEnvironment): number {
  return Object.entries(env.counters().byRoute)
    .filter(([route]) => route.startsWith("metadata."))
    .reduce((n, [, count]) => n + count, 0);
}

async function syncEnv(name: string): Promise<{ result: SyncResult; requests: number; metadata: number }> {
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

function servingVersion(name: string): number {
  const id = store.findEnvironment(emulator.environment(name).baseUrl)?.versionId;
  if (id === null || id === undefined) throw new Error(`${name} serves no version`);
  return id;
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

beforeAll(async () => {
  emulator = await startTestEmulator({
    preset: "medium",
    environments: [{ name: "A" }, { name: "B" }, { name: "C", release: 1 }],
  });
  dir = tempDir("sharing");
  store = openStore(dir.path);
});

afterAll(async () => {
  store?.close();
  await emulator?.close();
  dir?.remove();
});

describe("version sharing across environments", () => {
  let base: EmulatorRelease;
  let upgrade: EmulatorRelease;

  it("downloads A, links B with at most 3 requests and no rows, downloads C's upgrade", async () => {
    base = emulator.environment("A").release;
    upgrade = emulator.environment("C").release;

    const a = await syncEnv("A");
    expect(a.result.outcome).toBe("synced");
    expect(a.result.shared).toBe(false);
    expect(a.result.labelsFetched).toBeGreaterThan(1000);
    expect(a.result.metadataRowsWritten).toBeGreaterThan(0);

    const rowsBefore = store.countMetadataRows();
    const b = await syncEnv("B");
    expect(b.result.outcome).toBe("shared");
    expect(b.result.shared).toBe(true);
    expect(b.requests).toBeLessThanOrEqual(3);
    expect(b.metadata).toBe(0);
    expect(b.result.metadataRowsWritten).toBe(0);
    expect(store.countMetadataRows()).toBe(rowsBefore);
    expect(b.result.versionId).toBe(a.result.versionId);

    const c = await syncEnv("C");
    expect(c.result.outcome).toBe("synced");
    expect(c.result.versionId).not.toBe(a.result.versionId);

    const versions = store.listVersions();
    expect(versions).toHaveLength(2);
    expect(versions.every((v) => v.status === "complete")).toBe(true);
    expect(store.getVersion(a.result.versionId)?.referenceCount).toBe(2);
    expect(store.getVersion(c.result.versionId)?.referenceCount).toBe(1);
    expect(store.checkIntegrity().ok).toBe(true);
  });

  it("serves each environment the entity definitions of its own release", () => {
    const diff = releaseDiff(base, upgrade);
    expect(diff.changed.length + diff.removed.length + diff.added.length).toBeGreaterThan(0);
    const vA = servingVersion("A");
    const vB = servingVersion("B");
    const vC = servingVersion("C");
    expect(vA).toBe(vB);
    const expectEntity = (versionId: number, release: EmulatorRelease, name: string) => {
      const wire = wireEntity(release, name);
      const stored = store.getPublicEntity(versionId, name);
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
      expectEntity(vA, base, name);
      expectEntity(vC, upgrade, name);
    }
    for (const name of diff.unchanged.slice(0, 5)) {
      expectEntity(vB, base, name);
      expectEntity(vC, upgrade, name);
    }
    expect(store.listPublicEntityNames(vA).length).toBe(base.publicEntities.length);
    expect(store.listPublicEntityNames(vC).length).toBe(upgrade.publicEntities.length);
    expect(store.listDataEntityNames(vC).length).toBe(upgrade.dataEntities.length);
    expect(store.listEnumerationNames(vC).length).toBe(upgrade.enumerations.length);
    const label = base.labels.get("en-us")!;
    const [someId, someText] = [...label.entries()].find(([id]) =>
      store.listReferencedLabelIds(vA).includes(id),
    )!;
    expect(store.getLabel(vA, someId, "en-US")).toBe(someText);
  });

  it("keeps reference counts equal to linked environments while environments move, and after cleanup", async () => {
    const vBase = servingVersion("A");
    const vUpgrade = servingVersion("C");
    const upgradeHash = store.getContentHash(vUpgrade);

    // An in-place upgrade is invisible until the environment syncs: it keeps serving the old version.
    await emulator.environment("B").setRelease(1);
    expect(servingVersion("B")).toBe(vBase);
    const b = await syncEnv("B");
    expect(b.result.outcome).toBe("shared");
    expect(b.result.previousVersionId).toBe(vBase);
    expect(b.metadata).toBe(0);
    expect(b.requests).toBeLessThanOrEqual(3);
    expect(store.getVersion(vBase)?.referenceCount).toBe(1);
    expect(store.getVersion(vUpgrade)?.referenceCount).toBe(2);

    await emulator.environment("A").setRelease(1);
    await syncEnv("A");
    expect(store.getVersion(vBase)?.referenceCount).toBe(0);
    expect(store.getVersion(vUpgrade)?.referenceCount).toBe(3);

    // Syncing again changes nothing.
    const again = await syncEnv("A");
    expect(again.result.outcome).toBe("upToDate");
    expect(store.getVersion(vUpgrade)?.referenceCount).toBe(3);

    const cleaned = store.cleanupVersions({ olderThan: new Date(Date.now() + 60_000), dryRun: false });
    expect(cleaned.versionIds).toEqual([vBase]);
    expect(store.getVersion(vBase)).toBeUndefined();
    expect(store.listVersions().map((v) => [v.id, v.referenceCount])).toEqual([[vUpgrade, 3]]);
    expect(store.getContentHash(vUpgrade)).toBe(upgradeHash);
    expect(store.checkIntegrity().ok).toBe(true);
  });
});
