import { describe, expect, it } from "vitest";
import {
  describeMatch,
  MAX_TERM_LENGTH,
  MAX_TERMS,
  parseSearchText,
  splitIdentifier,
} from "../../packages/client/src/search/query.js";
import type { StoreSearchHit } from "../../packages/client/src/store/types.js";
import { HOSTILE_QUERIES } from "./hostile-queries.js";

const PLAIN_TERM = /^[\p{L}\p{M}\p{N}]+$/u;

describe("parseSearchText", () => {
  it("keeps plain words in order and prefix-matches the last by default", () => {
    expect(parseSearchText("customer account")).toEqual({
      terms: ["customer", "account"],
      prefixLastTerm: true,
      excluded: [],
    });
  });

  it("gives no terms for empty, whitespace and syntax-only text", () => {
    for (const text of ["", "   ", "\n\t", '"', "*", "()", "AND OR NOT NEAR", "-", "😀"]) {
      const parsed = parseSearchText(text);
      expect(parsed.terms, JSON.stringify(text)).toEqual([]);
      expect(parsed.prefixLastTerm).toBe(false);
    }
  });

  it("turns quotes, parentheses, stars and operators into plain words", () => {
    expect(parseSearchText('"customer account" AND (vendor OR NEAR(x y))').terms).toEqual([
      "customer",
      "account",
      "vendor",
      "x",
      "y",
    ]);
  });

  it("treats lower-case operator words as ordinary words", () => {
    expect(parseSearchText("and or near").terms).toEqual(["and", "or", "near"]);
  });

  it("excludes words with a leading minus but keeps hyphenated words", () => {
    const parsed = parseSearchText("customer -vendor e-mail");
    expect(parsed.terms).toEqual(["customer", "e", "mail"]);
    expect(parsed.excluded).toEqual(["vendor"]);
  });

  it("does not prefix-match a one-character last word", () => {
    expect(parseSearchText("a").prefixLastTerm).toBe(false);
    expect(parseSearchText("a*").prefixLastTerm).toBe(false);
    expect(parseSearchText("sales o").prefixLastTerm).toBe(false);
    expect(parseSearchText("sales or").prefixLastTerm).toBe(true);
  });

  it("honours a trailing star when prefix matching is off", () => {
    expect(parseSearchText("cust", { prefix: false }).prefixLastTerm).toBe(false);
    expect(parseSearchText("cust*", { prefix: false }).prefixLastTerm).toBe(true);
  });

  it("keeps letters of any script and normalises full-width forms", () => {
    expect(parseSearchText("Kundenkonto Größe 顧客").terms).toEqual(["Kundenkonto", "Größe", "顧客"]);
    expect(parseSearchText("ｃｕｓｔｏｍｅｒ").terms).toEqual(["customer"]);
  });

  it("de-duplicates case-insensitively and bounds term count and length", () => {
    expect(parseSearchText("Cust cust CUST").terms).toEqual(["Cust"]);
    const many = Array.from({ length: 50 }, (_, i) => `w${i}`).join(" ");
    expect(parseSearchText(many).terms).toHaveLength(MAX_TERMS);
    expect(parseSearchText("a".repeat(10_000)).terms[0]).toHaveLength(MAX_TERM_LENGTH);
  });

  it("never throws and yields only plain terms for hostile input", () => {
    for (const text of HOSTILE_QUERIES) {
      const parsed = parseSearchText(text);
      for (const term of parsed.terms) expect(term, JSON.stringify(text).slice(0, 60)).toMatch(PLAIN_TERM);
      expect(parsed.terms.length).toBeLessThanOrEqual(MAX_TERMS);
    }
  });

  it("accepts non-string input without throwing", () => {
    expect(parseSearchText(undefined).terms).toEqual([]);
    expect(parseSearchText(null).terms).toEqual([]);
    expect(parseSearchText(42).terms).toEqual(["42"]);
  });
});

describe("splitIdentifier", () => {
  it("splits PascalCase, camelCase, digits and acronyms", () => {
    expect(splitIdentifier("CustomerAccount")).toEqual(["Customer", "Account"]);
    expect(splitIdentifier("custAccount")).toEqual(["cust", "Account"]);
    expect(splitIdentifier("CustCustomerV3Entity")).toEqual(["Cust", "Customer", "V3", "Entity"]);
    expect(splitIdentifier("VATNumber")).toEqual(["VAT", "Number"]);
    expect(splitIdentifier("Sales_Line")).toEqual(["Sales", "Line"]);
  });
});

describe("describeMatch", () => {
  const hit = (overrides: Partial<StoreSearchHit>): StoreSearchHit => ({
    kind: "publicEntity",
    name: "CustomerV3",
    matchedField: "name",
    matchedText: "CustomerV3",
    tier: 2,
    score: -1,
    labelId: null,
    labelText: null,
    ...overrides,
  });
  const query = parseSearchText("Cust");

  it("explains each tier and field", () => {
    expect(describeMatch(hit({ tier: 0 }), query)).toBe("exact name");
    expect(describeMatch(hit({ tier: 1 }), query)).toBe("name prefix 'cust'");
    expect(describeMatch(hit({ matchedField: "label", labelText: "Customers V3" }), query)).toBe(
      "label: 'Customers V3'",
    );
    expect(
      describeMatch(hit({ kind: "property", memberName: "CustAccount", matchedField: "property" }), query),
    ).toBe("property CustAccount");
    expect(describeMatch(hit({ kind: "property", memberName: "CustAccount", tier: 1 }), query)).toBe(
      "property CustAccount (name prefix 'cust')",
    );
    expect(describeMatch(hit({ kind: "property", memberName: "CustAccount", tier: 0 }), query)).toBe(
      "exact property name",
    );
    expect(describeMatch(hit({ matchedField: "collection", matchedText: "CustomersV3" }), query)).toBe(
      "entity set 'CustomersV3'",
    );
  });
});
