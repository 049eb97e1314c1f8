import { describe, expect, it } from "vitest";
import {
  canonicalPublicEntity,
  hashDataEntity,
  hashEnumeration,
  hashPublicEntity,
} from "../../packages/client/src/store/content-hash.js";
import {
  identifierIndexWords,
  identifierWordList,
  meaningfulTerms,
  nameKey,
  splitIdentifierWords,
} from "../../packages/client/src/store/search-terms.js";
import { buildFtsMatch } from "../../packages/client/src/store/sqlite/search.js";
import { dataEntity, enumeration, fullPublicEntity } from "./fixtures.js";

describe("content hashes", () => {
  it("are stable SHA-256 hex and depend on content only", () => {
    const entity = fullPublicEntity();
    const hash = hashPublicEntity(entity);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashPublicEntity(structuredClone(entity))).toBe(hash);
    // Extra fields and absent-versus-null optional values do not change the identity.
    const withExtra = { ...entity, extra: "ignored" } as typeof entity;
    expect(hashPublicEntity(withExtra)).toBe(hash);
    const withUndefined = { ...entity, labelId: undefined as unknown as null };
    expect(hashPublicEntity(withUndefined)).toBe(hashPublicEntity({ ...entity, labelId: null }));
  });

  it("change with any field, including order, nested constraints and action parameters", () => {
    const base = fullPublicEntity();
    const hash = hashPublicEntity(base);
    const variants = [
      { ...base, isReadOnly: true },
      { ...base, properties: [...base.properties].reverse() },
      {
        ...base,
        properties: base.properties.map((p, i) => (i === 2 ? { ...p, dimensionTypeProperty: null } : p)),
      },
      {
        ...base,
        navigationProperties: base.navigationProperties.map((n, i) =>
          i === 0
            ? { ...n, constraints: n.constraints.map((c) => (c.kind === "Fixed" ? { ...c, value: 3 } : c)) }
            : n,
        ),
      },
      {
        ...base,
        actions: base.actions.map((a, i) =>
          i === 0
            ? {
                ...a,
                parameters: a.parameters.map((p) => ({ ...p, type: { ...p.type, isCollection: true } })),
              }
            : a,
        ),
      },
      {
        ...base,
        actions: base.actions.map((a, i) =>
          i === 2 ? { ...a, returnType: { typeName: "Edm.String", isCollection: false } } : a,
        ),
      },
      {
        ...base,
        propertyGroups: [{ name: "AutoIdentification", properties: ["dataAreaId", "CustomerAccount"] }],
      },
    ];
    const hashes = new Set(variants.map(hashPublicEntity));
    expect(hashes.size).toBe(variants.length);
    expect(hashes.has(hash)).toBe(false);
  });

  it("do not collide between string boundaries (canonical form is structured, not concatenated)", () => {
    const a = { ...fullPublicEntity(), name: "AB", entitySetName: "C" };
    const b = { ...fullPublicEntity(), name: "A", entitySetName: "BC" };
    expect(hashPublicEntity(a)).not.toBe(hashPublicEntity(b));
    expect(canonicalPublicEntity(a)).not.toEqual(canonicalPublicEntity(b));
    expect(hashDataEntity(dataEntity("X"))).not.toBe(hashDataEntity(dataEntity("X", { isReadOnly: true })));
    expect(hashEnumeration(enumeration("E", 2))).not.toBe(hashEnumeration(enumeration("E", 3)));
  });
});

describe("search terms", () => {
  it("quote every term so that FTS syntax in user text is plain text", () => {
    expect(buildFtsMatch(["sales", "order"], false)).toBe('"sales" "order"');
    expect(buildFtsMatch(["cust"], true)).toBe('"cust"*');
    expect(buildFtsMatch(['say "hi"', "NEAR", "a*", "-x", "AND"], true)).toBe(
      '"say ""hi""" "NEAR" "a*" "-x" "AND"*',
    );
    expect(buildFtsMatch([], true)).toBeNull();
    expect(buildFtsMatch(["", "  ", "*", '"', "-"], false)).toBeNull();
    expect(meaningfulTerms([" Kunde ", "*", "客户"])).toEqual(["Kunde", "客户"]);
    // A NUL would end the FTS5 query string early ("unterminated string").
    expect(buildFtsMatch(["a\u0000b", "\u0000"], true)).toBe('"a b"*');
  });

  it("split identifiers into words", () => {
    expect(splitIdentifierWords("CustomerAccount")).toBe("Customer Account");
    expect(splitIdentifierWords("CustInvoiceJourV2")).toBe("Cust Invoice Jour V2");
    expect(identifierWordList("SalesOrderHeaderV2")).toEqual(["Sales", "Order", "Header", "V2"]);
    expect(identifierWordList("CustCustomerV3Entity")).toEqual(["Cust", "Customer", "V3", "Entity"]);
    expect(identifierWordList("VATNumber")).toEqual(["VAT", "Number"]);
    expect(splitIdentifierWords("HTTPStatusCode")).toBe("HTTP Status Code");
    expect(splitIdentifierWords("dataAreaId")).toBe("data Area Id");
    expect(splitIdentifierWords("sales_order")).toBe("sales order");
    expect(splitIdentifierWords("Simple")).toBe("");
  });

  it("index words add the letter and digit parts of a mixed word", () => {
    expect(identifierIndexWords("SalesOrderHeaderV2")).toBe("Sales Order Header V2 V 2");
    expect(identifierIndexWords("TotalAmount17")).toBe("Total Amount17 Amount 17");
    expect(identifierIndexWords("Dimension1")).toBe("Dimension1 Dimension 1");
    expect(identifierIndexWords("Simple")).toBe("");
  });

  it("name key concatenates terms for exact and prefix tiers", () => {
    expect(nameKey(["Customer", "Account"])).toBe("customeraccount");
    expect(nameKey(["CustTable"])).toBe("custtable");
    expect(nameKey(["*", "sales-order"])).toBe("salesorder");
  });
});

describe("search ranking helpers", () => {
  it("topHits equals a full sort's prefix, for heap and sort paths", async () => {
    const { topHits } = await import("../../packages/client/src/store/sqlite/search-scope.js");
    const { searchRowId, decodeSearchRowId } = await import(
      "../../packages/client/src/store/sqlite/search-index.js"
    );
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const candidates = Array.from({ length: 5000 }, (_, i) => {
      const tier = Math.floor(random() * 3);
      return {
        rowid: searchRowId(i + 1, 0, "property", "x".repeat(1 + Math.floor(random() * 30))),
        kind: "property" as const,
        ownerId: i + 1,
        ordinal: 0,
        tier,
        score: tier === 2 ? -random() * 5 : Math.floor(random() * 30),
      };
    });
    const sorted = [...candidates].sort((a, b) => a.tier - b.tier || a.score - b.score || a.rowid - b.rowid);
    for (const count of [1, 20, 100, 3000, 5000]) {
      expect(topHits(candidates, count)).toEqual(sorted.slice(0, count));
    }
    const id = searchRowId(123_456, 789, "enumMember", "CustVendorBlocked");
    expect(decodeSearchRowId(id)).toEqual({ ownerId: 123_456, ordinal: 789, nameLength: 17, code: 5 });
    expect(Number.isSafeInteger(searchRowId(2 ** 27 - 1, 65_535, "label", "x".repeat(500)))).toBe(true);
  });
});
