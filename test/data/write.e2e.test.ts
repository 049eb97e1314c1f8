/**
 * Writes end to end: create, update (only the properties set), replace, delete, optimistic
 * concurrency with the ETag of a row read earlier, the typed conflict on 412, and the service's
 * own validation answer when client-side validation is off.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConcurrencyConflictError, type Row } from "../../packages/client/src/index.js";
import { type DataEnvironment, startDataEnvironment, validRow } from "./_env.js";

const SET = "CustomersV3";
let t: DataEnvironment;

beforeAll(async () => {
  t = await startDataEnvironment();
}, 300_000);

afterAll(async () => {
  await t?.close();
});

beforeEach(() => {
  t.emulator.environments[0].resetData();
});

const key = (account: string, company = "usmf") => ({ dataAreaId: company, CustomerAccount: account });

describe("create", () => {
  it("creates a row in the default company and returns it with its ETag", async () => {
    const row = await t.d365.create(SET, {
      ...(await validRow(t.d365, "CustomerV3", "W-1")),
      Name: "O'Brien",
    });
    expect(row.CustomerAccount).toBe("W-1");
    expect(row.dataAreaId).toBe("usmf");
    expect(row["@odata.etag"]).toMatch(/^W\//);
    const read = await t.d365.get(SET, key("W-1"));
    expect(read?.Name).toBe("O'Brien");
  });
  it("creates in another company when the body names it", async () => {
    await t.d365.create(SET, { ...(await validRow(t.d365, "CustomerV3", "W-2")), dataAreaId: "usrt" });
    expect((await t.d365.get(SET, key("W-2", "usrt")))?.dataAreaId).toBe("usrt");
    expect(await t.d365.get(SET, key("W-2", "usmf"))).toBeUndefined();
  });
  it("a duplicate key is the service's error (not a client-side one)", async () => {
    const body = await validRow(t.d365, "CustomerV3", "W-3");
    await t.d365.create(SET, body);
    const error = await t.d365.create(SET, body).catch((e: unknown) => e);
    expect((error as { status?: number }).status).toBeGreaterThanOrEqual(400);
    expect((error as { code: string }).code).not.toBe("D365_DATA_VALIDATION");
  });
  it("with validate: false a missing mandatory field reaches the service, which refuses it", async () => {
    const { CreditLimit: _, ...body } = await validRow(t.d365, "CustomerV3", "W-4");
    const error = await t.d365.create(SET, body, { validate: false }).catch((e: unknown) => e);
    expect((error as { serverMessage?: string }).serverMessage).toMatch(/must be filled in/);
  });
});

describe("update, replace, delete", () => {
  let created: Row;
  beforeEach(async () => {
    created = await t.d365.create(SET, await validRow(t.d365, "CustomerV3", "U-1"));
  });

  it("update sends only the properties set", async () => {
    const before = (await t.d365.get(SET, key("U-1"))) as Row;
    const result = await t.d365.update(SET, key("U-1"), { Name: "Renamed", CreditLimit: undefined });
    expect(result.status).toBe(204);
    const after = (await t.d365.get(SET, key("U-1"))) as Row;
    expect(after.Name).toBe("Renamed");
    expect(after.CreditLimit).toBe(before.CreditLimit);
    expect(after["@odata.etag"]).not.toBe(before["@odata.etag"]);
  });
  it("replace puts the row as a whole", async () => {
    // The row as read (non-editable fields unchanged, annotations dropped), with two changes.
    const read = (await t.d365.get(SET, key("U-1"))) as Row;
    await t.d365.replace(SET, key("U-1"), { ...read, Name: "Whole", CreditLimit: 77 });
    const after = (await t.d365.get(SET, key("U-1"))) as Row;
    expect([after.Name, after.CreditLimit]).toEqual(["Whole", 77]);
  });
  it("delete removes the row", async () => {
    expect((await t.d365.delete(SET, key("U-1"))).status).toBe(204);
    expect(await t.d365.get(SET, key("U-1"))).toBeUndefined();
  });
  it("ifMatch with the row read earlier succeeds while the row is unchanged", async () => {
    const row = (await t.d365.get(SET, key("U-1"))) as Row;
    await t.d365.update(SET, key("U-1"), { Name: "First" }, { ifMatch: row });
    expect((await t.d365.get(SET, key("U-1")))?.Name).toBe("First");
  });
  it("a stale ETag is a typed ConcurrencyConflictError and changes nothing", async () => {
    const stale = created["@odata.etag"] as string;
    await t.d365.update(SET, key("U-1"), { Name: "Someone else" });
    const error = await t.d365
      .update(SET, key("U-1"), { Name: "Mine" }, { ifMatch: stale })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConcurrencyConflictError);
    expect((error as ConcurrencyConflictError).code).toBe("D365_CONFLICT");
    expect((error as ConcurrencyConflictError).status).toBe(412);
    expect((error as ConcurrencyConflictError).ifMatch).toBe(stale);
    expect((await t.d365.get(SET, key("U-1")))?.Name).toBe("Someone else");
    const deletion = await t.d365.delete(SET, key("U-1"), { ifMatch: stale }).catch((e: unknown) => e);
    expect(deletion).toBeInstanceOf(ConcurrencyConflictError);
    expect(await t.d365.get(SET, key("U-1"))).toBeDefined();
  });
  it("writes to another company's row add cross-company from the key", async () => {
    await t.d365.create(SET, { ...(await validRow(t.d365, "CustomerV3", "U-2")), dataAreaId: "demf" });
    await t.d365.update(SET, key("U-2", "demf"), { Name: "In demf" });
    expect((await t.d365.get(SET, key("U-2", "demf")))?.Name).toBe("In demf");
    await t.d365.delete(SET, key("U-2", "demf"));
    expect(await t.d365.get(SET, key("U-2", "demf"))).toBeUndefined();
  });
});
