/** Validation against an entity schema (pure): each kind of problem, and valid requests pass. */
import { describe, expect, it } from "vitest";
import { DataValidationError } from "../../packages/client/src/data/errors.js";
import { f } from "../../packages/client/src/data/filter.js";
import { parseFilter } from "../../packages/client/src/data/filter-parse.js";
import {
  checkAction,
  checkExpand,
  checkFilter,
  checkKey,
  checkPropertyNames,
  checkWrite,
} from "../../packages/client/src/data/validate.js";
import { enumValue, guid } from "../../packages/client/src/data/values.js";
import { customers, readOnlyNotifications } from "./_schema.js";

const kinds = (problems: { kind: string }[]) => problems.map((p) => p.kind);

describe("filters", () => {
  it("accepts well-typed comparisons of every data type", () => {
    const filter = f.and(
      f.eq("Name", "x"),
      f.gt("CreditLimit", 1.5),
      f.eq("InvoiceCopyCount", 2),
      f.ge("LastInvoiceDate", new Date()),
      f.lt("ModifiedDateTime", "2025-01-01T00:00:00Z"),
      f.eq("ElectronicInvoiceGuid", guid("5f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b")),
      f.eq("AccountStatement", "Always"),
      f.ne("Blocked", enumValue("NoYes", "Yes")),
      f.eq("CustomerGroupId", null),
      f.contains("Name", "retail"),
    );
    expect(checkFilter(customers, filter)).toEqual([]);
  });
  it("names an unknown property with a did-you-mean", () => {
    const [problem] = checkFilter(customers, f.eq("CreditLimt", 5));
    expect(problem).toMatchObject({
      kind: "unknownProperty",
      name: "CreditLimt",
      suggestions: ["CreditLimit"],
    });
    expect(problem.message).toContain("CustomersV3 has no property CreditLimt");
  });
  it("reports a value of the wrong type", () => {
    expect(checkFilter(customers, f.gt("CreditLimit", "1000"))[0]).toMatchObject({
      kind: "typeMismatch",
      name: "CreditLimit",
    });
    expect(kinds(checkFilter(customers, f.eq("InvoiceCopyCount", 1.5)))).toEqual(["typeMismatch"]);
    expect(kinds(checkFilter(customers, f.eq("Name", 5)))).toEqual(["typeMismatch"]);
    expect(kinds(checkFilter(customers, f.ge("LastInvoiceDate", "yesterday")))).toEqual(["typeMismatch"]);
    expect(kinds(checkFilter(customers, f.eq("ElectronicInvoiceGuid", "abc")))).toEqual(["typeMismatch"]);
    expect(kinds(checkFilter(customers, f.eq("AccountStatement", enumValue("NoYes", "Yes"))))).toEqual([
      "typeMismatch",
    ]);
    expect(kinds(checkFilter(customers, f.gt(f.add("Name", 1), 3)))).toEqual(["typeMismatch"]);
    expect(kinds(checkFilter(customers, f.eq("Name", f.field("CreditLimit"))))).toEqual(["typeMismatch"]);
  });
  it("reports an enum literal that is not a member", () => {
    const [problem] = checkFilter(customers, f.eq("AccountStatement", "Alway"));
    expect(problem).toMatchObject({ kind: "notEnumMember", suggestions: ["Always"] });
    expect(problem.message).toContain("'Alway' is not a member of enum CustAccountStatement");
    expect(
      kinds(checkFilter(customers, parseFilter("Blocked eq Microsoft.Dynamics.DataEntities.NoYes'Maybe'"))),
    ).toEqual(["notEnumMember"]);
  });
  it("allows only eq and ne on enums, and wildcards only with eq/ne", () => {
    expect(checkFilter(customers, f.gt("AccountStatement", "Always"))[0]).toMatchObject({
      kind: "unsupportedOperator",
    });
    expect(kinds(checkFilter(customers, f.gt("Name", "*x*")))).toEqual(["unsupportedOperator"]);
    expect(kinds(checkFilter(customers, f.eq("CustomerImage", "AAAA")))).toEqual(["unsupportedOperator"]);
  });
  it("checks parsed text filters like built ones", () => {
    expect(kinds(checkFilter(customers, parseFilter("CreditLimit gt 'a' and Nme eq 'x'")))).toEqual([
      "typeMismatch",
      "unknownProperty",
    ]);
    expect(kinds(checkFilter(customers, parseFilter("contains(CreditLimit,'1')")))).toEqual(["typeMismatch"]);
  });
});

describe("select, orderby, expand", () => {
  it("unknown names are problems, known ones pass", () => {
    expect(checkPropertyNames(customers, ["Name", "CreditLimit"], "$select")).toEqual([]);
    expect(checkPropertyNames(customers, ["name"], "$select")[0]).toMatchObject({
      kind: "unknownProperty",
      suggestions: ["Name"],
    });
    expect(checkExpand(customers, ["CustomerGroup"])).toEqual([]);
    expect(checkExpand(customers, ["CustomerGroups"])[0]).toMatchObject({
      kind: "unknownNavigation",
      suggestions: ["CustomerGroup"],
    });
  });
});

describe("keys", () => {
  it("a composite key in any order passes", () => {
    expect(checkKey(customers, { CustomerAccount: "US-001", dataAreaId: "usmf" })).toEqual([]);
  });
  it("a missing key field, an unknown one, a bare value for a composite key, a null", () => {
    expect(checkKey(customers, { CustomerAccount: "US-001" })[0]).toMatchObject({
      kind: "missingKeyField",
      name: "dataAreaId",
    });
    expect(kinds(checkKey(customers, { dataAreaId: "usmf", CustomerAccount: "1", Name: "x" }))).toEqual([
      "unknownKeyField",
    ]);
    expect(kinds(checkKey(customers, "US-001"))).toEqual(["missingKeyField"]);
    expect(kinds(checkKey(customers, { dataAreaId: "usmf", CustomerAccount: null }))).toEqual([
      "invalidValue",
    ]);
    expect(kinds(checkKey(readOnlyNotifications, "abc"))).toEqual(["typeMismatch"]);
    expect(checkKey(readOnlyNotifications, 5)).toEqual([]);
  });
});

describe("writes", () => {
  const valid = {
    dataAreaId: "usmf",
    CustomerAccount: "C-1",
    Name: "Contoso",
    CreditLimit: 10,
    PaymentTerms: "Never",
  };
  it("a valid create passes; dataAreaId may be left to the default company", () => {
    expect(checkWrite(customers, valid, "create")).toEqual([]);
    const { dataAreaId: _, ...withoutCompany } = valid;
    expect(checkWrite(customers, withoutCompany, "create")).toEqual([]);
  });
  it("a missing mandatory field on create", () => {
    const { Name: _, ...missing } = valid;
    expect(checkWrite(customers, missing, "create")[0]).toMatchObject({
      kind: "missingMandatory",
      name: "Name",
    });
    expect(kinds(checkWrite(customers, { ...valid, Name: "" }, "create"))).toEqual(["missingMandatory"]);
    // The enum member of value 0 is X++'s "not filled in".
    expect(checkWrite(customers, { ...valid, PaymentTerms: "Always" }, "create")[0]).toMatchObject({
      kind: "missingMandatory",
      name: "PaymentTerms",
    });
  });
  it("a field not editable on create, or on update", () => {
    expect(checkWrite(customers, { ...valid, ModifiedDateTime: new Date() }, "create")[0]).toMatchObject({
      kind: "notEditable",
      name: "ModifiedDateTime",
    });
    expect(checkWrite(customers, { PartyRecId: 5 }, "update")[0]).toMatchObject({
      kind: "notEditable",
      name: "PartyRecId",
    });
    expect(kinds(checkWrite(customers, { CustomerAccount: "other" }, "update"))).toEqual(["notEditable"]);
    // A PUT carries the whole row: non-editable fields are judged by the service (changed or not).
    expect(checkWrite(customers, { ...valid, PartyRecId: 5 }, "replace")).toEqual([]);
    // Key fields may be given on create even where the metadata says otherwise.
    expect(checkWrite(customers, valid, "create")).toEqual([]);
  });
  it("a replace (PUT) needs every mandatory field but the key, an update does not", () => {
    expect(checkWrite(customers, { Name: "x", PaymentTerms: "Quarter" }, "replace")).toEqual([]);
    expect(checkWrite(customers, { CreditLimit: 1 }, "replace")[0]).toMatchObject({
      kind: "missingMandatory",
      name: "Name",
    });
    expect(checkWrite(customers, { CreditLimit: 1 }, "update")).toEqual([]);
  });
  it("unknown fields and wrong types in a body; annotations are ignored", () => {
    expect(kinds(checkWrite(customers, { Nam: "x" }, "update"))).toEqual(["unknownProperty"]);
    expect(kinds(checkWrite(customers, { CreditLimit: "lots" }, "update"))).toEqual(["typeMismatch"]);
    expect(kinds(checkWrite(customers, { AccountStatement: "Sometimes" }, "update"))).toEqual([
      "notEnumMember",
    ]);
    expect(checkWrite(customers, { "@odata.etag": 'W/"x"', Name: "y" }, "update")).toEqual([]);
  });
  it("a read-only entity cannot be written", () => {
    expect(kinds(checkWrite(readOnlyNotifications, { Id: 1 }, "create"))).toEqual(["readOnlyEntity"]);
  });
});

describe("actions", () => {
  it("known actions with their parameters pass", () => {
    expect(checkAction(customers, "CalculateTotals", "instance", { Currency: "USD" })).toEqual([]);
    expect(checkAction(customers, "RecalculateAll", "set", {})).toEqual([]);
  });
  it("unknown action, wrong binding, unknown and missing parameters", () => {
    expect(checkAction(customers, "CalculateTotal", "instance", {})[0]).toMatchObject({
      kind: "unknownAction",
      suggestions: ["CalculateTotals"],
    });
    expect(kinds(checkAction(customers, "CalculateTotals", "set", { Currency: "USD" }))).toEqual([
      "actionBinding",
    ]);
    expect(kinds(checkAction(customers, "CalculateTotals", "instance", { Curency: "USD" }))).toEqual([
      "unknownParameter",
      "missingParameter",
    ]);
  });
});

describe("DataValidationError", () => {
  it("carries a stable code, every problem, and a message with the suggestions", () => {
    const error = new DataValidationError(
      checkFilter(customers, f.and(f.eq("Nme", "x"), f.gt("CreditLimit", "y"))),
    );
    expect(error.code).toBe("D365_DATA_VALIDATION");
    expect(error.problems).toHaveLength(2);
    expect(error.message).toMatch(/^2 problems: CustomersV3 has no property Nme .*did you mean 'Name'/);
    expect(error.toJSON().problems).toHaveLength(2);
  });
});
