import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoreSearchQuery } from "../../../packages/client/src/store/types.js";
import { type StoreUnderTest, storeBackends } from "../backends.js";
import { label, seedSearchCorpus, simpleEntity, versionInfo } from "../fixtures.js";

describe.each(storeBackends())("store search ($name)", (backend) => {
  let store: StoreUnderTest;
  let v1: number;
  let v2: number;

  beforeAll(async () => {
    store = await backend.open();
    ({ v1, v2 } = await seedSearchCorpus(store));
  });
  afterAll(async () => {
    await backend.cleanup();
  });

  const search = (terms: string[], extra: Partial<StoreSearchQuery> = {}) =>
    store.search({
      versionId: v1,
      terms,
      prefixLastTerm: false,
      language: "en-us",
      limit: 100,
      offset: 0,
      ...extra,
    });

  it("never throws on hostile terms and returns arrays", async () => {
    const hostile = [
      [],
      [""],
      ["   "],
      ['"'],
      ['""'],
      ["'"],
      ["*"],
      ["**"],
      ["-"],
      ["NEAR"],
      ["NEAR(a", "b)"],
      ["AND"],
      ["OR"],
      ["NOT"],
      ["a", "OR", "b"],
      ["(", ")"],
      ["col:val"],
      ["name:customer"],
      ["^cust"],
      ["cust*"],
      ["{name}", ":"],
      ["customer'; DROP TABLE public_entities; --"],
      ["\u0000"],
      ["a\u0000b"],
      ["cust\u0000"],
      ["\u0000cust", "order\u0007"],
      ["\uD800"],
      ["cust\uFFFF"],
      ["Kunde\u0301"],
      ["客户"],
      ["🙂"],
      ["x".repeat(256)],
      Array.from({ length: 32 }, (_, i) => `t${i}`),
    ];
    for (const terms of hostile) {
      for (const prefixLastTerm of [false, true]) {
        const result = await search(terms, { prefixLastTerm });
        expect(Array.isArray(result.hits), JSON.stringify(terms)).toBe(true);
        expect(result.total).toBeGreaterThanOrEqual(result.hits.length);
      }
    }
    expect(await store.getPublicEntity(v1, "Customer")).toBeDefined();
  });

  it("never throws on random strings (deterministic fuzz over ASCII punctuation, controls and unicode)", async () => {
    let seed = 12345;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    const alphabet = [
      '"',
      "'",
      "*",
      "-",
      "+",
      "^",
      ":",
      "(",
      ")",
      "{",
      "}",
      "\u0000",
      "\u001f",
      " ",
      "a",
      "Z",
      "9",
      "é",
      "客",
      "🙂",
      "\uD800",
      "NEAR",
      "AND",
      "OR",
      "NOT",
    ];
    for (let i = 0; i < 400; i++) {
      const terms = Array.from({ length: 1 + (next() % 4) }, () =>
        Array.from({ length: next() % 6 }, () => alphabet[next() % alphabet.length]).join(""),
      );
      const result = await search(terms, {
        prefixLastTerm: next() % 2 === 0,
        kinds: next() % 3 === 0 ? ["label"] : undefined,
      });
      expect(Array.isArray(result.hits), JSON.stringify(terms)).toBe(true);
    }
  });

  it("ranks exact name, then name prefix, then full text", async () => {
    const { hits } = await search(["customer"]);
    expect(hits[0]).toMatchObject({ kind: "publicEntity", name: "Customer", tier: 0, matchedField: "name" });
    const tiers = hits.map((h) => h.tier);
    expect([...tiers].sort()).toEqual(tiers);
    const prefixHits = hits.filter((h) => h.tier === 1);
    expect(prefixHits.map((h) => `${h.kind}:${h.memberName ?? h.name}`)).toEqual(
      expect.arrayContaining([
        "publicEntity:CustomerV3",
        "publicEntity:CustomerGroup",
        "property:CustomerAccount",
      ]),
    );
    // Label text matches are full-text hits on the definition carrying the label.
    expect(hits).toContainEqual(
      expect.objectContaining({
        kind: "label",
        ownerKind: "publicEntity",
        name: "Customer",
        tier: 2,
        matchedField: "label",
        matchedText: "Customer master",
        labelId: "@CUST",
      }),
    );
    // Entity hits carry their label text in the query language.
    expect(hits.find((h) => h.kind === "publicEntity" && h.name === "CustomerV3")?.labelText).toBe(
      "Customers V3",
    );
  });

  it("prefix search on the last term, and multi-word names", async () => {
    const cust = await search(["cust"], { prefixLastTerm: true });
    const names = cust.hits.map((h) => h.memberName ?? h.name);
    expect(names).toEqual(
      expect.arrayContaining(["Customer", "CustomerV3", "CustCustomerV3Entity", "CustVendorBlocked"]),
    );
    expect(cust.hits.filter((h) => h.tier === 1).length).toBeGreaterThan(4);
    expect((await search(["cust"])).hits.map((h) => h.name)).toContain("CustCustomerV3Entity");
    const salesOrder = await search(["sales", "order"]);
    // Within the name-prefix tier the closest (shortest) name comes first.
    expect(salesOrder.hits.slice(0, 2).map((h) => [h.name, h.tier])).toEqual([
      ["SalesOrderLine", 1],
      ["SalesOrderHeader", 1],
    ]);
    expect(salesOrder.hits[0].score).toBeLessThan(salesOrder.hits[1].score);
    expect((await search(["customer", "account"])).hits[0]).toMatchObject({
      kind: "property",
      memberName: "CustomerAccount",
      tier: 0,
      matchedField: "property",
    });
  });

  it("matches collection names and label words in the query language", async () => {
    expect((await search(["CustomersV3"])).hits[0]).toMatchObject({
      kind: "publicEntity",
      name: "CustomerV3",
      tier: 0,
      matchedField: "collection",
      matchedText: "CustomerV3".replace("V3", "sV3"),
    });
    const german = await search(["kunden"], { language: "de-DE" });
    expect(german.hits).toEqual([
      expect.objectContaining({
        kind: "label",
        ownerKind: "publicEntity",
        name: "CustomerV3",
        labelText: "Kunden V3",
      }),
    ]);
    expect((await search(["kunden"])).total).toBe(0);
    expect((await search(["blocked"])).hits).toContainEqual(
      expect.objectContaining({ kind: "label", ownerKind: "enumeration", name: "CustVendorBlocked" }),
    );
  });

  it("finds enumerations, members and actions", async () => {
    expect((await search(["CustVendorBlockedMember1"])).hits[0]).toMatchObject({
      kind: "enumMember",
      name: "CustVendorBlocked",
      memberName: "CustVendorBlockedMember1",
      matchedField: "member",
      tier: 0,
    });
    expect((await search(["GetKeys"])).hits[0]).toMatchObject({
      kind: "action",
      name: "CustomerV3",
      memberName: "GetKeys",
      matchedField: "action",
    });
  });

  it("filters by kind, category, OData-enabled and read-only", async () => {
    const kinds = await search(["customer"], { kinds: ["publicEntity"] });
    expect(kinds.hits.length).toBeGreaterThan(0);
    expect(kinds.hits.every((h) => h.kind === "publicEntity")).toBe(true);
    const transaction = await search(["sales"], { entityCategory: "Transaction", prefixLastTerm: true });
    expect(new Set(transaction.hits.map((h) => h.name))).toEqual(
      new Set(["SalesOrderHeaderEntity", "SalesOrderHeader"]),
    );
    const notOData = await search(["vendor"], { dataServiceEnabled: false, prefixLastTerm: true });
    expect(new Set(notOData.hits.map((h) => h.name))).toEqual(new Set(["VendVendorV2Entity", "VendorV2"]));
    const readOnly = await search(["v2"], { isReadOnly: true });
    expect(readOnly.hits.length).toBeGreaterThan(0);
    expect(readOnly.hits.every((h) => h.name === "VendorV2" || h.name === "VendVendorV2Entity")).toBe(true);
    const writable = await search(["customer"], { isReadOnly: false });
    expect(writable.hits.some((h) => h.kind === "enumeration" || h.kind === "enumMember")).toBe(false);
  });

  it("pages with limit and offset and reports the total", async () => {
    const all = await search(["cust"], { prefixLastTerm: true });
    expect(all.total).toBe(all.hits.length);
    const pages = await Promise.all(
      [0, 4, 8, 12, 16, 20].map((offset) => search(["cust"], { prefixLastTerm: true, limit: 4, offset })),
    );
    expect(pages.flatMap((p) => p.hits)).toEqual(all.hits);
    expect(pages.every((p) => p.total === all.total)).toBe(true);
    const beyond = await search(["cust"], { prefixLastTerm: true, limit: 4, offset: 1000 });
    expect(beyond).toEqual({ hits: [], total: all.total });
    expect((await search(["cust"], { limit: 0 })).hits).toEqual([]);
  });

  it("one identifier splitter for index and query: `order header v2` finds SalesOrderHeaderV2", async () => {
    const found = await search(["order", "header", "v2"]);
    expect(found.hits.map((h) => h.name)).toContain("SalesOrderHeaderV2");
    const typed = await search(["order", "header", "v2"], { prefixLastTerm: true });
    expect(typed.hits.map((h) => h.name)).toContain("SalesOrderHeaderV2");
    // Letters and digits typed apart still find it, and so does a word before a digit run.
    expect((await search(["header", "v", "2"])).hits.map((h) => h.name)).toContain("SalesOrderHeaderV2");
    // The query side splits a pasted identifier the same way.
    const { splitIdentifier } = await import("../../../packages/client/src/search/query.js");
    const words = splitIdentifier("SalesOrderHeaderV2").map((w) => w.toLowerCase());
    expect(words).toEqual(["sales", "order", "header", "v2"]);
    expect((await search(words.slice(1))).hits.map((h) => h.name)).toContain("SalesOrderHeaderV2");
  });

  it("bounds term counts and sizes with a typed error before the query reaches the backend", async () => {
    await expect(search(Array.from({ length: 33 }, (_, i) => `t${i}`))).rejects.toMatchObject({
      code: "D365_CONFIG",
    });
    await expect(search(["x".repeat(257)])).rejects.toMatchObject({ code: "D365_CONFIG" });
    await expect(search("customer" as never)).rejects.toMatchObject({ code: "D365_CONFIG" });
    // The store still answers afterwards.
    expect((await search(["customer"])).total).toBeGreaterThan(0);
  });

  it("scopes hits to the version", async () => {
    expect((await search(["CustomerGroup"])).hits.map((h) => h.name)).toContain("CustomerGroup");
    expect(
      (await search(["CustomerGroup"], { versionId: v2 })).hits.filter((h) => h.kind === "publicEntity"),
    ).toEqual([]);
    expect((await search(["CustomerGroup"], { versionId: 9999 })).total).toBe(0);
  });
});

describe.each(storeBackends())("store search: full-text ranking across many hits ($name)", (backend) => {
  afterAll(async () => {
    await backend.cleanup();
  });

  it("pages of tier-2 hits (ranked from a bounded top-K) equal one large page, in score order", async () => {
    const store = await backend.open();
    {
      const { version } = await store.getOrCreateVersion(versionInfo("1"), null);
      const other = (await store.getOrCreateVersion(versionInfo("2"), null)).version;
      // 300 entities with properties whose split words contain "amount" (tier 2: no name starts with it),
      // of varying lengths so bm25 differs; half of another version's entities match too (out of scope).
      const entities = Array.from({ length: 300 }, (_, i) => {
        const entity = simpleEntity(`Ledger${i}`, 1);
        const words = Array.from(
          { length: 1 + (i % 7) },
          (_, w) => `Word${String.fromCharCode(65 + w)}`,
        ).join("");
        entity.properties[0] = { ...entity.properties[0], name: `Total${words}Amount${i}` };
        return { ...entity, labelId: `@AMT${i}` };
      });
      await store.writePublicEntities(version.id, entities);
      // Label hits come from the other index table: pages must interleave both correctly.
      await store.writeLabels(
        version.id,
        entities
          .slice(0, 100)
          .map((_, i) => label(`@AMT${i}`, `Ledger amount ${"detail ".repeat(i % 5)}${i}`)),
      );
      await store.writePublicEntities(
        other.id,
        entities
          .slice(0, 150)
          .map((e) => ({ ...e, name: `${e.name}Other`, entitySetName: `${e.name}Others` })),
      );
      const query = { versionId: version.id, terms: ["amount"], prefixLastTerm: false, language: "en-us" };
      const all = await store.search({ ...query, limit: 1000, offset: 0 });
      expect(all.total).toBe(400);
      expect(all.hits.every((h) => h.tier === 2 && (h.kind === "property" || h.kind === "label"))).toBe(true);
      expect(all.hits.filter((h) => h.kind === "label")).toHaveLength(100);
      for (let i = 1; i < all.hits.length; i++)
        expect(all.hits[i].score).toBeGreaterThanOrEqual(all.hits[i - 1].score);
      const paged = [];
      for (let offset = 0; offset < 400; offset += 20) {
        const page = await store.search({ ...query, limit: 20, offset });
        expect(page.total).toBe(400);
        paged.push(...page.hits);
      }
      expect(paged.map((h) => `${h.name}.${h.memberName}`)).toEqual(
        all.hits.map((h) => `${h.name}.${h.memberName}`),
      );
    }
  });
});
