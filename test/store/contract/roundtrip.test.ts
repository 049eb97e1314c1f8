import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type StoreUnderTest, storeBackends } from "../backends.js";
import { dataEntity, enumeration, fullPublicEntity, label, versionInfo } from "../fixtures.js";

describe.each(storeBackends())("store round trip ($name)", (backend) => {
  let store: StoreUnderTest;

  beforeEach(async () => {
    store = await backend.open();
  });
  afterEach(async () => {
    await backend.cleanup();
  });

  it("round-trips every field of public entities, data entities, enumerations and labels", async () => {
    const { version } = await store.getOrCreateVersion(versionInfo("1"), null);
    const entity = fullPublicEntity();
    const de = dataEntity("CustCustomerV3Entity", {
      entityCategory: null,
      publicCollectionName: null,
      isReadOnly: true,
    });
    const en = enumeration("NoYes", 4);
    await store.writePublicEntities(version.id, [entity]);
    await store.writeDataEntities(version.id, [de]);
    await store.writeEnumerations(version.id, [en]);
    await store.writeLabels(version.id, [
      label("@SYS12345", "Customers V3"),
      label("@SYS12345", "Kunden V3", "de-DE"),
    ]);
    await store.completeVersion(version.id);

    expect(await store.getPublicEntity(version.id, "CustomerV3")).toEqual(entity);
    expect(await store.getPublicEntityBySetName(version.id, entity.entitySetName)).toEqual(entity);
    expect(await store.getDataEntity(version.id, de.name)).toEqual(de);
    expect(await store.getEnumeration(version.id, "NoYes")).toEqual(en);
    expect(await store.getLabel(version.id, "@SYS12345", "en-US")).toBe("Customers V3");
    expect(await store.getLabel(version.id, "@SYS12345", "de-de")).toBe("Kunden V3");
    expect(await store.getLabel(version.id, "@SYS99999", "en-us")).toBeUndefined();
    expect(await store.getLabels(version.id, ["@SYS12345", "@nope", "@SYS12345"], "en-us")).toEqual(
      new Map([["@SYS12345", "Customers V3"]]),
    );
    expect(await store.getPublicEntity(version.id, "Missing")).toBeUndefined();
    expect(await store.listPublicEntityNames(version.id)).toEqual(["CustomerV3"]);
    expect(await store.listDataEntityNames(version.id)).toEqual([de.name]);
    expect(await store.listEnumerationNames(version.id)).toEqual(["NoYes"]);
    expect(await store.getCounts(version.id)).toEqual({
      dataEntities: 1,
      publicEntities: 1,
      properties: 4,
      navigationProperties: 2,
      actions: 3,
      enumerations: 1,
      labels: 2,
    });
    expect((await store.getVersion(version.id))?.status).toBe("complete");
    expect((await store.getVersionModules(version.id)).map((m) => m.toString())).toEqual(
      versionInfo("1").modules.map((m) => m.toString()),
    );
    expect(await store.checkIntegrity()).toEqual({ ok: true, messages: [] });
  });

  it("lists referenced and missing label ids per language", async () => {
    const { version } = await store.getOrCreateVersion(versionInfo("1"), null);
    await store.writePublicEntities(version.id, [fullPublicEntity()]);
    await store.writeEnumerations(version.id, [enumeration("NoYes", 2)]);
    const referenced = await store.listReferencedLabelIds(version.id);
    expect(referenced).toEqual(
      ["@EN_NoYes", "@EN_NoYes_1", "@SYS10000", "@SYS12345", "@SYS13342", "@SYS7149"].sort(),
    );
    await store.writeLabels(version.id, [
      label("@SYS12345", "Customers"),
      label("@SYS7149", "Customer account"),
    ]);
    expect(await store.listMissingLabelIds(version.id, "en-US")).toEqual(
      referenced.filter((id) => id !== "@SYS12345" && id !== "@SYS7149"),
    );
    expect(await store.listMissingLabelIds(version.id, "de-de")).toEqual(referenced);
  });

  it("writes are idempotent and count only rows really inserted", async () => {
    const { version } = await store.getOrCreateVersion(versionInfo("1"), null);
    const first = await store.writePublicEntities(version.id, [fullPublicEntity()]);
    // 1 entity + 4 properties + 2 navigation + 3 constraints + 2 groups + 2 members + 3 actions + 2 params + membership
    expect(first).toEqual({ rowsWritten: 20, definitionsReused: 0 });
    const rows = await store.countMetadataRows();
    expect(await store.writePublicEntities(version.id, [fullPublicEntity()])).toEqual({
      rowsWritten: 0,
      definitionsReused: 1,
    });
    expect(await store.writeLabels(version.id, [label("@A", "x")])).toEqual({
      rowsWritten: 2,
      definitionsReused: 0,
    });
    expect(await store.writeLabels(version.id, [label("@A", "x")])).toEqual({
      rowsWritten: 0,
      definitionsReused: 1,
    });
    // A changed text for the same id replaces the version's text.
    expect((await store.writeLabels(version.id, [label("@A", "y")])).rowsWritten).toBe(2);
    expect(await store.getLabel(version.id, "@A", "en-us")).toBe("y");
    expect(await store.countMetadataRows()).toBe(rows + 3);
  });

  it("rejects bad input with typed errors", async () => {
    await expect(store.writePublicEntities(999, [fullPublicEntity()])).rejects.toThrowError(
      expect.objectContaining({ code: "D365_CONFIG" }),
    );
    await expect(store.ensureEnvironment("")).rejects.toThrowError(
      expect.objectContaining({ code: "D365_CONFIG" }),
    );
    const env = await store.ensureEnvironment("https://contoso.operations.dynamics.com");
    const { version } = await store.getOrCreateVersion(versionInfo("1"), env.id);
    await expect(store.linkEnvironment(env.id, version.id)).rejects.toThrowError(/not complete/);
  });

  it("label ids are case-insensitive: lookups, missing ids, and no duplicate for another case", async () => {
    const { version } = await store.getOrCreateVersion(versionInfo("1"), null);
    await store.writePublicEntities(version.id, [fullPublicEntity()]);
    await store.writeLabels(version.id, [label("@SYS7149", "Customer account")]);
    expect(await store.getLabel(version.id, "@sys7149", "en-us")).toBe("Customer account");
    expect(await store.getLabel(version.id, "@Sys7149", "EN-US")).toBe("Customer account");
    // The map is keyed by the ids as asked.
    expect(await store.getLabels(version.id, ["@sys7149", "@SYS7149"], "en-us")).toEqual(
      new Map([
        ["@sys7149", "Customer account"],
        ["@SYS7149", "Customer account"],
      ]),
    );
    expect(await store.listMissingLabelIds(version.id, "en-us")).not.toContain("@SYS7149");
    // Writing the same label under another case replaces it: one label per id, whatever the case.
    const rows = await store.countMetadataRows();
    expect(await store.writeLabels(version.id, [label("@sys7149", "Customer account")])).toMatchObject({
      definitionsReused: 1,
    });
    expect((await store.getCounts(version.id)).labels).toBe(1);
    expect(await store.countMetadataRows()).toBe(rows);
    await store.writeLabels(version.id, [label("@sys7149", "Customer account (new)")]);
    expect((await store.getCounts(version.id)).labels).toBe(1);
    expect(await store.getLabel(version.id, "@SYS7149", "en-us")).toBe("Customer account (new)");
  });

  it("fetched labels: served by getLabel(s), outside the content hash, counts and search; superseded by a sync", async () => {
    const { version } = await store.getOrCreateVersion(versionInfo("1"), null);
    await store.writePublicEntities(version.id, [fullPublicEntity()]);
    await store.writeLabels(version.id, [label("@SYS12345", "Customers")]);
    await store.completeVersion(version.id);
    const hash = await store.getContentHash(version.id);
    const counts = await store.getCounts(version.id);
    const rows = await store.countMetadataRows();
    const missing = await store.listMissingLabelIds(version.id, "en-us");
    expect(missing).toContain("@SYS7149");

    // A read-time fetch needs no sync lease, even while another process holds the version's lease.
    expect(await store.tryAcquireSyncLease(version.id, "someone-else", 60_000)).toBe(true);
    const reader = await backend.openAnother(store);
    await reader.storeFetchedLabels(version.id, [label("@SYS7149", "Zyxwvut fetched text")]);
    await store.storeFetchedLabels(version.id, [label("@sys7149", "Zyxwvut fetched text")]);
    expect(await store.getLabel(version.id, "@sys7149", "en-us")).toBe("Zyxwvut fetched text");
    expect(await store.getLabels(version.id, ["@SYS7149", "@SYS12345"], "en-us")).toEqual(
      new Map([
        ["@SYS7149", "Zyxwvut fetched text"],
        ["@SYS12345", "Customers"],
      ]),
    );
    expect(await store.getContentHash(version.id)).toBe(hash);
    expect(await store.getCounts(version.id)).toEqual(counts);
    expect(await store.countMetadataRows()).toBe(rows);
    // Still missing from the version's content: a sync's label phase fetches it for real.
    expect(await store.listMissingLabelIds(version.id, "en-us")).toEqual(missing);
    const found = await store.search({
      versionId: version.id,
      terms: ["zyxwvut"],
      prefixLastTerm: false,
      language: "en-us",
      limit: 10,
      offset: 0,
    });
    expect(found.total).toBe(0);
    // A synced text supersedes the fetched one.
    await store.writeLabels(version.id, [label("@SYS7149", "Customer account")]);
    expect(await store.getLabel(version.id, "@SYS7149", "en-us")).toBe("Customer account");
    await expect(store.storeFetchedLabels(version.id, [{ id: 7 } as never])).rejects.toMatchObject({
      code: "D365_CONFIG",
    });
    await expect(store.storeFetchedLabels(999, [label("@X", "x")])).rejects.toMatchObject({
      code: "D365_CONFIG",
    });
    expect(await store.checkIntegrity()).toEqual({ ok: true, messages: [] });
  });

  it("a closed store rejects further calls; close is idempotent", async () => {
    await store.ensureEnvironment("https://a.example.com");
    await store.close();
    await store.close();
    await expect(store.listEnvironments()).rejects.toMatchObject({
      code: expect.stringMatching(/^D365_CACHE/),
    });
    await expect(store.getPublicEntity(1, "CustomerV3")).rejects.toThrow(/closed/);
  });
});
