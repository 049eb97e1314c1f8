/** The filter builder, its rendering and the `$filter` parser (pure). */
import { describe, expect, it } from "vitest";
import { f, filterFields, renderFilter } from "../../packages/client/src/data/filter.js";
import { FilterSyntaxError, parseFilter } from "../../packages/client/src/data/filter-parse.js";
import { fieldTypeOf } from "../../packages/client/src/data/schema.js";
import { EnumValue, GuidValue } from "../../packages/client/src/data/values.js";
import { customers } from "./_schema.js";

const types = (name: string) => fieldTypeOf(customers, name);

describe("filter builder", () => {
  it("renders every comparison operator", () => {
    for (const op of ["eq", "ne", "gt", "ge", "lt", "le"] as const)
      expect(renderFilter(f[op]("CreditLimit", 5))).toBe(`CreditLimit ${op} 5`);
  });
  it("parenthesises by precedence: or inside and, not around its operand", () => {
    const filter = f.and(f.or(f.eq("Name", "a"), f.eq("Name", "b")), f.not(f.eq("CustomerGroupId", "10")));
    expect(renderFilter(filter)).toBe("(Name eq 'a' or Name eq 'b') and not (CustomerGroupId eq '10')");
    expect(renderFilter(f.or(f.and(f.eq("Name", "a"), f.eq("Name", "b")), f.eq("Name", "c")))).toBe(
      "Name eq 'a' and Name eq 'b' or Name eq 'c'",
    );
  });
  it("skips optional conditions and collapses a single one", () => {
    const maybe = undefined;
    expect(renderFilter(f.and(f.eq("Name", "a"), maybe, false))).toBe("Name eq 'a'");
    expect(() => f.and()).toThrow(/at least one/);
  });
  it("contains/startsWith/endsWith are D365 wildcards inside eq", () => {
    expect(renderFilter(f.contains("Name", "retail"))).toBe("Name eq '*retail*'");
    expect(renderFilter(f.startsWith("Name", "Con"))).toBe("Name eq 'Con*'");
    expect(renderFilter(f.endsWith("Name", "Ltd"))).toBe("Name eq '*Ltd'");
    expect(() => f.contains("Name", "a*b")).toThrow(/\*/);
  });
  it("arithmetic and field-to-field comparisons", () => {
    expect(renderFilter(f.gt(f.mul("CreditLimit", 2), f.field("InvoiceCopyCount")))).toBe(
      "(CreditLimit mul 2) gt InvoiceCopyCount",
    );
    for (const op of ["add", "sub", "mul", "div", "mod"] as const)
      expect(renderFilter(f.eq(f[op]("CreditLimit", 3), 1))).toBe(`(CreditLimit ${op} 3) eq 1`);
  });
  it("escapes values: a quote or an injected clause stays inside the literal", () => {
    const hostile = "x' or dataAreaId ne 'y";
    expect(renderFilter(f.eq("Name", hostile))).toBe("Name eq 'x'' or dataAreaId ne ''y'");
    expect(filterFields(parseFilter(renderFilter(f.eq("Name", hostile))))).toEqual(new Set(["Name"]));
  });
  it("refuses a property name that is not an identifier", () => {
    expect(() => f.eq("Name eq 'x' or 1", 1)).toThrow(/Invalid property name/);
  });
  it("renders enum member names as enum literals and GUID strings bare when the schema is known", () => {
    expect(renderFilter(f.eq("AccountStatement", "Always"), types)).toBe(
      "AccountStatement eq Microsoft.Dynamics.DataEntities.CustAccountStatement'Always'",
    );
    const g = "5f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b";
    expect(renderFilter(f.eq("ElectronicInvoiceGuid", g), types)).toBe(`ElectronicInvoiceGuid eq ${g}`);
    expect(renderFilter(f.ge("LastInvoiceDate", new Date("2025-07-01T00:00:00Z")), types)).toBe(
      "LastInvoiceDate ge 2025-07-01T00:00:00Z",
    );
  });
});

describe("filter parser", () => {
  it("reads comparisons, logic, arithmetic and every literal kind", () => {
    const filter = parseFilter(
      "(Name eq 'O''Brien' or CreditLimit add 5 gt 10.5) and not Blocked eq Microsoft.Dynamics.DataEntities.NoYes'Yes' and LastInvoiceDate ge 2025-07-01T00:00:00Z and ElectronicInvoiceGuid eq 5f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b and CustomerGroupId ne null",
    );
    expect(filter.kind).toBe("and");
    expect(filterFields(filter)).toEqual(
      new Set([
        "Name",
        "CreditLimit",
        "Blocked",
        "LastInvoiceDate",
        "ElectronicInvoiceGuid",
        "CustomerGroupId",
      ]),
    );
    const items = (
      filter as {
        items: { kind: string; right?: { value?: unknown }; item?: { right: { value: unknown } } }[];
      }
    ).items;
    expect(items[1].kind).toBe("not");
    expect(items[1].item?.right.value).toBeInstanceOf(EnumValue);
    expect(items[2].right?.value).toBeInstanceOf(Date);
    expect(items[3].right?.value).toBeInstanceOf(GuidValue);
    expect(items[4].right?.value).toBeNull();
  });
  it("round-trips what the builder renders", () => {
    const built = f.and(
      f.or(f.eq("Name", "a'b"), f.lt("CreditLimit", -3)),
      f.not(f.eq("InvoiceCopyCount", 2)),
    );
    expect(renderFilter(parseFilter(renderFilter(built)))).toBe(renderFilter(built));
  });
  it("reads string functions as conditions", () => {
    const filter = parseFilter("contains(tolower(Name),'retail')");
    expect(filter).toMatchObject({ kind: "predicate", call: { name: "contains" } });
    expect(filterFields(filter)).toEqual(new Set(["Name"]));
  });
  it("refuses in and has as D365 does, and malformed text, with the position", () => {
    expect(() => parseFilter("Name in ('a','b')")).toThrow(/does not support the 'in' operator/);
    expect(() => parseFilter("Blocked has Microsoft.Dynamics.DataEntities.NoYes'Yes'")).toThrow(/'has'/);
    for (const bad of [
      "Name eq",
      "Name eq 'x",
      "(Name eq 'x'",
      "Name eq 'x' foo",
      "Name",
      "1 eq",
      "frobnicate(Name)",
    ]) {
      expect(() => parseFilter(bad), bad).toThrow(FilterSyntaxError);
    }
  });
});
