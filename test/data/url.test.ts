/** Keys, literals and query strings (pure). */
import { describe, expect, it } from "vitest";
import { f } from "../../packages/client/src/data/filter.js";
import {
  buildQueryString,
  entityPath,
  formatEntityKey,
  jsonBody,
  wantsCrossCompany,
} from "../../packages/client/src/data/url.js";
import { enumValue, formatLiteral, guid } from "../../packages/client/src/data/values.js";
import { customers } from "./_schema.js";

const G = "5f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b";

describe("literals", () => {
  it("quotes strings and doubles embedded quotes", () => {
    expect(formatLiteral("O'Brien")).toBe("'O''Brien'");
    expect(formatLiteral("")).toBe("''");
  });
  it("writes numbers, booleans and null bare", () => {
    expect(formatLiteral(42)).toBe("42");
    expect(formatLiteral(-1.5)).toBe("-1.5");
    expect(formatLiteral(true)).toBe("true");
    expect(formatLiteral(null)).toBe("null");
    expect(() => formatLiteral(Number.NaN)).toThrow(/finite/);
  });
  it("writes dates and GUIDs unquoted, enums namespaced", () => {
    expect(formatLiteral(new Date("2019-10-04T12:00:00Z"))).toBe("2019-10-04T12:00:00Z");
    expect(formatLiteral(guid(G))).toBe(G);
    expect(formatLiteral(enumValue("NoYes", "Yes"))).toBe("Microsoft.Dynamics.DataEntities.NoYes'Yes'");
    expect(() => guid("not-a-guid")).toThrow(/GUID/);
  });
  it("writes a plain string in the property's form when the type is known", () => {
    const enumField = { dataType: "Enum", typeName: "Microsoft.Dynamics.DataEntities.NoYes" };
    expect(formatLiteral("Yes", enumField)).toBe("Microsoft.Dynamics.DataEntities.NoYes'Yes'");
    expect(formatLiteral(G, { dataType: "Guid", typeName: "Edm.Guid" })).toBe(G);
    expect(
      formatLiteral("2025-07-01T00:00:00Z", { dataType: "UtcDateTime", typeName: "Edm.DateTimeOffset" }),
    ).toBe("2025-07-01T00:00:00Z");
    // Not a date: stays a quoted string (validation reports the mismatch).
    expect(formatLiteral("soon", { dataType: "Date", typeName: "Edm.DateTimeOffset" })).toBe("'soon'");
  });
});

describe("entity keys", () => {
  it("serialises a composite key in the schema's order whatever the given order", () => {
    const a = formatEntityKey({ CustomerAccount: "US-001", dataAreaId: "usmf" }, customers);
    const b = formatEntityKey({ dataAreaId: "usmf", CustomerAccount: "US-001" }, customers);
    expect(a).toBe("(dataAreaId='usmf',CustomerAccount='US-001')");
    expect(b).toBe(a);
  });
  it("escapes quotes in key strings and keeps dates, GUIDs and numbers bare", () => {
    expect(
      formatEntityKey({ Name: "O'Neil", LeaveDate: new Date("2019-10-04T12:00:00Z"), Id: 5, G: guid(G) }),
    ).toBe(`(Name='O''Neil',LeaveDate=2019-10-04T12:00:00Z,Id=5,G=${G})`);
  });
  it("writes an enum key part as an enum literal", () => {
    expect(formatEntityKey({ Kind: enumValue("NoYes", "No") })).toBe(
      "(Kind=Microsoft.Dynamics.DataEntities.NoYes'No')",
    );
  });
  it("a bare single key", () => {
    expect(formatEntityKey("US-001")).toBe("('US-001')");
    expect(formatEntityKey(5637144576)).toBe("(5637144576)");
    const guidKeyed = { ...customers, keys: ["ElectronicInvoiceGuid"] };
    expect(formatEntityKey(G, guidKeyed)).toBe(`(${G})`);
  });
  it("percent-encodes the path but keeps the key readable", () => {
    expect(entityPath("CustomersV3", { dataAreaId: "usmf", CustomerAccount: "A B#1" }, customers)).toBe(
      "/data/CustomersV3(dataAreaId='usmf',CustomerAccount='A%20B%231')",
    );
    expect(() => entityPath("Customers/../x")).toThrow(/Invalid entity set/);
  });
});

describe("query strings", () => {
  it("builds every option, values escaped by the library", () => {
    const query = buildQueryString(
      {
        filter: f.and(f.eq("Name", "O'Brien & Co"), f.gt("CreditLimit", 1000)),
        select: ["CustomerAccount", "Name"],
        orderBy: ["Name desc", { field: "CustomerAccount" }],
        expand: ["CustomerGroup"],
        top: 10,
        skip: 20,
        count: true,
      },
      customers,
    );
    expect(decodeURIComponent(query)).toBe(
      "?$filter=Name eq 'O''Brien & Co' and CreditLimit gt 1000&$select=CustomerAccount,Name&$expand=CustomerGroup&$orderby=Name desc,CustomerAccount&$top=10&$skip=20&$count=true",
    );
    expect(query).toContain("%26"); // the & inside the value cannot split the query string
  });
  it("adds cross-company when the filter or key names dataAreaId, or a company is given", () => {
    expect(wantsCrossCompany({ filter: f.eq("dataAreaId", "usrt") })).toBe(true);
    expect(wantsCrossCompany({ filter: "dataAreaId eq 'usrt'" })).toBe(true);
    expect(wantsCrossCompany({ filter: "Name eq 'dataAreaId'" })).toBe(false);
    expect(wantsCrossCompany({ filter: f.eq("Name", "x") })).toBe(false);
    expect(wantsCrossCompany({}, { dataAreaId: "usmf", CustomerAccount: "1" })).toBe(true);
    expect(wantsCrossCompany({ company: "demf" })).toBe(true);
    expect(wantsCrossCompany({ filter: f.eq("dataAreaId", "usrt"), crossCompany: false })).toBe(false);
    const query = decodeURIComponent(
      buildQueryString({ company: "DEMF", filter: f.eq("Name", "x") }, customers),
    );
    expect(query).toBe("?$filter=dataAreaId eq 'demf' and Name eq 'x'&cross-company=true");
  });
  it("adds the company to a text filter as text, sent as written", () => {
    expect(
      decodeURIComponent(
        buildQueryString({ company: "usrt", filter: "Name eq 'x' or Name eq 'y'" }, undefined),
      ),
    ).toBe("?$filter=dataAreaId eq 'usrt' and (Name eq 'x' or Name eq 'y')&cross-company=true");
    // Not parseable here: still sent (validation off), for the service to judge.
    expect(buildQueryString({ company: "usrt", filter: "Name eq" }, undefined)).toContain(
      "cross-company=true",
    );
  });
  it("refuses negative or fractional $top/$skip", () => {
    expect(() => buildQueryString({ top: -1 }, undefined)).toThrow(/\$top/);
    expect(() => buildQueryString({ skip: 1.5 }, undefined)).toThrow(/\$skip/);
  });
  it("write bodies carry GUID and enum values as strings and drop undefined", () => {
    expect(
      jsonBody({
        A: guid(G),
        B: enumValue("NoYes", "Yes"),
        C: undefined,
        D: new Date("2025-01-01T12:00:00Z"),
        E: 1,
      }),
    ).toEqual({ A: G, B: "Yes", D: "2025-01-01T12:00:00Z", E: 1 });
  });
});
