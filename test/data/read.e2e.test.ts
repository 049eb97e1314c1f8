/**
 * Reads end to end against the emulator over HTTP: every query option and operator (each result
 * compared with the same condition applied to all rows here), paging over several pages,
 * cross-company, composite keys in any order, by-key reads, counts and cancellation.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AbortedError } from "../../packages/client/src/errors.js";
import { f, type Row } from "../../packages/client/src/index.js";
import { collect, type DataEnvironment, startDataEnvironment } from "./_env.js";

const SET = "CustomersV3";
const ROWS = 250;
const PAGE = 100;
let t: DataEnvironment;
/** Every row of every company, read once (cross-company). */
let all: Row[];

beforeAll(async () => {
  t = await startDataEnvironment({ data: { rowsBySet: { [SET]: ROWS } }, knobs: { dataPageSize: PAGE } });
  all = await collect(t.d365.query(SET, { crossCompany: true }));
}, 300_000);

afterAll(async () => {
  await t?.close();
});

const sorted = (rows: Row[]) => rows.map((r) => `${r.dataAreaId}|${r.CustomerAccount}`).sort();

async function expectSameRows(options: Parameters<typeof t.d365.query>[1], predicate: (row: Row) => boolean) {
  const rows = await collect(t.d365.query(SET, { crossCompany: true, ...options }));
  const expected = all.filter(predicate);
  expect(expected.length, "the condition should select some but not all rows").toBeGreaterThan(0);
  expect(sorted(rows)).toEqual(sorted(expected));
}

describe("the connection", () => {
  it("data calls and the metadata sync share one HTTP pipeline and limiter", async () => {
    expect(t.d365.http).toBe(t.d365.metadata.http);
    const before = t.d365.counters().requests;
    await t.d365.count(SET);
    await t.d365.metadata.getInstalledModules();
    expect(t.d365.counters().requests).toBe(before + 2);
    expect(t.d365.limiterState()).toEqual(t.d365.metadata.limiterState());
  });
});

describe("paging", () => {
  it("follows nextLinks over several pages and returns every row once", async () => {
    const pages: { rows: number; nextLink?: string }[] = [];
    const rows = await collect(t.d365.query(SET, { crossCompany: true, onPage: (p) => pages.push(p) }));
    expect(rows).toHaveLength(ROWS);
    expect(new Set(sorted(rows)).size).toBe(ROWS);
    expect(pages.map((p) => p.rows)).toEqual([100, 100, 50]);
    expect(pages.slice(0, 2).every((p) => p.nextLink)).toBe(true);
    expect(all).toHaveLength(ROWS);
  });

  it("maxPageSize sends Prefer: odata.maxpagesize (honoured when the service does)", async () => {
    const env = t.emulator.environments[0];
    env.setKnobs({ honourMaxPageSize: true });
    try {
      const pages: number[] = [];
      const rows = await collect(
        t.d365.query(SET, { crossCompany: true, maxPageSize: 60, onPage: (p) => pages.push(p.rows) }),
      );
      expect(rows).toHaveLength(ROWS);
      expect(pages).toEqual([60, 60, 60, 60, 10]);
    } finally {
      env.setKnobs({ honourMaxPageSize: false });
    }
  });

  it("stops when the signal aborts, without reading further pages", async () => {
    const controller = new AbortController();
    t.emulator.environments[0].resetCounters();
    let seen = 0;
    await expect(
      (async () => {
        for await (const _ of t.d365.query(SET, { crossCompany: true, signal: controller.signal })) {
          seen++;
          if (seen === 150) controller.abort();
        }
      })(),
    ).rejects.toBeInstanceOf(AbortedError);
    expect(seen).toBe(150);
    expect(t.emulator.environments[0].counters().byRoute["data.entitySet"]).toBe(2);
  });
});

describe("companies", () => {
  it("without cross-company only the default company's rows come back", async () => {
    const rows = await collect(t.d365.query(SET));
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.dataAreaId))).toEqual(new Set(["usmf"]));
  });
  it("adds cross-company by itself when the filter names dataAreaId", async () => {
    const rows = await collect(t.d365.query(SET, { filter: f.eq("dataAreaId", "usrt") }));
    expect(rows.length).toBe(all.filter((r) => r.dataAreaId === "usrt").length);
    expect(rows.length).toBeGreaterThan(0);
    const text = await collect(t.d365.query(SET, { filter: "dataAreaId eq 'demf'" }));
    expect(text.every((r) => r.dataAreaId === "demf") && text.length > 0).toBe(true);
  });
  it("company: X reads that company only", async () => {
    const rows = await collect(t.d365.query(SET, { company: "DEMF" }));
    expect(rows.length).toBe(all.filter((r) => r.dataAreaId === "demf").length);
  });
  it("every company's rows with crossCompany: true", () => {
    expect(new Set(all.map((r) => r.dataAreaId))).toEqual(new Set(["usmf", "usrt", "demf"]));
  });
});

describe("$filter operators", () => {
  it("eq, ne on strings", async () => {
    const name = all[7].Name as string;
    await expectSameRows({ filter: f.eq("Name", name) }, (r) => r.Name === name);
    await expectSameRows({ filter: f.ne("dataAreaId", "usmf") }, (r) => r.dataAreaId !== "usmf");
  });
  it("gt, ge, lt, le on numbers", async () => {
    const limits = all.map((r) => r.CreditLimit as number).sort((a, b) => a - b);
    const median = limits[Math.floor(limits.length / 2)];
    await expectSameRows({ filter: f.gt("CreditLimit", median) }, (r) => (r.CreditLimit as number) > median);
    await expectSameRows({ filter: f.ge("CreditLimit", median) }, (r) => (r.CreditLimit as number) >= median);
    await expectSameRows({ filter: f.lt("CreditLimit", median) }, (r) => (r.CreditLimit as number) < median);
    await expectSameRows({ filter: f.le("CreditLimit", median) }, (r) => (r.CreditLimit as number) <= median);
  });
  it("and, or, not, parentheses", async () => {
    const median = all.map((r) => r.CreditLimit as number).sort((a, b) => a - b)[ROWS / 2];
    await expectSameRows(
      {
        filter: f.and(
          f.eq("dataAreaId", "usrt"),
          f.or(f.gt("CreditLimit", median), f.eq("dataAreaId", "demf")),
        ),
      },
      (r) => r.dataAreaId === "usrt" && (r.CreditLimit as number) > median,
    );
    await expectSameRows({ filter: f.not(f.eq("dataAreaId", "usmf")) }, (r) => r.dataAreaId !== "usmf");
  });
  it("arithmetic", async () => {
    const median = all.map((r) => r.CreditLimit as number).sort((a, b) => a - b)[ROWS / 2];
    await expectSameRows(
      { filter: f.gt(f.add("CreditLimit", 100), median) },
      (r) => (r.CreditLimit as number) + 100 > median,
    );
    await expectSameRows(
      { filter: f.le(f.mul("CreditLimit", 2), median) },
      (r) => (r.CreditLimit as number) * 2 <= median,
    );
  });
  it("contains, startsWith, endsWith as D365 wildcards", async () => {
    const word = (all[3].Name as string).split(" ")[0];
    await expectSameRows({ filter: f.contains("Name", word) }, (r) => (r.Name as string).includes(word));
    await expectSameRows({ filter: f.startsWith("Name", word) }, (r) => (r.Name as string).startsWith(word));
    const tail = (all[5].Name as string).slice(-2);
    await expectSameRows({ filter: f.endsWith("Name", tail) }, (r) => (r.Name as string).endsWith(tail));
  });
  it("enums by member name, dates unquoted, a text filter", async () => {
    const member = all[0].AccountStatement as string;
    await expectSameRows({ filter: f.eq("AccountStatement", member) }, (r) => r.AccountStatement === member);
    await expectSameRows({ filter: f.ne("AccountStatement", member) }, (r) => r.AccountStatement !== member);
    const dates = all.map((r) => r.ModifiedDateTime as string).sort();
    const cut = dates[Math.floor(dates.length / 3)];
    await expectSameRows(
      { filter: f.ge("ModifiedDateTime", new Date(cut)) },
      (r) => (r.ModifiedDateTime as string) >= cut,
    );
    await expectSameRows(
      { filter: `ModifiedDateTime lt ${cut} and dataAreaId ne 'usmf'` },
      (r) => (r.ModifiedDateTime as string) < cut && r.dataAreaId !== "usmf",
    );
  });
  it("a value with a quote is escaped, never breaking out of its literal", async () => {
    const rows = await collect(
      t.d365.query(SET, { filter: f.eq("Name", "x' or Name ne 'y"), crossCompany: true }),
    );
    expect(rows).toEqual([]);
  });
});

describe("query options", () => {
  it("$select returns only the selected properties", async () => {
    const rows = await collect(t.d365.query(SET, { select: ["CustomerAccount", "Name"], top: 3 }));
    expect(rows).toHaveLength(3);
    for (const row of rows)
      expect(
        Object.keys(row)
          .filter((k) => !k.startsWith("@"))
          .sort(),
      ).toEqual(["CustomerAccount", "Name"]);
  });
  it("$orderby ascending and descending", async () => {
    const asc = await collect(
      t.d365.query(SET, { crossCompany: true, orderBy: ["CreditLimit"], select: ["CreditLimit"] }),
    );
    const values = asc.map((r) => r.CreditLimit as number);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    const desc = await collect(
      t.d365.query(SET, { crossCompany: true, orderBy: [{ field: "Name", descending: true }], top: 20 }),
    );
    const names = desc.map((r) => r.Name as string);
    expect(names).toEqual([...names].sort().reverse());
  });
  it("$top and $skip (no nextLink with $top)", async () => {
    const pages: { nextLink?: string }[] = [];
    const first = await collect(
      t.d365.query(SET, {
        crossCompany: true,
        orderBy: ["CustomerAccount", "dataAreaId"],
        top: 150,
        onPage: (p) => pages.push(p),
      }),
    );
    expect(first).toHaveLength(150);
    const skipped = await collect(
      t.d365.query(SET, {
        crossCompany: true,
        orderBy: ["CustomerAccount", "dataAreaId"],
        skip: 140,
        top: 10,
      }),
    );
    expect(sorted(skipped)).toEqual(sorted(first.slice(140)));
  });
  it("$count reports the total with the first page, and count() answers it alone", async () => {
    const counts: (number | undefined)[] = [];
    await collect(
      t.d365.query(SET, { crossCompany: true, count: true, top: 1, onPage: (p) => counts.push(p.count) }),
    );
    expect(counts[0]).toBe(ROWS);
    expect(await t.d365.count(SET, { crossCompany: true })).toBe(ROWS);
    expect(await t.d365.count(SET, { filter: f.eq("dataAreaId", "usrt") })).toBe(
      all.filter((r) => r.dataAreaId === "usrt").length,
    );
  });
  it("$expand a navigation one level", async () => {
    const [row] = await collect(t.d365.query(SET, { expand: ["CustomerGroup"], top: 1 }));
    expect(row).toHaveProperty("CustomerGroup");
  });
});

describe("by key", () => {
  it("a composite key in either order reads the same row, across companies", async () => {
    const target = all.find((r) => r.dataAreaId === "usrt") as Row;
    const a = await t.d365.get(SET, {
      dataAreaId: "usrt",
      CustomerAccount: target.CustomerAccount as string,
    });
    const b = await t.d365.get(SET, {
      CustomerAccount: target.CustomerAccount as string,
      dataAreaId: "usrt",
    });
    expect(a?.CustomerAccount).toBe(target.CustomerAccount);
    expect(a?.Name).toBe(target.Name);
    expect(b).toEqual(a);
  });
  it("a key with upper-case company and $select", async () => {
    const target = all[0];
    const row = await t.d365.get(
      SET,
      {
        dataAreaId: (target.dataAreaId as string).toUpperCase(),
        CustomerAccount: target.CustomerAccount as string,
      },
      { select: ["Name"] },
    );
    expect(row?.Name).toBe(target.Name);
  });
  it("answers undefined for a key with no row", async () => {
    expect(await t.d365.get(SET, { dataAreaId: "usmf", CustomerAccount: "NO-SUCH-O'NE" })).toBeUndefined();
  });
});
