import { describe, expect, it } from "vitest";
import { ValidationError } from "../../packages/client/src/errors.js";
import { parseSearchText } from "../../packages/client/src/search/query.js";
import {
  assertStoreSearchQuery,
  MAX_STORE_LIMIT,
  MAX_TERM_LENGTH,
  MAX_TERMS,
} from "../../packages/client/src/store/search-bounds.js";
import type { StoreSearchQuery } from "../../packages/client/src/store/types.js";
import { HOSTILE_QUERIES } from "../search/hostile-queries.js";

const base: StoreSearchQuery = {
  versionId: 1,
  terms: ["sales", "order"],
  prefixLastTerm: true,
  language: "en-us",
  limit: 20,
  offset: 0,
};

function failure(query: Partial<StoreSearchQuery>): ValidationError {
  try {
    assertStoreSearchQuery({ ...base, ...query } as StoreSearchQuery);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error("expected a ValidationError");
}

describe("store search bounds", () => {
  it("accepts an ordinary query", () => {
    expect(() => assertStoreSearchQuery(base)).not.toThrow();
  });

  it("refuses an oversized term, too many terms and syntax, naming the field", () => {
    expect(failure({ terms: ["a".repeat(MAX_TERM_LENGTH + 1)] }).field).toBe("terms");
    expect(failure({ terms: ["x".repeat(5_000_000)] }).message).toMatch(/1\.\.64 characters/);
    expect(failure({ terms: Array.from({ length: MAX_TERMS + 1 }, (_, i) => `t${i}`) }).field).toBe("terms");
    expect(failure({ terms: ["customer*"] }).field).toBe("terms");
    expect(failure({ terms: ['"a" OR "b"'] }).field).toBe("terms");
    expect(failure({ terms: [""] }).field).toBe("terms");
  });

  it("refuses limits, offsets and languages outside their range", () => {
    expect(failure({ limit: MAX_STORE_LIMIT + 1 }).field).toBe("limit");
    expect(failure({ limit: 0 }).field).toBe("limit");
    expect(failure({ offset: -1 }).field).toBe("offset");
    expect(failure({ offset: 1.5 }).field).toBe("offset");
    expect(failure({ language: "en-us'; DROP TABLE x" }).field).toBe("language");
    expect(failure({ entityCategory: 42 as unknown as string }).field).toBe("entityCategory");
  });

  it("is never tripped by what the query parser makes of hostile user text", () => {
    for (const text of HOSTILE_QUERIES) {
      const parsed = parseSearchText(text);
      expect(() => assertStoreSearchQuery({ ...base, terms: parsed.terms }), text.slice(0, 40)).not.toThrow();
    }
  });
});
