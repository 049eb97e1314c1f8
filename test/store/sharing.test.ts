import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PublicEntity } from "../../src/metadata/models.js";
import { openMetadataStore } from "../../src/store/index.js";
import type { MetadataStore } from "../../src/store/types.js";
import {
  dataEntity,
  enumeration,
  fullPublicEntity,
  label,
  makeTempDir,
  simpleEntity,
  versionInfo,
} from "./fixtures.js";

/** Rows one simpleEntity(n props) definition adds: entity + properties. */
const definitionRows = (props: number) => 1 + props;

describe("definitions shared across versions", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: MetadataStore;
  beforeEach(() => {
    temp = makeTempDir();
    store = openMetadataStore({ cacheDir: temp.dir });
  });
  afterEach(() => {
    store.close();
    temp.cleanup();
  });

  function release(changed: ReadonlySet<number>, count = 50): PublicEntity[] {
    return Array.from({ length: count }, (_, i) =>
      simpleEntity(`Entity${i}`, 10, changed.has(i) ? "v2" : ""),
    );
  }

  function writeVersion(tag: string, entities: PublicEntity[], labels: [string, string][]) {
    const { version } = store.getOrCreateVersion(versionInfo(tag), null);
    const entitiesResult = store.writePublicEntities(version.id, entities);
    const labelsResult = store.writeLabels(
      version.id,
      labels.map(([id, text]) => label(id, text)),
    );
    store.writeDataEntities(version.id, [dataEntity("SharedEntity")]);
    store.writeEnumerations(version.id, [enumeration("NoYes")]);
    store.completeVersion(version.id);
    return { id: version.id, entitiesResult, labelsResult };
  }

  it("stores shared definitions once; a second version writes only what changed", () => {
    const labels: [string, string][] = Array.from({ length: 30 }, (_, i) => [`@L${i}`, `Text ${i}`]);
    const v1 = writeVersion("1", release(new Set()), labels);
    expect(v1.entitiesResult).toEqual({ rowsWritten: 50 * (definitionRows(10) + 1), definitionsReused: 0 });
    const before = store.countMetadataRows();

    const changedLabels: [string, string][] = labels.map(([id, text], i) => [
      id,
      i < 2 ? `${text} (new)` : text,
    ]);
    const v2 = writeVersion("2", release(new Set([3, 7])), changedLabels);
    // 2 changed definitions with their properties, plus one membership row per entity of the version.
    expect(v2.entitiesResult).toEqual({ rowsWritten: 2 * definitionRows(10) + 50, definitionsReused: 48 });
    // 2 new texts, plus one membership row per label.
    expect(v2.labelsResult).toEqual({ rowsWritten: 2 + 30, definitionsReused: 28 });
    // The data entity and enumeration are reused: only their membership rows are new.
    expect(store.countMetadataRows() - before).toBe(2 * definitionRows(10) + 50 + 2 + 30 + 1 + 1);

    // Each version reads its own content.
    expect(store.getPublicEntity(v1.id, "Entity3")?.properties[0].name).toBe("Entity3Field0");
    expect(store.getPublicEntity(v2.id, "Entity3")?.properties[0].name).toBe("Entity3Field0v2");
    expect(store.getLabel(v1.id, "@L0", "en-us")).toBe("Text 0");
    expect(store.getLabel(v2.id, "@L0", "en-us")).toBe("Text 0 (new)");
    const h1 = store.getPublicEntityHashes(v1.id);
    const h2 = store.getPublicEntityHashes(v2.id);
    expect([...h1.keys()].filter((name) => h1.get(name) !== h2.get(name)).sort()).toEqual([
      "Entity3",
      "Entity7",
    ]);
  });

  it("a shared environment's sync writes no metadata rows", () => {
    const v1 = writeVersion("1", release(new Set()), [["@L1", "x"]]);
    const rows = store.countMetadataRows();
    const again = writeVersion("1", release(new Set()), [["@L1", "x"]]);
    expect(again.id).toBe(v1.id);
    expect(again.entitiesResult.rowsWritten).toBe(0);
    expect(again.labelsResult.rowsWritten).toBe(0);
    expect(store.countMetadataRows()).toBe(rows);
  });

  it("content hash: equal content gives equal hashes, any difference changes it", () => {
    const labels: [string, string][] = [
      ["@L1", "one"],
      ["@L2", "two"],
    ];
    const a = writeVersion("1", release(new Set()), labels);
    // Same content written in another order into another version (another module set).
    const b = writeVersion("2", release(new Set()).reverse(), [...labels].reverse());
    expect(store.getContentHash(a.id)).toBe(store.getContentHash(b.id));
    const c = writeVersion("3", release(new Set([1])), labels);
    expect(store.getContentHash(c.id)).not.toBe(store.getContentHash(a.id));
    const d = writeVersion("4", release(new Set()), [
      ["@L1", "one"],
      ["@L2", "two!"],
    ]);
    expect(store.getContentHash(d.id)).not.toBe(store.getContentHash(a.id));
    // And across two database files.
    const other = makeTempDir();
    const otherStore = openMetadataStore({ cacheDir: other.dir });
    try {
      const { version } = otherStore.getOrCreateVersion(versionInfo("9"), null);
      otherStore.writeEnumerations(version.id, [enumeration("NoYes")]);
      otherStore.writeDataEntities(version.id, [dataEntity("SharedEntity")]);
      otherStore.writeLabels(
        version.id,
        labels.map(([id, text]) => label(id, text)),
      );
      otherStore.writePublicEntities(version.id, release(new Set()));
      expect(otherStore.getContentHash(version.id)).toBe(store.getContentHash(a.id));
    } finally {
      otherStore.close();
      other.cleanup();
    }
  });

  it("cleanup deletes everything a version owns and keeps what another version shares", () => {
    const env = store.ensureEnvironment("https://keep.example.com");
    const labels: [string, string][] = [
      ["@L1", "shared"],
      ["@L2", "old text"],
    ];
    const v1 = writeVersion("1", [...release(new Set()), fullPublicEntity("OnlyInV1")], labels);
    const afterV1 = store.countMetadataRows();
    const v2 = writeVersion("2", release(new Set([0])), [
      ["@L1", "shared"],
      ["@L2", "new text"],
    ]);
    store.linkEnvironment(env.id, v2.id);
    const dry = store.cleanupVersions({ olderThan: new Date(Date.now() + 1000), dryRun: true });
    expect(dry).toEqual({ versionIds: [v1.id], definitionsDeleted: 2, labelsDeleted: 1, dryRun: true });
    expect(store.getVersion(v1.id)).toBeDefined();
    const result = store.cleanupVersions({ olderThan: new Date(Date.now() + 1000), dryRun: false });
    // OnlyInV1 and the old Entity0 definition go; every shared definition stays.
    expect(result).toEqual({ versionIds: [v1.id], definitionsDeleted: 2, labelsDeleted: 1, dryRun: false });
    expect(store.getVersion(v1.id)).toBeUndefined();
    expect(store.getPublicEntity(v2.id, "Entity1")?.properties).toHaveLength(10);
    expect(store.getPublicEntity(v2.id, "Entity0")?.properties[0].name).toBe("Entity0Field0v2");
    expect(store.getDataEntity(v2.id, "SharedEntity")).toBeDefined();
    expect(store.getEnumeration(v2.id, "NoYes")?.members).toHaveLength(3);
    expect(store.getLabels(v2.id, ["@L1", "@L2"], "en-us")).toEqual(
      new Map([
        ["@L1", "shared"],
        ["@L2", "new text"],
      ]),
    );
    // Only v2 remains: exactly the rows a fresh store holding only v2's content has.
    const fresh = makeTempDir();
    const freshStore = openMetadataStore({ cacheDir: fresh.dir });
    try {
      const { version } = freshStore.getOrCreateVersion(versionInfo("2"), null);
      freshStore.writePublicEntities(version.id, release(new Set([0])));
      freshStore.writeLabels(version.id, [label("@L1", "shared"), label("@L2", "new text")]);
      freshStore.writeDataEntities(version.id, [dataEntity("SharedEntity")]);
      freshStore.writeEnumerations(version.id, [enumeration("NoYes")]);
      expect(store.countMetadataRows()).toBe(freshStore.countMetadataRows());
      expect(store.getContentHash(v2.id)).toBe(freshStore.getContentHash(version.id));
    } finally {
      freshStore.close();
      fresh.cleanup();
    }
    expect(store.countMetadataRows()).toBeLessThan(afterV1);
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
    expect(search(["OnlyInV1"]).total).toBe(0);
    expect(search(["old", "text"]).total).toBe(0);
    expect(store.checkIntegrity()).toEqual({ ok: true, messages: [] });
    // Remove the last version too: every metadata row is gone.
    store.unlinkEnvironment(env.id);
    store.cleanupVersions({ olderThan: new Date(Date.now() + 1000), dryRun: false });
    expect(store.countMetadataRows()).toBe(0);
    expect(store.listVersions()).toEqual([]);
  });
});
