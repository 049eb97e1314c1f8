import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConfigurationError } from "../../../packages/client/src/errors.js";
import type { RunningEmulator } from "../../../packages/emulator/src/api.js";
import { entity, get, sampleValue, send, startDataEmulator, validCreateBody } from "./data-helpers.js";
import { rawRequest } from "./helpers.js";

let emulator: RunningEmulator;
let base: string;
const WRITE_EXCEPTION = "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException";
const key = (company: string, account: string) =>
  `/data/CustomersV3(dataAreaId='${company}',CustomerAccount='${account}')`;

beforeAll(async () => {
  emulator = await startDataEmulator();
  base = emulator.environments[0].baseUrl;
});
afterAll(() => emulator.close());
beforeEach(() => emulator.environments[0].resetData());

const count = async (path = "/data/CustomersV3/$count?cross-company=true") =>
  Number((await get(emulator, path)).text);

describe("POST (create)", () => {
  it("creates a row: 201 with the entity, ETag and Location; the company defaults to the caller's", async () => {
    const res = await send(
      emulator,
      "POST",
      "/data/CustomersV3",
      validCreateBody(emulator, "CustomersV3", "NEW-1"),
    );
    expect(res.status, res.text).toBe(201);
    const body = res.json();
    expect(body["@odata.context"]).toBe(`${base}/data/$metadata#CustomersV3/$entity`);
    expect(body).toMatchObject({ dataAreaId: "usmf", CustomerAccount: "NEW-1" });
    expect(res.headers.etag).toBe(body["@odata.etag"]);
    expect(res.headers.location).toBe(`${base}${key("usmf", "NEW-1")}`);
    expect((await get(emulator, key("usmf", "NEW-1"))).json()).toEqual(body);
    // Fields not given get their empty value (strings "", not null).
    const emptyString = entity(emulator, "CustomersV3").Properties.find(
      (p) => p.DataType === "String" && !p.IsMandatory && !p.IsKey,
    );
    expect(body[emptyString!.Name]).toBe("");
  });

  it("creates in another company when dataAreaId is given (any case); Prefer return=minimal answers 204", async () => {
    const res = await send(
      emulator,
      "POST",
      "/data/CustomersV3",
      { ...validCreateBody(emulator, "CustomersV3", "NEW-2"), dataAreaId: "USRT" },
      { prefer: "return=minimal" },
    );
    expect(res.status).toBe(204);
    expect(res.headers.location).toBe(`${base}${key("usrt", "NEW-2")}`);
    expect((await get(emulator, `${key("usrt", "NEW-2")}?cross-company=true`)).json().dataAreaId).toBe(
      "usrt",
    );
  });

  it("a missing mandatory field is an X++ validation failure (500, Infolog text with the label); nothing is written", async () => {
    const e = entity(emulator, "CustomersV3");
    const mandatory = e.Properties.find((p) => p.IsMandatory && !p.IsKey)!;
    const body = validCreateBody(emulator, "CustomersV3", "NEW-3");
    delete body[mandatory.Name];
    const before = await count();
    const res = await send(emulator, "POST", "/data/CustomersV3", body);
    expect(res.status).toBe(500);
    const error = res.json().error;
    expect(error.code).toBe("");
    expect(error.message).toBe("An error has occurred.");
    expect(error.innererror.type).toBe(WRITE_EXCEPTION);
    const label =
      emulator.environments[0].release.labels.get("en-us")?.get(mandatory.LabelId ?? "") ?? mandatory.Name;
    expect(error.innererror.message).toBe(
      `Write failed for table row of type 'CustCustomerV3Entity'. Infolog: Warning: Field '${label}' must be filled in.`,
    );
    expect(await count()).toBe(before);
  });

  it("concurrent creates of one key: exactly one succeeds, even while writes take server time", async () => {
    const env = emulator.environments[0];
    env.setKnobs({ latency: { writeMs: 40 } });
    try {
      const body = validCreateBody(emulator, "CustomersV3", "RACE-1");
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => send(emulator, "POST", "/data/CustomersV3", body)),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([201, 500, 500, 500, 500, 500]);
    } finally {
      env.setKnobs({ latency: { writeMs: 0 } });
    }
  });

  it("a field not editable on create is refused", async () => {
    const locked = entity(emulator, "CustomersV3").Properties.find((p) => !p.AllowEditOnCreate && !p.IsKey)!;
    const res = await send(emulator, "POST", "/data/CustomersV3", {
      ...validCreateBody(emulator, "CustomersV3", "NEW-4"),
      [locked.Name]: sampleValue(locked, emulator),
    });
    expect(res.status).toBe(500);
    expect(res.json().error.innererror.message).toMatch(
      new RegExp(`\\(${locked.Name}\\) cannot be set when a record is created`),
    );
  });

  it("a duplicate key is refused with the X++ 'record already exists' text", async () => {
    const res = await send(
      emulator,
      "POST",
      "/data/CustomersV3",
      validCreateBody(emulator, "CustomersV3", "CA-000003"),
    );
    expect(res.status).toBe(500);
    expect(res.json().error.innererror.message).toMatch(
      /Cannot create a record in Customers V3 \(CustCustomerV3Entity\)\. Customer account: CA-000003, usmf\. The record already exists/,
    );
  });

  it.each([
    [
      "an unknown field",
      { Nope: 1 },
      /The property 'Nope' does not exist on type 'Microsoft\.Dynamics\.DataEntities\.CustomerV3'/,
    ],
    [
      "a value of the wrong type",
      { CreditLimit: "lots" },
      /Cannot convert the literal 'lots' to the expected type 'Edm\.Decimal'/,
    ],
    [
      "an enum value that is not a member",
      { AccountStatement: "Weekly" },
      /'Weekly' is not a valid enumeration type constant/,
    ],
    ["a bad date", { LastInvoiceDate: "yesterday" }, /Edm\.DateTimeOffset/],
    ["null for a mandatory field", { CreditLimit: null }, /does not allow null values/],
    ["a deep insert", { CustomerGroup: {} }, /Deep insert/],
    [
      "another entity's @odata.type",
      { "@odata.type": "#Microsoft.Dynamics.DataEntities.VendorV2" },
      /could not be resolved/,
    ],
  ])("%s is a 400 from the OData layer", async (_what, extra, message) => {
    const res = await send(emulator, "POST", "/data/CustomersV3", {
      ...validCreateBody(emulator, "CustomersV3", "NEW-5"),
      ...extra,
    });
    expect(res.status).toBe(400);
    expect(res.json().error.innererror.type).toBe("Microsoft.OData.ODataException");
    expect(res.json().error.innererror.message).toMatch(message);
  });

  it("accepts its own @odata.type; rejects an unknown company, a read-only entity and a non-JSON body", async () => {
    const ok = await send(emulator, "POST", "/data/CustomersV3", {
      "@odata.type": "#Microsoft.Dynamics.DataEntities.CustomerV3",
      ...validCreateBody(emulator, "CustomersV3", "NEW-6"),
    });
    expect(ok.status).toBe(201);
    const company = await send(emulator, "POST", "/data/CustomersV3", {
      ...validCreateBody(emulator, "CustomersV3", "NEW-7"),
      dataAreaId: "zzzz",
    });
    expect(company.status).toBe(500);
    expect(company.json().error.innererror.message).toMatch(/Company 'zzzz' does not exist/);
    const readOnly = await send(emulator, "POST", "/data/SystemNotifications", { Id: 1 });
    expect(readOnly.status).toBe(400);
    expect(readOnly.json().error.innererror.message).toMatch(/read-only/);
    expect((await send(emulator, "POST", "/data/CustomersV3", "{not json")).status).toBe(400);
  });
});

describe("PATCH, PUT, DELETE with ETags (§8.1)", () => {
  const path = key("usmf", "CA-000004");
  const editable = () =>
    entity(emulator, "CustomersV3").Properties.find(
      (p) => p.DataType === "String" && p.AllowEdit && !p.IsMandatory && !p.IsKey,
    )!;

  it("PATCH changes only the given fields: 204 with a new ETag; the old ETag then fails with 412", async () => {
    const before = (await get(emulator, path)).json();
    const field = editable().Name;
    const res = await send(
      emulator,
      "PATCH",
      path,
      { [field]: "Changed" },
      { "if-match": before["@odata.etag"] },
    );
    expect(res.status).toBe(204);
    expect(res.headers["content-length"]).toBeUndefined();
    expect(res.headers["content-type"]).toBeUndefined();
    expect(res.headers.etag).toMatch(/^W\/"/);
    expect(res.headers.etag).not.toBe(before["@odata.etag"]);
    const after = (await get(emulator, path)).json();
    expect(after).toEqual({ ...before, [field]: "Changed", "@odata.etag": res.headers.etag });
    const stale = await send(
      emulator,
      "PATCH",
      path,
      { [field]: "Again" },
      { "if-match": before["@odata.etag"] },
    );
    expect(stale.status).toBe(412);
    expect(stale.json().error.message).toMatch(/etag/i);
    expect((await get(emulator, path)).json()[field]).toBe("Changed");
    expect((await send(emulator, "PATCH", path, { [field]: "Star" }, { "if-match": "*" })).status).toBe(204);
    // The precondition is decided before the body is looked at.
    expect(
      (await send(emulator, "PATCH", path, { Nope: 1 }, { "if-match": before["@odata.etag"] })).status,
    ).toBe(412);
    const representation = await send(
      emulator,
      "PATCH",
      path,
      { [field]: "Back" },
      { prefer: "return=representation" },
    );
    expect(representation.status).toBe(200);
    expect(representation.json()[field]).toBe("Back");
  });

  it("PATCH of a field that is not editable, or of a key, is refused; the same key value is fine", async () => {
    const locked = entity(emulator, "CustomersV3").Properties.find((p) => !p.AllowEdit && !p.IsKey)!;
    const res = await send(emulator, "PATCH", path, { [locked.Name]: sampleValue(locked, emulator, 5) });
    expect(res.status).toBe(500);
    expect(res.json().error.innererror.message).toMatch(new RegExp(`\\(${locked.Name}\\) cannot be edited`));
    expect((await send(emulator, "PATCH", path, { CustomerAccount: "OTHER" })).status).toBe(500);
    expect(
      (await send(emulator, "PATCH", path, { CustomerAccount: "CA-000004", dataAreaId: "USMF" })).status,
    ).toBe(204);
    const mandatory = entity(emulator, "CustomersV3").Properties.find(
      (p) => p.IsMandatory && !p.IsKey && p.DataType === "Real",
    )!;
    const emptied = await send(emulator, "PATCH", path, { [mandatory.Name]: 0 });
    expect(emptied.status).toBe(500);
    expect(emptied.json().error.innererror.message).toMatch(/must be filled in/);
  });

  it("PUT replaces the row: editable fields left out are reset", async () => {
    const field = editable().Name;
    const body = validCreateBody(emulator, "CustomersV3", "CA-000004");
    const res = await send(emulator, "PUT", path, body);
    expect(res.status, res.text).toBe(204);
    const after = (await get(emulator, path)).json();
    expect(after[field]).toBe("");
  });

  it("DELETE removes the row (404 afterwards); If-Match is honoured; a read-only entity refuses", async () => {
    const current = (await get(emulator, path)).json()["@odata.etag"];
    expect((await send(emulator, "DELETE", path, undefined, { "if-match": 'W/"Jzk5LDk5Jw=="' })).status).toBe(
      412,
    );
    expect((await send(emulator, "DELETE", path, undefined, { "if-match": current })).status).toBe(204);
    expect((await get(emulator, path)).status).toBe(404);
    expect((await send(emulator, "DELETE", path)).status).toBe(404);
    expect((await send(emulator, "DELETE", "/data/SystemNotifications(5637144576)")).status).toBe(400);
    // The key is free again.
    expect(
      (
        await send(
          emulator,
          "POST",
          "/data/CustomersV3",
          validCreateBody(emulator, "CustomersV3", "CA-000004"),
        )
      ).status,
    ).toBe(201);
  });

  it("a row of another company is only writable with cross-company=true", async () => {
    const other = key("usrt", "CA-000004");
    expect((await send(emulator, "PATCH", other, { [editable().Name]: "x" })).status).toBe(404);
    expect(
      (await send(emulator, "PATCH", `${other}?cross-company=true`, { [editable().Name]: "x" })).status,
    ).toBe(204);
  });
});

describe("data kept in memory per environment, resettable", () => {
  it("resetData() and the admin route forget writes; the admin route can change row counts", async () => {
    const env = emulator.environments[0];
    await send(emulator, "DELETE", key("usmf", "CA-000001"));
    await send(emulator, "POST", "/data/CustomersV3", validCreateBody(emulator, "CustomersV3", "NEW-9"));
    expect((await get(emulator, key("usmf", "CA-000001"))).status).toBe(404);
    env.resetData();
    expect((await get(emulator, key("usmf", "CA-000001"))).status).toBe(200);
    expect((await get(emulator, key("usmf", "NEW-9"))).status).toBe(404);

    await send(emulator, "POST", "/data/CustomersV3", validCreateBody(emulator, "CustomersV3", "NEW-10"));
    const reset = await rawRequest(`${emulator.adminUrl}/environments/${env.name}/data/reset`, {
      method: "POST",
      body: JSON.stringify({ rowsBySet: { CustomersV3: 99 } }),
    });
    expect(reset.status).toBe(200);
    expect((await get(emulator, key("usmf", "NEW-10"))).status).toBe(404);
    expect(await count()).toBe(99);
    const bad = await rawRequest(`${emulator.adminUrl}/environments/${env.name}/data/reset`, {
      method: "POST",
      body: JSON.stringify({ rowsPerEntity: -1 }),
    });
    expect(bad.status).toBe(400);
    env.resetData({ rowsBySet: {} });
    expect(await count()).toBe(30);
    expect(() => env.resetData({ defaultCompany: "not a company" })).toThrow(ConfigurationError);
    await expect(startDataEmulator({ data: { rowsPerEntity: -5 } })).rejects.toThrow(ConfigurationError);
    await expect(startDataEmulator({ data: { defaultCompany: "dat" } })).rejects.toThrow(
      /not one of the companies/,
    );
  });

  it("counts writes by route", async () => {
    const env = emulator.environments[0];
    env.resetCounters();
    await send(emulator, "POST", "/data/CustomersV3", validCreateBody(emulator, "CustomersV3", "NEW-11"));
    await send(emulator, "PATCH", key("usmf", "NEW-11"), {});
    await send(emulator, "PUT", key("usmf", "NEW-11"), validCreateBody(emulator, "CustomersV3", "NEW-11"));
    await send(emulator, "DELETE", key("usmf", "NEW-11"));
    expect(env.counters()).toMatchObject({
      requests: 4,
      byRoute: { "data.create": 1, "data.update": 1, "data.replace": 1, "data.delete": 1 },
    });
  });
});
