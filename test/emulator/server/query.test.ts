import { describe, expect, it } from "vitest";
import type { ThrottlingKnobs } from "../../../packages/emulator/src/api.js";
import { DEFAULT_KNOBS } from "../../../packages/emulator/src/server/knobs.js";
import { ODataQueryError } from "../../../packages/emulator/src/server/odata/filter.js";
import {
  buildNextLink,
  parseCollectionQuery,
  parseKeySegment,
  parseSelect,
  planPage,
} from "../../../packages/emulator/src/server/odata/query.js";
import { Throttle } from "../../../packages/emulator/src/server/throttle.js";

describe("parseKeySegment", () => {
  it("reads a positional key with an escaped quote", () => {
    expect(parseKeySegment("('O''Brien')")).toEqual(new Map([["", "O'Brien"]]));
  });

  it("reads named keys in any order", () => {
    const keys = parseKeySegment("(Language='en-us', Id='@SYS1')");
    expect(keys.get("Id")).toBe("@SYS1");
    expect(keys.get("Language")).toBe("en-us");
  });

  it.each(["('abc", "(Id=abc)", "()", "(Id='a',Id='b')", "('a',Id='b')", "(Id='a' Language='b')"])(
    "rejects %s",
    (segment) => {
      expect(() => parseKeySegment(segment)).toThrow(ODataQueryError);
    },
  );
});

describe("parseCollectionQuery", () => {
  const schema = { Name: "string", IsReadOnly: "boolean" } as const;
  const selectable = ["Name", "IsReadOnly", "Properties"];

  it("reads $select, $top, $skip, $count, $filter and ignores custom options", () => {
    const q = parseCollectionQuery(
      new URLSearchParams(
        "$select=Name,Properties&$top=5&$skip=2&$count=true&$filter=IsReadOnly&cross-company=true",
      ),
      schema,
      selectable,
    );
    expect(q.select).toEqual(["Name", "Properties"]);
    expect(q).toMatchObject({ top: 5, skip: 2, count: true });
    expect(q.filter?.({ IsReadOnly: true })).toBe(true);
  });

  it.each([
    ["$top=-1"],
    ["$top=abc"],
    ["$skip=1.5"],
    ["$count=yes"],
    ["$orderby=Name"],
    ["$expand=Properties"],
    ["$select=Nope"],
    ["$top=1&$top=2"],
  ])("rejects %s", (query) => {
    expect(() => parseCollectionQuery(new URLSearchParams(query), schema, selectable)).toThrow(
      ODataQueryError,
    );
  });

  it("treats $select=* as no projection", () => {
    expect(parseSelect("*", selectable)).toBeUndefined();
  });
});

describe("planPage", () => {
  it("serves everything in one page by default", () => {
    expect(planPage({ total: 10, skip: 0, pageSize: 0 })).toEqual({ start: 0, end: 10 });
  });

  it("pages server-side when pageSize is set, with the next skip", () => {
    expect(planPage({ total: 10, skip: 0, pageSize: 4 })).toEqual({ start: 0, end: 4, nextSkip: 4 });
    expect(planPage({ total: 10, skip: 8, pageSize: 4 })).toEqual({ start: 8, end: 10 });
  });

  it("never pages when $top is given", () => {
    expect(planPage({ total: 10, top: 7, skip: 1, pageSize: 2 })).toEqual({ start: 1, end: 8 });
  });
});

describe("buildNextLink", () => {
  it("keeps the original query and replaces $skip", () => {
    const params = new URLSearchParams("$filter=contains(Name,'a b')&$skip=3&cross-company=true");
    const link = buildNextLink("http://127.0.0.1:1", "/Metadata/DataEntities", params, 7);
    expect(link.startsWith("http://127.0.0.1:1/Metadata/DataEntities?")).toBe(true);
    const parsed = new URL(link).searchParams;
    expect(parsed.get("$filter")).toBe("contains(Name,'a b')");
    expect(parsed.get("$skip")).toBe("7");
    expect(parsed.get("cross-company")).toBe("true");
  });

  it("adds $skip when absent", () => {
    expect(buildNextLink("http://h", "/x", new URLSearchParams(""), 5)).toBe("http://h/x?$skip=5");
  });
});

describe("Throttle", () => {
  const knobs = (patch: Partial<ThrottlingKnobs>): ThrottlingKnobs => ({
    ...DEFAULT_KNOBS.throttling,
    enabled: true,
    ...patch,
  });

  it("lets everything through when disabled", () => {
    const t = new Throttle();
    expect(t.decide({ ...DEFAULT_KNOBS.throttling, maxConcurrent: 1 }, 0, 100, 0).throttled).toBe(false);
  });

  it("throttles above maxConcurrent", () => {
    const t = new Throttle();
    expect(t.decide(knobs({ maxConcurrent: 2 }), 0, 2, 1).throttled).toBe(false);
    expect(t.decide(knobs({ maxConcurrent: 2 }), 0, 3, 1)).toMatchObject({
      throttled: true,
      reason: "concurrency",
    });
  });

  it("token bucket: burst, then rate", () => {
    const t = new Throttle();
    const k = knobs({ ratePerSecond: 2, burst: 3 });
    const at = (ms: number) => t.decide(k, ms, 1, 1).throttled;
    expect([at(0), at(0), at(0), at(0)]).toEqual([false, false, false, true]);
    expect(at(499)).toBe(true);
    expect(at(1000)).toBe(false); // refilled at 2/s
  });

  it("Retry-After grows under continued pressure, up to the max, and resets after backing off", () => {
    const t = new Throttle();
    const k = knobs({
      maxConcurrent: 1,
      retryAfterSeconds: 2,
      retryAfterGrowth: 2,
      maxRetryAfterSeconds: 10,
    });
    const advice = (ms: number) => t.decide(k, ms, 5, 1).retryAfterSeconds;
    expect([advice(0), advice(100), advice(200), advice(300), advice(400)]).toEqual([2, 4, 8, 10, 10]);
    // The client waited longer than the advised 10 s: a new episode.
    expect(advice(400 + 10_001)).toBe(2);
  });

  it("omits Retry-After when asked", () => {
    const t = new Throttle();
    const d = t.decide(knobs({ maxConcurrent: 1, omitRetryAfter: true }), 0, 2, 1);
    expect(d.throttled).toBe(true);
    expect(d.retryAfterSeconds).toBeUndefined();
  });

  it("storm: random 429s at the given rate", () => {
    const t = new Throttle();
    expect(t.decide(knobs({ randomRate: 0.1 }), 0, 1, 0.05)).toMatchObject({
      throttled: true,
      reason: "storm",
    });
    expect(t.decide(knobs({ randomRate: 0.1 }), 0, 1, 0.5).throttled).toBe(false);
  });
});
