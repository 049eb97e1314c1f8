/**
 * `$batch` end to end: reads, writes and changesets with one typed result per operation; an
 * atomic changeset failing half-way; 429 inside batch parts retried after their Retry-After
 * without re-running the parts that succeeded (library defaults); the split at 5,000 operations.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConcurrencyConflictError, type Row } from "../../packages/client/src/index.js";
import { type DataEnvironment, startDataEnvironment, validRow } from "./_env.js";

const SET = "CustomersV3";
let t: DataEnvironment;
let template: Row;

beforeAll(async () => {
  t = await startDataEnvironment();
  template = await validRow(t.d365, "CustomerV3", "X");
}, 300_000);

afterAll(async () => {
  await t?.close();
});

beforeEach(() => {
  const env = t.emulator.environments[0];
  env.resetData();
  env.setKnobs({ throttling: { enabled: false, ratePerSecond: 0, burst: 0 } });
  env.resetCounters();
});

const row = (account: string): Row => ({ ...template, CustomerAccount: account });
const key = (account: string) => ({ dataAreaId: "usmf", CustomerAccount: account });

describe("operations and changesets", () => {
  it("answers each operation in order with its own typed result", async () => {
    const [existing] = await (async () => {
      const out: Row[] = [];
      for await (const r of t.d365.query(SET, { top: 1 })) out.push(r);
      return out;
    })();
    const batch = t.d365.batch();
    const read = batch.get(SET, key(existing.CustomerAccount as string));
    let create = -1;
    let update = -1;
    batch.changeset((cs) => {
      create = cs.create(SET, row("B-1"));
      update = cs.update(SET, key(existing.CustomerAccount as string), { Name: "Batched" });
    });
    const missing = batch.get(SET, key("NOPE"));
    const results = await batch.send();
    expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    expect([read, create, update, missing]).toEqual([0, 1, 2, 3]);
    expect(results[0]).toMatchObject({
      ok: true,
      status: 200,
      kind: "get",
      body: { CustomerAccount: existing.CustomerAccount },
    });
    expect(results[1]).toMatchObject({
      ok: true,
      status: 201,
      kind: "create",
      body: { CustomerAccount: "B-1" },
    });
    expect(results[1].ok && results[1].etag).toMatch(/^W\//);
    expect(results[2]).toMatchObject({ ok: true, status: 204, kind: "update" });
    expect(results[3]).toMatchObject({ ok: false, status: 404, rolledBack: false });
    expect(!results[3].ok && results[3].error.code).toBe("D365_NOT_FOUND");
    expect((await t.d365.get(SET, key(existing.CustomerAccount as string)))?.Name).toBe("Batched");
    expect(t.emulator.environments[0].counters().byRoute["data.batch"]).toBe(1);
  });

  it("an atomic changeset failing half-way applies nothing; the parts outside it stand", async () => {
    await t.d365.create(SET, row("DUP"));
    const batch = t.d365.batch();
    batch.changeset((cs) => {
      cs.create(SET, row("A-1"));
      cs.create(SET, row("DUP")); // duplicate key: the service refuses it
      cs.create(SET, row("A-2"));
    });
    batch.create(SET, row("A-3"));
    const results = await batch.send();
    expect(results.slice(0, 3).every((r) => !r.ok && r.rolledBack)).toBe(true);
    expect(results.slice(0, 3).map((r) => r.status)).toEqual([500, 500, 500]);
    expect(results[3]).toMatchObject({ ok: true, status: 201 });
    expect(await t.d365.get(SET, key("A-1"))).toBeUndefined();
    expect(await t.d365.get(SET, key("A-2"))).toBeUndefined();
    expect(await t.d365.get(SET, key("A-3"))).toBeDefined();
  });

  it("a stale ETag inside a batch is a typed conflict result", async () => {
    const created = await t.d365.create(SET, row("E-1"));
    await t.d365.update(SET, key("E-1"), { Name: "moved on" });
    const batch = t.d365.batch();
    batch.update(SET, key("E-1"), { Name: "mine" }, { ifMatch: created });
    const [result] = await batch.send();
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toBeInstanceOf(ConcurrencyConflictError);
  });
});

describe("throttling inside the batch", () => {
  it("429 parts are sent again after Retry-After; the parts that succeeded are not re-run", async () => {
    const env = t.emulator.environments[0];
    // A small bucket refilling at 4/s: the first parts pass, the rest come back 429 with Retry-After: 1.
    env.setKnobs({
      throttling: { enabled: true, ratePerSecond: 4, burst: 4, retryAfterSeconds: 1, retryAfterGrowth: 1 },
    });
    const batch = t.d365.batch();
    for (let i = 0; i < 10; i++) batch.create(SET, row(`T-${i}`));
    batch.changeset((cs) => {
      cs.create(SET, row("T-cs-1"));
      cs.create(SET, row("T-cs-2"));
    });
    const results = await batch.send();
    env.setKnobs({ throttling: { enabled: false } });
    // Had a part that succeeded been sent again, its second create would be a duplicate-key 500.
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(201));
    const counters = env.counters();
    expect(counters.throttled).toBeGreaterThan(0);
    expect(counters.byRoute["data.batch"]).toBeGreaterThan(1);
    const created = [];
    for await (const r of t.d365.query(SET, {
      filter: "CustomerAccount eq 'T-*'",
      select: ["CustomerAccount"],
    }))
      created.push(r.CustomerAccount);
    expect(created.sort()).toEqual(
      [...Array.from({ length: 10 }, (_, i) => `T-${i}`), "T-cs-1", "T-cs-2"].sort(),
    );
  }, 300_000);
});

describe("size", () => {
  it("splits more than 5,000 operations into several batches", async () => {
    const batch = t.d365.batch();
    for (let i = 0; i < 5_050; i++) batch.create(SET, row(`S-${i}`));
    const results = await batch.send();
    expect(results).toHaveLength(5_050);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(t.emulator.environments[0].counters().byRoute["data.batch"]).toBe(2);
    expect(await t.d365.count(SET, { filter: "CustomerAccount eq 'S-*'" })).toBe(5_050);
  }, 300_000);
});
