/**
 * VersionAwareSearchEngine over a real SQLite store (temp dir) with small hand-made definitions:
 * ranking tiers, reasons, filters, paging, version scoping and hostile input.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigurationError } from "../../packages/client/src/errors.js";
import type { DataEntity, EntityProperty, PublicEntity } from "../../packages/client/src/metadata/models.js";
import { VersionAwareSearchEngine } from "../../packages/client/src/search/engine.js";
import { openMetadataStore } from "../../packages/client/src/store/index.js";
import type { MetadataStore } from "../../packages/client/src/store/types.js";
import { EnvironmentVersionInfo, ModuleVersionInfo } from "../../packages/client/src/version/models.js";
import { entityProperty } from "../_fixtures/models.js";
import { HOSTILE_QUERIES } from "./hostile-queries.js";

function property(name: string, labelId: string | null = null): EntityProperty {
  return entityProperty(name, { labelId });
}

function publicEntity(
  name: string,
  labelId: string,
  properties: EntityProperty[],
  isReadOnly = false,
): PublicEntity {
  return {
    name,
    entitySetName: `${name}s`,
    labelId,
    isReadOnly,
    configurationEnabled: true,
    properties,
    navigationProperties: [],
    propertyGroups: [],
    actions: [],
  };
}

function dataEntity(
  name: string,
  publicName: string | null,
  category: string,
  flags: Partial<DataEntity> = {},
): DataEntity {
  return {
    name,
    publicEntityName: publicName,
    publicCollectionName: publicName ? `${publicName}s` : null,
    labelId: null,
    dataServiceEnabled: publicName !== null,
    dataManagementEnabled: true,
    entityCategory: category,
    isReadOnly: false,
    ...flags,
  };
}

function versionOf(tag: string): EnvironmentVersionInfo {
  return new EnvironmentVersionInfo({
    modules: [
      new ModuleVersionInfo({
        name: "Suite",
        version: tag,
        moduleId: "Suite",
        publisher: "Microsoft",
        displayName: "Suite",
      }),
    ],
  });
}

let dir: string;
let store: MetadataStore;
let engine: VersionAwareSearchEngine;
let v1: number;
let v2: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "d365fo-search-"));
  store = await openMetadataStore({ cacheDir: dir, cacheUrl: "" });
  engine = new VersionAwareSearchEngine(store);
  const write = async (tag: string, entities: PublicEntity[], data: DataEntity[]) => {
    const { version } = await store.getOrCreateVersion(versionOf(tag), null);
    await store.writePublicEntities(version.id, entities);
    await store.writeDataEntities(version.id, data);
    await store.writeEnumerations(version.id, []);
    await store.writeLabels(version.id, [
      { id: "@AR:Customers", language: "en-us", value: "Customers V3" },
      { id: "@AR:Groups", language: "en-us", value: "Customer groups" },
      { id: "@AR:Quote", language: "en-us", value: "Sales quotations" },
      { id: "@SYS7149", language: "en-us", value: "Customer account" },
      { id: "@AP:Vendors", language: "en-us", value: "Vendors" },
    ]);
    await store.completeVersion(version.id);
    return version.id;
  };
  const common = [
    publicEntity("CustomerV3", "@AR:Customers", [property("CustomerAccount", "@SYS7149"), property("Name")]),
    publicEntity("CustomerGroup", "@AR:Groups", [property("CustomerGroupId")], true),
    publicEntity("SalesQuotationHeader", "@AR:Quote", [property("QuotationCustomerAccount", "@SYS7149")]),
  ];
  const data = [
    dataEntity("CustCustomerV3Entity", "CustomerV3", "Master"),
    dataEntity("CustCustomerGroupEntity", "CustomerGroup", "Reference", { isReadOnly: true }),
    dataEntity("SalesQuotationHeaderEntity", "SalesQuotationHeader", "Document"),
    dataEntity("CustStagingEntity", null, "Transaction"),
  ];
  v1 = await write("1.0", common, data);
  v2 = await write(
    "2.0",
    [...common, publicEntity("VendorV2", "@AP:Vendors", [property("VendorAccount")])],
    data,
  );
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("ranking and reasons", () => {
  it("puts the exact name first, then name prefixes", async () => {
    const result = await engine.search(v1, "CustomerV3", { kinds: ["publicEntity", "dataEntity"] });
    expect(result.hits[0]).toMatchObject({ name: "CustomerV3", tier: 0, reason: "exact name" });
    const prefix = await engine.search(v1, "customerg", { kinds: ["publicEntity"] });
    expect(prefix.hits[0]).toMatchObject({
      name: "CustomerGroup",
      tier: 1,
      reason: "name prefix 'customerg'",
    });
  });

  it("orders tiers ascending", async () => {
    const result = await engine.search(v1, "customer", {
      kinds: ["publicEntity", "dataEntity", "property"],
      limit: 100,
    });
    const tiers = result.hits.map((h) => h.tier);
    expect(tiers).toEqual([...tiers].sort((a, b) => a - b));
    expect(result.hits.length).toBeGreaterThan(2);
  });

  it("explains label matches with the label text", async () => {
    const result = await engine.search(v1, "quotations", { kinds: ["publicEntity"] });
    const hit = result.hits.find((h) => h.name === "SalesQuotationHeader");
    expect(hit?.reason).toBe("label: 'Sales quotations'");
  });

  it("finds PascalCase properties from separate words and names the property", async () => {
    const result = await engine.search(v1, "customer account", { kinds: ["property"], limit: 50 });
    const hit = result.hits.find((h) => h.memberName === "CustomerAccount");
    expect(hit).toBeDefined();
    expect(hit?.name).toBe("CustomerV3");
    expect(hit?.reason).toMatch(/CustomerAccount|exact|label/);
  });
});

describe("scoping, filters and paging", () => {
  it("only sees the version it is asked about", async () => {
    expect((await engine.search(v1, "VendorV2", { kinds: ["publicEntity"] })).hits).toEqual([]);
    expect((await engine.search(v2, "VendorV2", { kinds: ["publicEntity"] })).hits[0]?.name).toBe("VendorV2");
  });

  it("filters data entities by category, OData-enabled and read-only", async () => {
    const names = async (options: Parameters<VersionAwareSearchEngine["search"]>[2]) =>
      (await engine.search(v1, "entity", { kinds: ["dataEntity"], limit: 50, ...options })).hits
        .map((h) => h.name)
        .sort();
    expect(await names({ entityCategory: "Master" })).toEqual(["CustCustomerV3Entity"]);
    expect(await names({ dataServiceEnabled: false })).toEqual(["CustStagingEntity"]);
    expect(await names({ isReadOnly: true })).toEqual(["CustCustomerGroupEntity"]);
  });

  it("pages with limit and offset over a stable total", async () => {
    const all = await engine.search(v1, "cust", {
      kinds: ["publicEntity", "dataEntity", "property"],
      limit: 100,
    });
    expect(all.total).toBe(all.hits.length);
    const first = await engine.search(v1, "cust", {
      kinds: ["publicEntity", "dataEntity", "property"],
      limit: 2,
    });
    const second = await engine.search(v1, "cust", {
      kinds: ["publicEntity", "dataEntity", "property"],
      limit: 2,
      offset: 2,
    });
    expect(first.total).toBe(all.total);
    expect([...first.hits, ...second.hits].map((h) => `${h.kind}:${h.name}:${h.memberName}`)).toEqual(
      all.hits.slice(0, 4).map((h) => `${h.kind}:${h.name}:${h.memberName}`),
    );
  });

  it("rejects bad options with ConfigurationError", async () => {
    await expect(engine.search(v1, "x", { limit: 0 })).rejects.toThrow(ConfigurationError);
    await expect(engine.search(v1, "x", { offset: 1.5 })).rejects.toThrow(ConfigurationError);
    await expect(engine.search(v1, "x", { kinds: ["table" as never] })).rejects.toThrow(ConfigurationError);
  });
});

describe("hostile input", () => {
  it(`answers all ${HOSTILE_QUERIES.length} hostile queries with arrays, never an error`, async () => {
    expect(HOSTILE_QUERIES.length).toBeGreaterThanOrEqual(30);
    for (const text of HOSTILE_QUERIES) {
      for (const kinds of [undefined, ["property", "label", "action", "enumMember"] as const]) {
        const result = await engine.search(v1, text, { kinds: kinds ? [...kinds] : undefined });
        expect(Array.isArray(result.hits), JSON.stringify(text).slice(0, 40)).toBe(true);
      }
    }
  });

  it("still finds the words inside hostile syntax", async () => {
    expect((await engine.search(v1, '"CustomerV3"', { kinds: ["publicEntity"] })).hits[0]?.name).toBe(
      "CustomerV3",
    );
    expect((await engine.search(v1, "(vendor OR customerg*", { kinds: ["publicEntity"] })).terms).toEqual([
      "vendor",
      "customerg",
    ]);
  });
});
