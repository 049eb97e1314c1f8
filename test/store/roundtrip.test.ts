import { statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openMetadataStore, SCHEMA_VERSION } from "../../src/store/index.js";
import { EXPECTED_TABLES } from "../../src/store/sqlite/schema.js";
import type { MetadataStore } from "../../src/store/types.js";
import { dataEntity, enumeration, fullPublicEntity, label, makeTempDir, versionInfo } from "./fixtures.js";

describe("SqliteMetadataStore round trip", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: MetadataStore;

  beforeEach(() => {
    temp = makeTempDir();
    store = openMetadataStore({ cacheDir: join(temp.dir, "cache") });
  });
  afterEach(() => {
    store.close();
    temp.cleanup();
  });

  it("creates every specification table, owner-only permissions, current schema version", async () => {
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(store.location, { readonly: true });
    const names = new Set(
      (db.prepare("SELECT name FROM sqlite_schema WHERE type IN ('table')").all() as { name: string }[]).map(
        (r) => r.name,
      ),
    );
    const version = db.pragma("user_version", { simple: true });
    const pragmas = {
      journal: db.pragma("journal_mode", { simple: true }),
    };
    db.close();
    for (const table of EXPECTED_TABLES) expect(names, table).toContain(table);
    expect(version).toBe(SCHEMA_VERSION);
    expect(pragmas.journal).toBe("wal");
    expect(statSync(join(temp.dir, "cache")).mode & 0o777).toBe(0o700);
    expect(statSync(store.location).mode & 0o777).toBe(0o600);
    expect(store.location.endsWith("metadata-v2.db")).toBe(true);
  });

  it("round-trips every field of public entities, data entities, enumerations and labels", () => {
    const { version } = store.getOrCreateVersion(versionInfo("1"), null);
    const entity = fullPublicEntity();
    const de = dataEntity("CustCustomerV3Entity", {
      entityCategory: null,
      publicCollectionName: null,
      isReadOnly: true,
    });
    const en = enumeration("NoYes", 4);
    store.writePublicEntities(version.id, [entity]);
    store.writeDataEntities(version.id, [de]);
    store.writeEnumerations(version.id, [en]);
    store.writeLabels(version.id, [
      label("@SYS12345", "Customers V3"),
      label("@SYS12345", "Kunden V3", "de-DE"),
      label("@sys12345", "lowercase id is another label"),
    ]);
    store.completeVersion(version.id);

    expect(store.getPublicEntity(version.id, "CustomerV3")).toEqual(entity);
    expect(store.getPublicEntityBySetName(version.id, entity.entitySetName)).toEqual(entity);
    expect(store.getDataEntity(version.id, de.name)).toEqual(de);
    expect(store.getEnumeration(version.id, "NoYes")).toEqual(en);
    expect(store.getLabel(version.id, "@SYS12345", "en-US")).toBe("Customers V3");
    expect(store.getLabel(version.id, "@SYS12345", "de-de")).toBe("Kunden V3");
    expect(store.getLabel(version.id, "@sys12345", "en-us")).toBe("lowercase id is another label");
    expect(store.getLabel(version.id, "@SYS99999", "en-us")).toBeUndefined();
    expect(store.getLabels(version.id, ["@SYS12345", "@sys12345", "@nope", "@SYS12345"], "en-us")).toEqual(
      new Map([
        ["@SYS12345", "Customers V3"],
        ["@sys12345", "lowercase id is another label"],
      ]),
    );
    expect(store.getPublicEntity(version.id, "Missing")).toBeUndefined();
    expect(store.listPublicEntityNames(version.id)).toEqual(["CustomerV3"]);
    expect(store.listDataEntityNames(version.id)).toEqual([de.name]);
    expect(store.listEnumerationNames(version.id)).toEqual(["NoYes"]);
    expect(store.getCounts(version.id)).toEqual({
      dataEntities: 1,
      publicEntities: 1,
      properties: 4,
      navigationProperties: 2,
      actions: 3,
      enumerations: 1,
      labels: 3,
    });
    expect(store.getVersion(version.id)?.status).toBe("complete");
    expect(store.getVersionModules(version.id).map((m) => m.toString())).toEqual(
      versionInfo("1").modules.map((m) => m.toString()),
    );
    expect(store.checkIntegrity()).toEqual({ ok: true, messages: [] });
  });

  it("lists referenced and missing label ids per language", () => {
    const { version } = store.getOrCreateVersion(versionInfo("1"), null);
    store.writePublicEntities(version.id, [fullPublicEntity()]);
    store.writeEnumerations(version.id, [enumeration("NoYes", 2)]);
    const referenced = store.listReferencedLabelIds(version.id);
    expect(referenced).toEqual(
      ["@EN_NoYes", "@EN_NoYes_1", "@SYS10000", "@SYS12345", "@SYS13342", "@SYS7149"].sort(),
    );
    store.writeLabels(version.id, [label("@SYS12345", "Customers"), label("@SYS7149", "Customer account")]);
    expect(store.listMissingLabelIds(version.id, "en-US")).toEqual(
      referenced.filter((id) => id !== "@SYS12345" && id !== "@SYS7149"),
    );
    expect(store.listMissingLabelIds(version.id, "de-de")).toEqual(referenced);
  });

  it("writes are idempotent and count only rows really inserted", () => {
    const { version } = store.getOrCreateVersion(versionInfo("1"), null);
    const first = store.writePublicEntities(version.id, [fullPublicEntity()]);
    // 1 entity + 4 properties + 2 navigation + 3 constraints + 2 groups + 2 members + 3 actions + 2 params + membership
    expect(first).toEqual({ rowsWritten: 20, definitionsReused: 0 });
    const rows = store.countMetadataRows();
    expect(store.writePublicEntities(version.id, [fullPublicEntity()])).toEqual({
      rowsWritten: 0,
      definitionsReused: 1,
    });
    expect(store.writeLabels(version.id, [label("@A", "x")])).toEqual({
      rowsWritten: 2,
      definitionsReused: 0,
    });
    expect(store.writeLabels(version.id, [label("@A", "x")])).toEqual({
      rowsWritten: 0,
      definitionsReused: 1,
    });
    // A changed text for the same id replaces the version's text.
    expect(store.writeLabels(version.id, [label("@A", "y")]).rowsWritten).toBe(2);
    expect(store.getLabel(version.id, "@A", "en-us")).toBe("y");
    expect(store.countMetadataRows()).toBe(rows + 3);
  });

  it("rejects bad input with typed errors", () => {
    expect(() => store.writePublicEntities(999, [fullPublicEntity()])).toThrowError(
      expect.objectContaining({ code: "D365_CONFIG" }),
    );
    expect(() => store.ensureEnvironment("")).toThrowError(expect.objectContaining({ code: "D365_CONFIG" }));
    const env = store.ensureEnvironment("https://contoso.operations.dynamics.com");
    const { version } = store.getOrCreateVersion(versionInfo("1"), env.id);
    expect(() => store.linkEnvironment(env.id, version.id)).toThrowError(/not complete/);
  });
});
