import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigurationError } from "../../../packages/client/src/errors.js";
import {
  MAX_STORE_SEARCH_TERM_LENGTH,
  MAX_STORE_SEARCH_TERMS,
} from "../../../packages/client/src/store/search-terms.js";
import type { StoreSearchQuery, StoreSearchResult } from "../../../packages/client/src/store/types.js";
import { buildTsQuery, nameTierQueries, tsvectorLiteral } from "../../../packages/postgres/src/search.js";
import { HOSTILE_QUERIES } from "../../search/hostile-queries.js";
import { seedSearchCorpus } from "../fixtures.js";
import { type PostgresFixture, type PostgresTestStore, postgresFixture } from "./_store.js";

describe("PostgreSQL store search", () => {
  let fixture: PostgresFixture;
  let store: PostgresTestStore;
  let v1: number;

  beforeAll(async () => {
    fixture = await postgresFixture("d365fo_search");
    store = await fixture.open();
    // Version 2 exists so that every hit must be scoped to version 1.
    ({ v1 } = await seedSearchCorpus(store));
  });
  afterAll(async () => {
    await fixture.dispose();
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

  it("never surfaces a database error for hostile text (shared list, as words and as one term)", async () => {
    let bounded = 0;
    for (const text of HOSTILE_QUERIES) {
      for (const terms of [text.split(/\s+/), [text]]) {
        for (const prefixLastTerm of [false, true]) {
          const outcome: StoreSearchResult | Error = await search(terms, { prefixLastTerm }).catch(
            (error: Error) => error,
          );
          if (outcome instanceof Error) {
            // Only the contract's own bound (too many or too long terms) may refuse, as a typed error.
            expect(outcome, JSON.stringify(text).slice(0, 80)).toBeInstanceOf(ConfigurationError);
            expect(
              terms.length > MAX_STORE_SEARCH_TERMS ||
                terms.some((t) => t.length > MAX_STORE_SEARCH_TERM_LENGTH),
            ).toBe(true);
            bounded += 1;
            continue;
          }
          expect(Array.isArray(outcome.hits), JSON.stringify(text).slice(0, 80)).toBe(true);
          expect(outcome.total).toBeGreaterThanOrEqual(outcome.hits.length);
        }
      }
    }
    expect(bounded).toBeGreaterThan(0);
    for (const terms of [[], [""], ["'"], ["a\u0000b"], ["cust\uFFFF"], ["Kunde\u0301"], ["x".repeat(256)]]) {
      expect((await search(terms, { prefixLastTerm: true })).total).toBeGreaterThanOrEqual(0);
    }
    expect(await store.getPublicEntity(v1, "Customer")).toBeDefined();
    expect((await store.checkIntegrity()).ok).toBe(true);
  });

  it("builds its tsquery and tsvector from plain lexemes: no operator or quote survives", () => {
    expect(buildTsQuery(["customer's", "ac|count", "(x)"], true)).toBe(
      "'customer' & 's' & 'ac' & 'count' & 'x':*",
    );
    expect(buildTsQuery(["Kunde\u0301", "Ä"], false)).toBe("'kunde' & 'a'");
    expect(buildTsQuery(["!", "&&", "'"], false)).toBeNull();
    expect(buildTsQuery(["a".repeat(3000)], false)).toBeNull();
    expect(nameTierQueries("customerv3")).toEqual({ exact: "'customerv3':AB", prefix: "'customerv3':*AB" });
    expect(nameTierQueries("")).toBeNull();
    expect(
      tsvectorLiteral([
        ["CustomerV3", "A"],
        ["it's \\ a 'test'", "D"],
      ]),
    ).toBe("'customerv3':1A 'it':2D 's':3D 'a':4D 'test':5D");
  });

  it("tolerates typos through trigram similarity when the text finds nothing", async () => {
    const typo = await search(["custmer"]);
    expect(typo.total).toBeGreaterThan(0);
    expect(typo.hits[0]).toMatchObject({ name: "Customer", tier: 2, matchedField: "name" });
    for (let i = 1; i < typo.hits.length; i++)
      expect(typo.hits[i].score).toBeGreaterThanOrEqual(typo.hits[i - 1].score);
    // A real match never mixes in fuzzy ones.
    expect(
      (await search(["vendor"])).hits.every((h) =>
        /vend/i.test(`${h.name} ${h.memberName ?? ""} ${h.matchedText}`),
      ),
    ).toBe(true);
  });
});
