import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { simpleEntity, versionInfo } from "../fixtures.js";
import { type PostgresFixture, type PostgresTestStore, postgresFixture } from "./_store.js";

describe("PostgreSQL store: environments, versions, links", () => {
  let fixture: PostgresFixture;
  let store: PostgresTestStore;
  let tag = 0;
  const nextTag = () => `${Date.now() % 100000}${++tag}`;

  beforeAll(async () => {
    fixture = await postgresFixture();
    store = await fixture.open();
  });
  afterAll(async () => {
    await fixture.dispose();
  });

  async function completeVersion(t = nextTag()) {
    const { version } = await store.getOrCreateVersion(versionInfo(t), null);
    await store.writePublicEntities(version.id, [simpleEntity(`Entity${t}`, 3)]);
    await store.completeVersion(version.id);
    return version.id;
  }
  const refCount = async (id: number) => (await store.getVersion(id))?.referenceCount;

  it("describes itself without credentials", async () => {
    const description = await store.describe();
    expect(description.backend).toBe("postgres");
    expect(description.location).not.toContain("d365fo-test");
    expect(description.location).toContain(fixture.database.name);
    expect(description.schemaVersion).toBeGreaterThanOrEqual(1);
  });

  it("two pools racing on the same module sets create each version once", async () => {
    const other = await fixture.open({ poolSize: 4 });
    const tags = Array.from({ length: 12 }, () => nextTag());
    const results = await Promise.all(
      tags.flatMap((t) =>
        [store, other, store, other].map((s) => s.getOrCreateVersion(versionInfo(t), null)),
      ),
    );
    const created = results.filter((r) => r.created);
    expect(created).toHaveLength(tags.length);
    for (const t of tags) {
      const ids = new Set(
        results.filter((r) => r.version.modulesHash === versionInfo(t).modulesHash).map((r) => r.version.id),
      );
      expect(ids.size).toBe(1);
    }
  });

  it("concurrent links of many environments from two pools keep reference counts exact", async () => {
    const other = await fixture.open({ poolSize: 4 });
    const versions = [await completeVersion(), await completeVersion()];
    const environments = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        store.ensureEnvironment(`https://race${nextTag()}-${i}.example.com`),
      ),
    );
    // Every environment flips between the two versions several times, from both pools at once.
    await Promise.all(
      environments.flatMap((env, i) =>
        [0, 1, 2, 3].map((round) =>
          (round % 2 === 0 ? store : other).linkEnvironment(env.id, versions[(i + round) % 2]),
        ),
      ),
    );
    const linked = await Promise.all(
      environments.map(async (e) => (await store.getEnvironment(e.id))?.versionId),
    );
    const expected = versions.map((v) => linked.filter((l) => l === v).length);
    expect([await refCount(versions[0]), await refCount(versions[1])]).toEqual(expected);
    expect(expected[0] + expected[1]).toBe(environments.length);
    expect(await store.checkIntegrity()).toEqual({ ok: true, messages: [] });
  });
});

describe("PostgreSQL store: sync leases on the server clock", () => {
  let fixture: PostgresFixture;
  let store: PostgresTestStore;
  let versionId: number;

  beforeAll(async () => {
    fixture = await postgresFixture();
    store = await fixture.open();
  });
  afterAll(async () => {
    await fixture.dispose();
  });
  beforeEach(async () => {
    versionId = (await store.getOrCreateVersion(versionInfo(`lease${Math.random()}`), null)).version.id;
  });

  it("expiry is judged by the server's clock: an expired lease can be taken, not renewed", async () => {
    expect(await store.tryAcquireSyncLease(versionId, "a", 150)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await store.getSyncLease(versionId)).toBeUndefined();
    expect(await store.renewSyncLease(versionId, "a", 60_000)).toBe(false);
    const other = await fixture.open({ poolSize: 1 });
    expect(await other.tryAcquireSyncLease(versionId, "b", 60_000)).toBe(true);
    expect((await store.getSyncLease(versionId))?.owner).toBe("b");
  });

  it("a machine whose clock is a day ahead neither sees live leases as expired nor steals them", async () => {
    expect(await store.tryAcquireSyncLease(versionId, "a", 60_000)).toBe(true);
    const skewed = await fixture.open({ poolSize: 1 });
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 86_400_000);
      expect((await skewed.getSyncLease(versionId))?.owner).toBe("a");
      expect(await skewed.tryAcquireSyncLease(versionId, "b", 60_000)).toBe(false);
      expect(await store.renewSyncLease(versionId, "a", 60_000)).toBe(true);
      // The expiry the store reports is the server's (about a minute from the server's now).
      const lease = await skewed.getSyncLease(versionId);
      expect(lease?.expiresAt.getTime()).toBeLessThan(Date.now() - 86_000_000);
    } finally {
      vi.useRealTimers();
    }
  });

  it("many machines racing for one lease: exactly one wins", async () => {
    const pools = [store, await fixture.open({ poolSize: 3 }), await fixture.open({ poolSize: 3 })];
    const owners = Array.from({ length: 24 }, (_, i) => `owner-${i}`);
    const won = await Promise.all(
      owners.map((o, i) => pools[i % 3].tryAcquireSyncLease(versionId, o, 60_000)),
    );
    expect(won.filter(Boolean)).toHaveLength(1);
    expect((await store.getSyncLease(versionId))?.owner).toBe(owners[won.indexOf(true)]);
  });
});
