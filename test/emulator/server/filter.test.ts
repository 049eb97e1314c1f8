import { describe, expect, it } from "vitest";
import {
  compileFilter,
  ODataQueryError,
  type PropertySchema,
  parseFilter,
  tokenize,
} from "../../../packages/emulator/src/server/odata/filter.js";

const schema: PropertySchema = {
  Name: "string",
  PublicEntityName: "string",
  LabelId: "string",
  IsReadOnly: "boolean",
  DataServiceEnabled: "boolean",
  EntityCategory: "enum:Microsoft.Dynamics.Metadata.EntityCategory",
};

const items = [
  {
    Name: "CustCustomerV3Entity",
    PublicEntityName: "CustomerV3",
    LabelId: "@SYS1",
    IsReadOnly: false,
    DataServiceEnabled: true,
    EntityCategory: "Master",
  },
  {
    Name: "VendVendorV2Entity",
    PublicEntityName: "VendorV2",
    LabelId: null,
    IsReadOnly: true,
    DataServiceEnabled: true,
    EntityCategory: "Master",
  },
  {
    Name: "SalesOrderEntity",
    PublicEntityName: "O'Brien",
    LabelId: "@SYS2",
    IsReadOnly: false,
    DataServiceEnabled: false,
    EntityCategory: "Document",
  },
  {
    Name: "LedgerParameters",
    PublicEntityName: null,
    LabelId: "@sys2",
    IsReadOnly: true,
    DataServiceEnabled: false,
    EntityCategory: "Parameters",
  },
];

function names(filter: string): string[] {
  const predicate = compileFilter(filter, schema);
  return items.filter(predicate).map((i) => i.Name);
}

function rejects(filter: string, message?: RegExp): void {
  expect(() => compileFilter(filter, schema)).toThrow(ODataQueryError);
  if (message) expect(() => compileFilter(filter, schema)).toThrow(message);
}

describe("tokenize", () => {
  it("reads strings with doubled quotes as one quote", () => {
    const tokens = tokenize("Name eq 'O''Brien'''");
    expect(tokens[2]).toMatchObject({ kind: "string", value: "O'Brien'" });
  });

  it("reads namespaced enum literals as one token", () => {
    const tokens = tokenize("EntityCategory eq Microsoft.Dynamics.Metadata.EntityCategory'Master'");
    expect(tokens[2]).toMatchObject({
      kind: "enum",
      type: "Microsoft.Dynamics.Metadata.EntityCategory",
      value: "Master",
    });
  });

  it("reads identifiers, parentheses, commas, numbers and the end marker", () => {
    expect(tokenize("contains(tolower(Name), 'x') and 12").map((t) => t.kind)).toEqual([
      "identifier",
      "(",
      "identifier",
      "(",
      "identifier",
      ")",
      ",",
      "string",
      ")",
      "identifier",
      "number",
      "end",
    ]);
  });

  it("rejects an unterminated string", () => {
    expect(() => tokenize("Name eq 'abc")).toThrow(/Unterminated/);
  });

  it("rejects unquoted date literals (outside the subset)", () => {
    expect(() => tokenize("Modified ge 2025-07-01T00:00:00Z")).toThrow(ODataQueryError);
  });
});

describe("parseFilter precedence", () => {
  it("binds and tighter than or", () => {
    expect(parseFilter("A eq 'a' or B eq 'b' and C eq 'c'")).toMatchObject({
      type: "or",
      right: { type: "and" },
    });
  });

  it("binds not tighter than and", () => {
    expect(parseFilter("not IsReadOnly and DataServiceEnabled")).toMatchObject({
      type: "and",
      left: { type: "not", operand: { type: "property", name: "IsReadOnly" } },
    });
  });

  it("lets parentheses override precedence", () => {
    expect(parseFilter("(A eq 'a' or B eq 'b') and C eq 'c'")).toMatchObject({
      type: "and",
      left: { type: "or" },
    });
  });
});

describe("compileFilter evaluation", () => {
  it("eq and ne on strings are case-sensitive", () => {
    expect(names("PublicEntityName eq 'CustomerV3'")).toEqual(["CustCustomerV3Entity"]);
    expect(names("PublicEntityName eq 'customerv3'")).toEqual([]);
    expect(names("Name ne 'CustCustomerV3Entity'")).toHaveLength(3);
  });

  it("matches a value containing an escaped quote", () => {
    expect(names("PublicEntityName eq 'O''Brien'")).toEqual(["SalesOrderEntity"]);
  });

  it("eq and ne on booleans, and bare boolean properties", () => {
    expect(names("IsReadOnly eq true")).toEqual(["VendVendorV2Entity", "LedgerParameters"]);
    expect(names("IsReadOnly ne true")).toEqual(["CustCustomerV3Entity", "SalesOrderEntity"]);
    expect(names("DataServiceEnabled and not IsReadOnly")).toEqual(["CustCustomerV3Entity"]);
  });

  it("namespaced enum literals (the Metadata namespace)", () => {
    expect(names("EntityCategory eq Microsoft.Dynamics.Metadata.EntityCategory'Master'")).toEqual([
      "CustCustomerV3Entity",
      "VendVendorV2Entity",
    ]);
    expect(names("EntityCategory ne Microsoft.Dynamics.Metadata.EntityCategory'Master'")).toEqual([
      "SalesOrderEntity",
      "LedgerParameters",
    ]);
  });

  it("and / or / not with parentheses", () => {
    expect(
      names(
        "(EntityCategory eq Microsoft.Dynamics.Metadata.EntityCategory'Master' or IsReadOnly eq true) and not (Name eq 'LedgerParameters')",
      ),
    ).toEqual(["CustCustomerV3Entity", "VendVendorV2Entity"]);
  });

  it("tolower on both sides (the d365fo.integrations form)", () => {
    expect(
      names("(tolower(PublicEntityName) eq tolower('CUSTOMERV3') or tolower(Name) eq tolower('x'))"),
    ).toEqual(["CustCustomerV3Entity"]);
  });

  it("contains, startswith, endswith, with tolower and nulls", () => {
    expect(names("contains(tolower(Name), 'vendor')")).toEqual(["VendVendorV2Entity"]);
    expect(names("startswith(Name, 'Sales')")).toEqual(["SalesOrderEntity"]);
    expect(names("endswith(Name, 'Entity')")).toHaveLength(3);
    // A null PublicEntityName never contains anything.
    expect(names("contains(PublicEntityName, 'V')")).toEqual(["CustCustomerV3Entity", "VendVendorV2Entity"]);
  });

  it("compares with null", () => {
    expect(names("LabelId eq null")).toEqual(["VendVendorV2Entity"]);
    expect(names("PublicEntityName ne null")).toHaveLength(3);
  });
});

describe("compileFilter rejects what the subset does not support", () => {
  it.each([
    ["gt", "Name gt 'a'"],
    ["ge", "Name ge 'a'"],
    ["lt", "Name lt 'a'"],
    ["le", "Name le 'a'"],
    ["has", "EntityCategory has Microsoft.Dynamics.Metadata.EntityCategory'Master'"],
    ["in", "Name in ('a','b')"],
    ["add", "Name add 'x'"],
  ])("the %s operator", (_op, filter) => {
    rejects(filter, /not supported|Syntax error/);
  });

  it("unknown functions", () => rejects("substringof('a', Name)", /not supported/));
  it("wrong function arity", () => rejects("contains(Name)", /argument/));
  it("unknown properties", () => rejects("Missing eq 'x'", /Could not find a property named 'Missing'/));
  it("type mismatches", () => rejects("IsReadOnly eq 'true'", /incompatible types/));
  it("an enum literal of another enum type", () =>
    rejects("EntityCategory eq Microsoft.Dynamics.Metadata.OtherEnum'Master'", /incompatible/));
  it("a non-boolean expression", () => rejects("Name", /must evaluate to a boolean/));
  it("dangling operators", () => rejects("Name eq", /end of/));
  it("unbalanced parentheses", () => rejects("(Name eq 'a'"));
  it("trailing garbage", () => rejects("Name eq 'a' 'b'", /Syntax error/));
  it("an empty expression", () => rejects("  ", /empty/));
  it("lambda/property paths", () => rejects("Properties/any(p: p/Name eq 'x')"));
});
