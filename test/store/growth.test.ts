import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateRelease } from "../../src/emulator/model/index.js";
import { openMetadataStore } from "../../src/store/index.js";
import type { MetadataStore } from "../../src/store/types.js";
import { makeTempDir } from "./fixtures.js";
import { loadRelease, releaseModels } from "./release-loader.js";

describe("medium release and its upgrade (emulator generator)", () => {
  const temp = makeTempDir();
  let store: MetadataStore;
  const r0 = releaseModels(generateRelease({ preset: "medium", upgradeStep: 0 }));
  const r1 = releaseModels(generateRelease({ preset: "medium", upgradeStep: 1 }));
  let v0: number;
  let v1: number;
  let before: ReturnType<MetadataStore["getStorageFootprint"]>;
  let after: ReturnType<MetadataStore["getStorageFootprint"]>;
  let rowsBefore: number;
  let rowsAfter: number;

  beforeAll(() => {
    store = openMetadataStore({ cacheDir: temp.dir });
    v0 = loadRelease(store, r0).versionId;
    before = store.getStorageFootprint();
    rowsBefore = store.countMetadataRows();
    v1 = loadRelease(store, r1).versionId;
    after = store.getStorageFootprint();
    rowsAfter = store.countMetadataRows();
  });
  afterAll(() => {
    store.close();
    temp.cleanup();
  });

  it("the upgrade grows the metadata by at most 15 % of the first release", () => {
    const growth = (after.metadataBytes - before.metadataBytes) / before.metadataBytes;
    console.info(
      `medium: release ${before.metadataBytes} B metadata (${before.totalBytes} B file), upgrade +${(growth * 100).toFixed(2)} %`,
    );
    expect(growth).toBeGreaterThan(0);
    expect(growth).toBeLessThanOrEqual(0.15);
    // Rows too: far fewer than a second copy.
    expect(rowsAfter - rowsBefore).toBeLessThan(rowsBefore * 0.35);
  });

  it("each version reads back exactly its release's definitions", () => {
    for (const [versionId, models] of [
      [v0, r0],
      [v1, r1],
    ] as const) {
      expect(store.listPublicEntityNames(versionId)).toEqual(models.publicEntities.map((e) => e.name).sort());
      for (const entity of models.publicEntities.filter((_, i) => i % 25 === 0)) {
        expect(store.getPublicEntity(versionId, entity.name)).toEqual(entity);
      }
      const sample = models.enumerations[0];
      expect(store.getEnumeration(versionId, sample.name)).toEqual(sample);
      expect(store.getDataEntity(versionId, models.dataEntities[0].name)).toEqual(models.dataEntities[0]);
      expect(store.listMissingLabelIds(versionId, "en-us")).toEqual([]);
    }
    // The diff by content hash finds exactly the modified entities.
    const h0 = store.getPublicEntityHashes(v0);
    const h1 = store.getPublicEntityHashes(v1);
    const changed = [...h1.keys()].filter((n) => h0.has(n) && h0.get(n) !== h1.get(n)).sort();
    const log = generateRelease({ preset: "medium", upgradeStep: 1 }).changeLog;
    expect(log).toBeDefined();
    expect(changed).toEqual([...(log?.entitiesModified ?? [])].sort());
    expect(store.getContentHash(v0)).not.toBe(store.getContentHash(v1));
  });

  it("the footprint shows what sharing saves, and the file is sound", () => {
    const a = store.ensureEnvironment("https://a.example.com");
    const b = store.ensureEnvironment("https://b.example.com");
    const c = store.ensureEnvironment("https://c.example.com");
    store.linkEnvironment(a.id, v0);
    store.linkEnvironment(b.id, v0);
    store.linkEnvironment(c.id, v1);
    const footprint = store.getStorageFootprint();
    // Three environments' copies would take about three releases; sharing keeps one plus the delta.
    expect(footprint.perEnvironmentCopyBytes).toBeGreaterThan(2.5 * footprint.metadataBytes);
    expect(footprint.totalBytes).toBeGreaterThanOrEqual(footprint.metadataBytes);
    expect(store.checkIntegrity()).toEqual({ ok: true, messages: [] });
  });
});
