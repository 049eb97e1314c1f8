import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StorageFootprint } from "../../../packages/client/src/store/types.js";
import { generateRelease } from "../../../packages/emulator/src/model/index.js";
import { type StoreUnderTest, storeBackends } from "../backends.js";
import { loadRelease, releaseModels } from "../release-loader.js";

describe.each(storeBackends())("medium release and its upgrade (emulator generator, $name)", (backend) => {
  let store: StoreUnderTest;
  const r0 = releaseModels(generateRelease({ preset: "medium", upgradeStep: 0 }));
  const r1 = releaseModels(generateRelease({ preset: "medium", upgradeStep: 1 }));
  let v0: number;
  let v1: number;
  let before: StorageFootprint;
  let after: StorageFootprint;
  let rowsBefore: number;
  let rowsAfter: number;

  beforeAll(async () => {
    store = await backend.open();
    v0 = (await loadRelease(store, r0)).versionId;
    before = await store.getStorageFootprint();
    rowsBefore = await store.countMetadataRows();
    v1 = (await loadRelease(store, r1)).versionId;
    after = await store.getStorageFootprint();
    rowsAfter = await store.countMetadataRows();
  });
  afterAll(async () => {
    await backend.cleanup();
  });

  it("the upgrade grows the metadata by at most 15 % of the first release", async () => {
    const growth = (after.metadataBytes - before.metadataBytes) / before.metadataBytes;
    console.info(
      `medium: release ${before.metadataBytes} B metadata (${before.totalBytes} B file), upgrade +${(growth * 100).toFixed(2)} %`,
    );
    expect(growth).toBeGreaterThan(0);
    expect(growth).toBeLessThanOrEqual(0.15);
    // Rows too: far fewer than a second copy.
    expect(rowsAfter - rowsBefore).toBeLessThan(rowsBefore * 0.35);
  });

  it("each version reads back exactly its release's definitions", async () => {
    for (const [versionId, models] of [
      [v0, r0],
      [v1, r1],
    ] as const) {
      expect(await store.listPublicEntityNames(versionId)).toEqual(
        models.publicEntities.map((e) => e.name).sort(),
      );
      for (const entity of models.publicEntities.filter((_, i) => i % 25 === 0)) {
        expect(await store.getPublicEntity(versionId, entity.name)).toEqual(entity);
      }
      const sample = models.enumerations[0];
      expect(await store.getEnumeration(versionId, sample.name)).toEqual(sample);
      expect(await store.getDataEntity(versionId, models.dataEntities[0].name)).toEqual(
        models.dataEntities[0],
      );
      expect(await store.listMissingLabelIds(versionId, "en-us")).toEqual([]);
    }
    // The diff by content hash finds exactly the modified entities.
    const h0 = await store.getPublicEntityHashes(v0);
    const h1 = await store.getPublicEntityHashes(v1);
    const changed = [...h1.keys()].filter((n) => h0.has(n) && h0.get(n) !== h1.get(n)).sort();
    const log = generateRelease({ preset: "medium", upgradeStep: 1 }).changeLog;
    expect(log).toBeDefined();
    expect(changed).toEqual([...(log?.entitiesModified ?? [])].sort());
    expect(await store.getContentHash(v0)).not.toBe(await store.getContentHash(v1));
  });

  it("the footprint shows what sharing saves, and the file is sound", async () => {
    const a = await store.ensureEnvironment("https://a.example.com");
    const b = await store.ensureEnvironment("https://b.example.com");
    const c = await store.ensureEnvironment("https://c.example.com");
    await store.linkEnvironment(a.id, v0);
    await store.linkEnvironment(b.id, v0);
    await store.linkEnvironment(c.id, v1);
    const footprint = await store.getStorageFootprint();
    // Three environments' copies would take about three releases; sharing keeps one plus the delta.
    expect(footprint.perEnvironmentCopyBytes).toBeGreaterThan(2.5 * footprint.metadataBytes);
    expect(footprint.totalBytes).toBeGreaterThanOrEqual(footprint.metadataBytes);
    expect(await store.checkIntegrity()).toEqual({ ok: true, messages: [] });
  });
});
