import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PublicEntity } from "../../../packages/client/src/metadata/models.js";
import { type StoreUnderTest, storeBackends } from "../backends.js";
import { dataEntity, enumeration, fullPublicEntity, label, simpleEntity, versionInfo } from "../fixtures.js";

/** Rows one simpleEntity(n props) definition adds: entity + properties. */
const definitionRows = (props: number) => 1 + props;

describe.each(storeBackends())("definitions shared across versions ($name)", (backend) => {
  let store: StoreUnderTest;
  beforeEach(async () => {
    store = await backend.open();
  });
  afterEach(async () => {
    await backend.cleanup();
  });

  function release(changed: ReadonlySet<number>, count = 50): PublicEntity[] {
    return Array.from({ length: count }, (_, i) =>
      simpleEntity(`Entity${i}`, 10, changed.has(i) ? "v2" : ""),
    );
  }

  async function writeVersion(tag: string, entities: PublicEntity[], labels: [string, string][]) {
    const { version } = await store.getOrCreateVersion(versionInfo(tag), null);
    const entitiesResult = await store.writePublicEntities(version.id, entities);
    const labelsResult = await store.writeLabels(
      version.id,
      labels.map(([id, text]) => label(id, text)),
    );
    await store.writeDataEntities(version.id, [dataEntity("SharedEntity")]);
    await store.writeEnumerations(version.id, [enumeration("NoYes")]);
    await store.completeVersion(version.id);
    return { id: version.id, entitiesResult, labelsResult };
  }

  it("stores shared definitions once; a second version writes only what changed", async () => {
    const labels: [string, string][] = Array.from({ length: 30 }, (_, i) => [`@L${i}`, `Text ${i}`]);
    const v1 = await writeVersion("1", release(new Set()), labels);
    expect(v1.entitiesResult).toEqual({ rowsWritten: 50 * (definitionRows(10) + 1), definitionsReused: 0 });
    const before = await store.countMetadataRows();

    const changedLabels: [string, string][] = labels.map(([id, text], i) => [
      id,
      i < 2 ? `${text} (new)` : text,
    ]);
    const v2 = await writeVersion("2", release(new Set([3, 7])), changedLabels);
    // 2 changed definitions with their properties, plus one membership row per entity of the version.
    expect(v2.entitiesResult).toEqual({ rowsWritten: 2 * definitionRows(10) + 50, definitionsReused: 48 });
    // 2 new texts, plus one membership row per label.
    expect(v2.labelsResult).toEqual({ rowsWritten: 2 + 30, definitionsReused: 28 });
    // The data entity and enumeration are reused: only their membership rows are new.
    expect((await store.countMetadataRows()) - before).toBe(2 * definitionRows(10) + 50 + 2 + 30 + 1 + 1);

    // Each version reads its own content.
    expect((await store.getPublicEntity(v1.id, "Entity3"))?.properties[0].name).toBe("Entity3Field0");
    expect((await store.getPublicEntity(v2.id, "Entity3"))?.properties[0].name).toBe("Entity3Field0v2");
    expect(await store.getLabel(v1.id, "@L0", "en-us")).toBe("Text 0");
    expect(await store.getLabel(v2.id, "@L0", "en-us")).toBe("Text 0 (new)");
    const h1 = await store.getPublicEntityHashes(v1.id);
    const h2 = await store.getPublicEntityHashes(v2.id);
    expect([...h1.keys()].filter((name) => h1.get(name) !== h2.get(name)).sort()).toEqual([
      "Entity3",
      "Entity7",
    ]);
  });

  it("a shared environment's sync writes no metadata rows", async () => {
    const v1 = await writeVersion("1", release(new Set()), [["@L1", "x"]]);
    const rows = await store.countMetadataRows();
    const again = await writeVersion("1", release(new Set()), [["@L1", "x"]]);
    expect(again.id).toBe(v1.id);
    expect(again.entitiesResult.rowsWritten).toBe(0);
    expect(again.labelsResult.rowsWritten).toBe(0);
    expect(await store.countMetadataRows()).toBe(rows);
  });

  it("content hash: equal content gives equal hashes, any difference changes it", async () => {
    const labels: [string, string][] = [
      ["@L1", "one"],
      ["@L2", "two"],
    ];
    const a = await writeVersion("1", release(new Set()), labels);
    // Same content written in another order into another version (another module set).
    const b = await writeVersion("2", release(new Set()).reverse(), [...labels].reverse());
    expect(await store.getContentHash(a.id)).toBe(await store.getContentHash(b.id));
    const c = await writeVersion("3", release(new Set([1])), labels);
    expect(await store.getContentHash(c.id)).not.toBe(await store.getContentHash(a.id));
    const d = await writeVersion("4", release(new Set()), [
      ["@L1", "one"],
      ["@L2", "two!"],
    ]);
    expect(await store.getContentHash(d.id)).not.toBe(await store.getContentHash(a.id));
    // And across two database files.
    // And across two stores.
    const otherStore = await backend.open();
    {
      const { version } = await otherStore.getOrCreateVersion(versionInfo("9"), null);
      await otherStore.writeEnumerations(version.id, [enumeration("NoYes")]);
      await otherStore.writeDataEntities(version.id, [dataEntity("SharedEntity")]);
      await otherStore.writeLabels(
        version.id,
        labels.map(([id, text]) => label(id, text)),
      );
      await otherStore.writePublicEntities(version.id, release(new Set()));
      expect(await otherStore.getContentHash(version.id)).toBe(await store.getContentHash(a.id));
    }
  });

  it("cleanup deletes everything a version owns and keeps what another version shares", async () => {
    const env = await store.ensureEnvironment("https://keep.example.com");
    const labels: [string, string][] = [
      ["@L1", "shared"],
      ["@L2", "old text"],
    ];
    const v1 = await writeVersion("1", [...release(new Set()), fullPublicEntity("OnlyInV1")], labels);
    const afterV1 = await store.countMetadataRows();
    const v2 = await writeVersion("2", release(new Set([0])), [
      ["@L1", "shared"],
      ["@L2", "new text"],
    ]);
    await store.linkEnvironment(env.id, v2.id);
    const dry = await store.cleanupVersions({ olderThan: new Date(Date.now() + 1000), dryRun: true });
    expect(dry).toEqual({ versionIds: [v1.id], definitionsDeleted: 2, labelsDeleted: 1, dryRun: true });
    expect(await store.getVersion(v1.id)).toBeDefined();
    const result = await store.cleanupVersions({ olderThan: new Date(Date.now() + 1000), dryRun: false });
    // OnlyInV1 and the old Entity0 definition go; every shared definition stays.
    expect(result).toEqual({ versionIds: [v1.id], definitionsDeleted: 2, labelsDeleted: 1, dryRun: false });
    expect(await store.getVersion(v1.id)).toBeUndefined();
    expect((await store.getPublicEntity(v2.id, "Entity1"))?.properties).toHaveLength(10);
    expect((await store.getPublicEntity(v2.id, "Entity0"))?.properties[0].name).toBe("Entity0Field0v2");
    expect(await store.getDataEntity(v2.id, "SharedEntity")).toBeDefined();
    expect((await store.getEnumeration(v2.id, "NoYes"))?.members).toHaveLength(3);
    expect(await store.getLabels(v2.id, ["@L1", "@L2"], "en-us")).toEqual(
      new Map([
        ["@L1", "shared"],
        ["@L2", "new text"],
      ]),
    );
    // Only v2 remains: exactly the rows a fresh store holding only v2's content has.
    const freshStore = await backend.open();
    {
      const { version } = await freshStore.getOrCreateVersion(versionInfo("2"), null);
      await freshStore.writePublicEntities(version.id, release(new Set([0])));
      await freshStore.writeLabels(version.id, [label("@L1", "shared"), label("@L2", "new text")]);
      await freshStore.writeDataEntities(version.id, [dataEntity("SharedEntity")]);
      await freshStore.writeEnumerations(version.id, [enumeration("NoYes")]);
      expect(await store.countMetadataRows()).toBe(await freshStore.countMetadataRows());
      expect(await store.getContentHash(v2.id)).toBe(await freshStore.getContentHash(version.id));
    }
    expect(await store.countMetadataRows()).toBeLessThan(afterV1);
    // Nothing of the deleted definitions is still searchable.
    const search = (terms: string[]) =>
      store.search({
        versionId: v2.id,
        terms,
        prefixLastTerm: false,
        language: "en-us",
        limit: 50,
        offset: 0,
      });
    expect((await search(["OnlyInV1"])).total).toBe(0);
    expect((await search(["old", "text"])).total).toBe(0);
    expect(await store.checkIntegrity()).toEqual({ ok: true, messages: [] });
    // Remove the last version too: every metadata row is gone.
    await store.unlinkEnvironment(env.id);
    await store.cleanupVersions({ olderThan: new Date(Date.now() + 1000), dryRun: false });
    expect(await store.countMetadataRows()).toBe(0);
    expect(await store.listVersions()).toEqual([]);
  });
});
