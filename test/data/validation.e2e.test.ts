/**
 * Client-side validation against the synced metadata of a real (emulated) environment: each
 * problem is a typed DataValidationError naming it, and the emulator's counters show that no
 * request at all was sent. `validate: false` sends the same request, and the service judges it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataValidationError, enumValue, f } from "../../packages/client/src/index.js";
import { type DataEnvironment, startDataEnvironment } from "./_env.js";

let t: DataEnvironment;
let account: string;

beforeAll(async () => {
  t = await startDataEnvironment();
  const first = await t.d365.query("CustomersV3", { top: 1 }).next();
  account = (first.value as { CustomerAccount: string }).CustomerAccount;
}, 300_000);

afterAll(async () => {
  await t?.close();
});

/** Runs `call`, expects a DataValidationError with `kind`, and checks that nothing was sent. */
async function rejectedLocally(call: () => Promise<unknown>, kind: string, mentions: RegExp) {
  const env = t.emulator.environments[0];
  env.resetCounters();
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DataValidationError);
  const validation = error as DataValidationError;
  expect(validation.code).toBe("D365_DATA_VALIDATION");
  expect(validation.problems.map((p) => p.kind)).toContain(kind);
  expect(validation.message).toMatch(mentions);
  expect(env.counters().requests, "requests sent").toBe(0);
  return validation;
}

const read = (set: string, options: Parameters<typeof t.d365.query>[1]) => async () => {
  for await (const _ of t.d365.query(set, options)) break;
};

const key = () => ({ dataAreaId: "usmf", CustomerAccount: account });

describe("reads", () => {
  it("an unknown entity set, with did-you-mean from the cache's search", async () => {
    const error = await rejectedLocally(
      read("CustomerV3s", {}),
      "unknownEntitySet",
      /No entity set CustomerV3s/,
    );
    expect(error.problems[0].suggestions).toContain("CustomersV3");
    const byEntityName = await rejectedLocally(
      read("CustomerV3", {}),
      "unknownEntitySet",
      /entity name, not an entity set/,
    );
    expect(byEntityName.problems[0].suggestions?.[0]).toBe("CustomersV3");
  });
  it("an unknown property in $select, $orderby and $filter, with did-you-mean", async () => {
    const error = await rejectedLocally(
      read("CustomersV3", { select: ["CustomerAcount"] }),
      "unknownProperty",
      /CustomerAcount/,
    );
    expect(error.problems[0].suggestions).toContain("CustomerAccount");
    await rejectedLocally(read("CustomersV3", { orderBy: ["Nme desc"] }), "unknownProperty", /\$orderby/);
    await rejectedLocally(
      read("CustomersV3", { filter: f.eq("CreditLimt", 1) }),
      "unknownProperty",
      /CreditLimt/,
    );
  });
  it("a filter comparing a property with a value of the wrong type", async () => {
    await rejectedLocally(
      read("CustomersV3", { filter: f.gt("CreditLimit", "a lot") }),
      "typeMismatch",
      /CreditLimit is a number/,
    );
    await rejectedLocally(
      read("CustomersV3", { filter: "ModifiedDateTime ge 'yesterday'" }),
      "typeMismatch",
      /ModifiedDateTime/,
    );
  });
  it("an enum literal that is not a member, and an enum compared with gt", async () => {
    const error = await rejectedLocally(
      read("CustomersV3", { filter: f.eq("AccountStatement", "Sometimes") }),
      "notEnumMember",
      /'Sometimes' is not a member of enum CustAccountStatement/,
    );
    expect(error.problems[0].suggestions).toBeDefined();
    await rejectedLocally(
      read("CustomersV3", { filter: f.eq("PrintDefaultUnit", enumValue("NoYes", "Maybe")) }),
      "notEnumMember",
      /'Maybe'/,
    );
    await rejectedLocally(
      read("CustomersV3", { filter: f.gt("AccountStatement", "Always") }),
      "unsupportedOperator",
      /eq and ne only/,
    );
  });
  it("in and has in a text filter, as D365 refuses them", async () => {
    await rejectedLocally(read("CustomersV3", { filter: "Name in ('a','b')" }), "syntax", /'in' operator/);
  });
  it("$expand of a navigation that does not exist", async () => {
    await rejectedLocally(
      read("CustomersV3", { expand: ["CustomerGroups"] }),
      "unknownNavigation",
      /no navigation property CustomerGroups/,
    );
  });
  it("a by-key read missing a key field, or naming a field that is not in the key", async () => {
    await rejectedLocally(
      () => t.d365.get("CustomersV3", { CustomerAccount: account }),
      "missingKeyField",
      /lacks dataAreaId/,
    );
    await rejectedLocally(() => t.d365.get("CustomersV3", account), "missingKeyField", /composite key/);
    await rejectedLocally(
      () => t.d365.get("CustomersV3", { ...key(), Name: "x" }),
      "unknownKeyField",
      /Name is not a key field/,
    );
  });
  it("count with a bad filter", async () => {
    await rejectedLocally(
      () => t.d365.count("CustomersV3", { filter: f.eq("InvoiceCopyCount", "two") }),
      "typeMismatch",
      /InvoiceCopyCount/,
    );
  });
});

describe("writes", () => {
  it("create: a missing mandatory field, a field not editable on create, an unknown field, a wrong type", async () => {
    const base = { CustomerAccount: "V-1", Name: "x" };
    await rejectedLocally(
      () => t.d365.create("CustomersV3", base),
      "missingMandatory",
      /CreditLimit is mandatory on create/,
    );
    await rejectedLocally(
      () => t.d365.create("CustomersV3", { ...base, UnitSymbol: "x" }),
      "notEditable",
      /UnitSymbol cannot be set on create/,
    );
    await rejectedLocally(
      () => t.d365.create("CustomersV3", { ...base, Colour: "red" }),
      "unknownProperty",
      /no property Colour/,
    );
    await rejectedLocally(
      () => t.d365.create("CustomersV3", { ...base, CreditLimit: "many" }),
      "typeMismatch",
      /CreditLimit/,
    );
  });
  it("update and replace: a field not editable, a bad key, a non-member enum value", async () => {
    await rejectedLocally(
      () => t.d365.update("CustomersV3", key(), { PartyRecId: 1 }),
      "notEditable",
      /PartyRecId cannot be set on update/,
    );
    await rejectedLocally(
      () => t.d365.update("CustomersV3", { CustomerAccount: account }, { Name: "y" }),
      "missingKeyField",
      /dataAreaId/,
    );
    await rejectedLocally(
      () => t.d365.update("CustomersV3", key(), { AccountStatement: "Weekly" }),
      "notEnumMember",
      /Weekly/,
    );
    await rejectedLocally(
      () => t.d365.replace("CustomersV3", key(), { ...key(), Colour: "red" }),
      "unknownProperty",
      /Colour/,
    );
  });
  it("delete: a bad key; writes to a read-only entity", async () => {
    await rejectedLocally(
      () => t.d365.delete("CustomersV3", { dataAreaId: "usmf" }),
      "missingKeyField",
      /CustomerAccount/,
    );
    await rejectedLocally(
      () => t.d365.create("SystemNotifications", { Id: 1 }),
      "readOnlyEntity",
      /read-only/,
    );
    await rejectedLocally(() => t.d365.delete("SystemNotifications", 1), "readOnlyEntity", /read-only/);
  });
  it("several problems are reported together", async () => {
    const error = await rejectedLocally(
      () => t.d365.create("CustomersV3", { CustomerAccount: "V-2", Nam: "x", CreditLimit: "?" }),
      "unknownProperty",
      /problems/,
    );
    expect(error.problems.length).toBeGreaterThanOrEqual(3);
  });
});

describe("batches and actions", () => {
  it("a batch is validated as a whole before anything is sent", async () => {
    const batch = t.d365.batch();
    batch.get("CustomersV3", key());
    batch.changeset((cs) => {
      cs.update("CustomersV3", key(), { Name: "ok" });
      cs.update("CustomersV3", key(), { PartyRecId: 2 });
    });
    const error = await rejectedLocally(() => batch.send(), "notEditable", /operation 2 \(update\)/);
    expect(error.problems).toHaveLength(1);
  });
  it("an unknown action, and an action called with the wrong binding", async () => {
    await rejectedLocally(
      () => t.d365.callAction("CustomersV3", "Frobnicate"),
      "unknownAction",
      /no action Frobnicate/,
    );
    await rejectedLocally(
      () => t.d365.callAction({ entitySet: "SystemNotifications", key: 1 }, "GetInstalledModules"),
      "actionBinding",
      /BoundToEntitySet/,
    );
  });
});

describe("validate: false", () => {
  it("sends the request and the service answers", async () => {
    const env = t.emulator.environments[0];
    env.resetCounters();
    const error = await read("CustomersV3", { select: ["CustomerAcount"], validate: false })().catch(
      (e: unknown) => e,
    );
    expect(error).not.toBeInstanceOf(DataValidationError);
    expect((error as { code?: string }).code).toBe("D365_BAD_REQUEST");
    expect(env.counters().requests).toBe(1);
  });
});
