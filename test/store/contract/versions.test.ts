import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GlobalVersionManager, retentionCutoff } from "../../../packages/client/src/store/index.js";
import { EnvironmentVersionInfo } from "../../../packages/client/src/version/models.js";
import { type StoreUnderTest, storeBackends } from "../backends.js";
import { fullPublicEntity, label, simpleEntity, versionInfo } from "../fixtures.js";

describe.each(storeBackends())("global versions, links and leases ($name)", (backend) => {
  let store: StoreUnderTest;

  beforeEach(async () => {
    store = await backend.open();
  });
  afterEach(async () => {
    await backend.cleanup();
  });

  async function completeVersion(tag: string) {
    const { version } = await store.getOrCreateVersion(versionInfo(tag), null);
    await store.writePublicEntities(version.id, [simpleEntity(`Entity${tag}`, 3)]);
    await store.completeVersion(version.id);
    return version.id;
  }

  const refCount = async (id: number) => (await store.getVersion(id))?.referenceCount;

  it("getOrCreateVersion is idempotent and stores every module", async () => {
    const info = versionInfo("1", 25);
    const first = await store.getOrCreateVersion(info, null);
    const second = await store.getOrCreateVersion(versionInfo("1", 25), null);
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.version.id).toBe(first.version.id);
    expect(first.version).toMatchObject({
      status: "pending",
      referenceCount: 0,
      moduleCount: 25,
      versionHash: info.modulesHash.slice(0, 16),
      modulesHash: info.modulesHash,
      applicationVersion: "10.0.1",
    });
    expect(await store.getVersionModules(first.version.id)).toHaveLength(25);
    expect(await store.listVersions()).toHaveLength(1);
  });

  it("lengthens a 16-character version hash shared by a different module set", async () => {
    const prefix = "abcdef0123456789";
    const a = new EnvironmentVersionInfo({
      modules: versionInfo("1").modules,
      modulesHash: `${prefix}${"1".repeat(48)}`,
    });
    const b = new EnvironmentVersionInfo({
      modules: versionInfo("2").modules,
      modulesHash: `${prefix}1${"2".repeat(47)}`,
    });
    const c = new EnvironmentVersionInfo({
      modules: versionInfo("3").modules,
      modulesHash: `${prefix}${"3".repeat(48)}`,
    });
    const d = new EnvironmentVersionInfo({
      modules: versionInfo("4").modules,
      modulesHash: `${prefix}1${"4".repeat(47)}`,
    });
    expect(a.versionHash).toBe(b.versionHash);
    const va = (await store.getOrCreateVersion(a, null)).version;
    const vb = (await store.getOrCreateVersion(b, null)).version;
    const vc = (await store.getOrCreateVersion(c, null)).version;
    expect(va.versionHash).toBe(prefix);
    expect(vb.versionHash).toBe(`${prefix}1`);
    expect(vc.versionHash).toBe(`${prefix}3`);
    const vd = (await store.getOrCreateVersion(d, null)).version;
    expect(vd.versionHash).toBe(`${prefix}14`);
    expect(new Set([va.id, vb.id, vc.id, vd.id]).size).toBe(4);
    // Looking up again finds each by its full modules hash, never the colliding one.
    expect(await store.getOrCreateVersion(b, null)).toMatchObject({ created: false, version: { id: vb.id } });
    expect((await store.findVersionByModulesHash(c.modulesHash))?.id).toBe(vc.id);
  });

  it("reference counts equal linked environments through link, move, relink, unlink and cleanup", async () => {
    const a = await store.ensureEnvironment("https://a.example.com", "A");
    const b = await store.ensureEnvironment("https://b.example.com");
    const c = await store.ensureEnvironment("https://c.example.com");
    expect(b.name).toBe("b");
    const v1 = await completeVersion("1");
    const v2 = await completeVersion("2");
    expect(await store.linkEnvironment(a.id, v1)).toEqual({ changed: true, previousVersionId: null });
    expect((await store.linkEnvironment(b.id, v1)).changed).toBe(true);
    expect((await store.linkEnvironment(c.id, v2)).changed).toBe(true);
    expect(await store.linkEnvironment(a.id, v1)).toEqual({ changed: false, previousVersionId: v1 });
    expect([await refCount(v1), await refCount(v2)]).toEqual([2, 1]);
    // B moves to the upgrade: the version it leaves is decremented.
    expect(await store.linkEnvironment(b.id, v2)).toEqual({ changed: true, previousVersionId: v1 });
    expect([await refCount(v1), await refCount(v2)]).toEqual([1, 2]);
    expect((await store.getEnvironment(b.id))?.versionId).toBe(v2);
    // And back again (re-activates the history row).
    await store.linkEnvironment(b.id, v1);
    expect([await refCount(v1), await refCount(v2)]).toEqual([2, 1]);
    await store.unlinkEnvironment(c.id);
    await store.unlinkEnvironment(c.id);
    expect([await refCount(v1), await refCount(v2)]).toEqual([2, 0]);
    expect((await store.getEnvironment(c.id))?.versionId).toBeNull();
    // Cleanup removes only the unlinked version.
    const result = await store.cleanupVersions({ olderThan: new Date(Date.now() + 60_000), dryRun: false });
    expect(result.versionIds).toEqual([v2]);
    expect(await store.getVersion(v2)).toBeUndefined();
    expect(await refCount(v1)).toBe(2);
    expect((await store.listEnvironments()).map((e) => e.versionId)).toEqual([v1, v1, null]);
    expect((await store.checkIntegrity()).ok).toBe(true);
  });

  it("records sync and version check times", async () => {
    const env = await store.ensureEnvironment("https://a.example.com");
    expect(env.lastSyncAt).toBeNull();
    const at = new Date("2026-01-31T23:59:00Z");
    await store.recordSync(env.id, 1234, at);
    await store.recordVersionCheck(env.id, at);
    expect(await store.findEnvironment("https://a.example.com")).toMatchObject({
      lastSyncAt: at,
      lastVersionCheckAt: at,
    });
  });

  it("leases: acquire, exclude, renew, expire, take over, release across two store instances", async () => {
    const other = await backend.openAnother(store);
    {
      const { version } = await store.getOrCreateVersion(versionInfo("1"), null);
      expect(await store.tryAcquireSyncLease(version.id, "p1", 60_000)).toBe(true);
      expect(await other.tryAcquireSyncLease(version.id, "p2", 60_000)).toBe(false);
      expect((await other.getSyncLease(version.id))?.owner).toBe("p1");
      expect(await other.renewSyncLease(version.id, "p2", 60_000)).toBe(false);
      expect(await store.renewSyncLease(version.id, "p1", 30)).toBe(true);
      expect(await store.tryAcquireSyncLease(version.id, "p1", 30)).toBe(true);
      await new Promise((r) => setTimeout(r, 60));
      // Expired: nobody holds it, the holder cannot renew, another process takes over.
      expect(await other.getSyncLease(version.id)).toBeUndefined();
      expect(await store.renewSyncLease(version.id, "p1", 60_000)).toBe(false);
      expect(await other.tryAcquireSyncLease(version.id, "p2", 60_000)).toBe(true);
      expect((await store.getSyncLease(version.id))?.owner).toBe("p2");
      await store.releaseSyncLease(version.id, "p1");
      expect((await store.getSyncLease(version.id))?.owner).toBe("p2");
      await other.releaseSyncLease(version.id, "p2");
      expect(await store.getSyncLease(version.id)).toBeUndefined();
      expect(await store.tryAcquireSyncLease(version.id, "p1", 60_000)).toBe(true);
    }
  });

  it("phase state: mark, count, reset (forgetting the phase's membership)", async () => {
    const { version } = await store.getOrCreateVersion(versionInfo("1"), null);
    await store.writePublicEntities(version.id, [fullPublicEntity(), simpleEntity("Other", 2)]);
    await store.writeLabels(version.id, [label("@A", "a"), label("@A", "b", "de-DE"), label("@B", "c")]);
    await store.markPhaseComplete(version.id, "publicEntities");
    await store.markPhaseComplete(version.id, "publicEntities");
    await store.markPhaseComplete(version.id, "labels");
    expect(await store.getSyncState(version.id)).toEqual({
      versionId: version.id,
      completedPhases: ["publicEntities", "labels"],
      publicEntityCount: 2,
      dataEntityCount: 0,
      enumerationCount: 0,
      labelCounts: { "en-us": 2, "de-de": 1 },
    });
    await store.resetPhase(version.id, "publicEntities");
    expect(await store.getSyncState(version.id)).toMatchObject({
      completedPhases: ["labels"],
      publicEntityCount: 0,
    });
    expect(await store.getPublicEntity(version.id, "Other")).toBeUndefined();
    // The orphaned definitions are collected by the next cleanup even though no version is deleted.
    const cleanup = await store.cleanupVersions({ olderThan: new Date(0), dryRun: false });
    expect(cleanup).toMatchObject({ versionIds: [], definitionsDeleted: 2 });
  });

  it("GlobalVersionManager: cleanup cutoff uses real date arithmetic across a month boundary", async () => {
    const manager = new GlobalVersionManager(store);
    expect(retentionCutoff(new Date("2026-03-02T10:00:00Z"), 30).toISOString()).toBe(
      "2026-01-31T10:00:00.000Z",
    );
    expect(retentionCutoff(new Date("2026-03-01T00:00:00Z"), 1).toISOString()).toBe(
      "2026-02-28T00:00:00.000Z",
    );
    const env = await store.ensureEnvironment("https://a.example.com");
    const { version, created } = await manager.getOrCreateGlobalVersion(versionInfo("1"), env.id);
    expect(created).toBe(true);
    expect((await manager.findCompatibleVersion(versionInfo("1").modulesHash))?.id).toBe(version.id);
    await store.completeVersion(version.id);
    const lastUsed = (await store.getVersion(version.id))!.lastUsedAt.getTime();
    // 30 days after last use (crossing into the next month) it is kept; after 31 days it goes.
    const day = 86_400_000;
    expect(
      (await manager.cleanupUnusedVersions({ now: new Date(lastUsed + 30 * day - 1) })).versionIds,
    ).toEqual([]);
    const dry = await manager.cleanupUnusedVersions({ now: new Date(lastUsed + 31 * day), dryRun: true });
    expect(dry).toMatchObject({ versionIds: [version.id], dryRun: true });
    expect(await store.getVersion(version.id)).toBeDefined();
    expect(await manager.linkEnvironmentToVersion(env.id, version.id)).toBe(true);
    expect(await manager.linkEnvironmentToVersion(env.id, version.id)).toBe(false);
    // Linked versions are never cleaned up, however old.
    expect((await manager.cleanupUnusedVersions({ now: new Date(lastUsed + 400 * day) })).versionIds).toEqual(
      [],
    );
    await store.unlinkEnvironment(env.id);
    expect(
      (await manager.cleanupUnusedVersions({ retentionDays: 0, now: new Date(Date.now() + 1000) }))
        .versionIds,
    ).toEqual([version.id]);
  });

  it("GlobalVersionManager sharing statistics", async () => {
    const manager = new GlobalVersionManager(store);
    const v1 = await completeVersion("1");
    const v2 = await completeVersion("2");
    const envs = [];
    for (const n of ["a", "b", "c"]) envs.push(await store.ensureEnvironment(`https://${n}.example.com`));
    await store.linkEnvironment(envs[0].id, v1);
    await store.linkEnvironment(envs[1].id, v1);
    await store.linkEnvironment(envs[2].id, v2);
    const stats = await manager.getSharingStatistics();
    expect(stats).toMatchObject({
      totalGlobalVersions: 2,
      completeVersions: 2,
      totalEnvironments: 3,
      activeEnvironmentLinks: 3,
      sharedVersions: 1,
      sharedEnvironments: 2,
      sharingDistribution: { 1: 1, 2: 1 },
    });
    expect(stats.sharingEfficiency).toBeCloseTo(2 / 3);
    expect(Object.values(stats.versionDistribution).sort()).toEqual([1, 2]);
    expect(stats.storage.perEnvironmentCopyBytes).toBeGreaterThan(stats.storage.metadataBytes);
    expect(stats.storageSavedBytes).toBeGreaterThan(0);
  });
});
