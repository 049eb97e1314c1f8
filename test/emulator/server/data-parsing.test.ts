import { describe, expect, it } from "vitest";
import { boundaryOf, parseBatch } from "../../../packages/emulator/src/server/data/multipart.js";
import {
  compileFilter,
  ODataQueryError,
  parseFilter,
  tokenize,
} from "../../../packages/emulator/src/server/odata/filter.js";
import { parseKeyLiterals } from "../../../packages/emulator/src/server/odata/keys.js";

describe("$filter, data dialect", () => {
  it("reads unquoted DateTimeOffset and GUID literals (the Metadata dialect does not)", () => {
    const tokens = tokenize(
      "Modified ge 2025-07-01T00:00:00Z and Id eq 0F8FAD5B-D9CB-469F-A165-70867728950E",
      "data",
    );
    expect(tokens[2]).toMatchObject({ kind: "datetime", value: Date.UTC(2025, 6, 1) });
    expect(tokens[6]).toMatchObject({ kind: "guid", value: "0f8fad5b-d9cb-469f-a165-70867728950e" });
    expect(() => tokenize("Modified ge 2025-07-01T00:00:00Z")).toThrow(ODataQueryError);
  });

  it("binds mul/div/mod tighter than add/sub, and arithmetic tighter than comparison", () => {
    expect(parseFilter("A add B mul C gt D sub 1", "data")).toMatchObject({
      type: "compare",
      op: "gt",
      left: { type: "arithmetic", op: "add", right: { type: "arithmetic", op: "mul" } },
      right: { type: "arithmetic", op: "sub" },
    });
  });

  it("compares dates, GUIDs and strings the way SQL Server does (case-insensitive)", () => {
    const schema = { D: "datetime", G: "guid", S: "string" } as const;
    const row = { D: "2025-07-01T12:00:00Z", G: "0F8FAD5B-D9CB-469F-A165-70867728950E", S: "Contoso Retail" };
    const matches = (f: string) => compileFilter(f, schema, { dialect: "data" })(row);
    expect(matches("D gt 2025-07-01T11:59:59Z and D lt 2025-07-01T12:00:01+00:00")).toBe(true);
    expect(matches("G eq 0f8fad5b-d9cb-469f-a165-70867728950e")).toBe(true);
    expect(matches("S eq 'contoso retail' and S eq '*RETAIL' and S ne 'x*' and S gt 'b'")).toBe(true);
    expect(() => matches("G gt 0f8fad5b-d9cb-469f-a165-70867728950e")).toThrow(/cannot be applied to guid/);
  });

  it("keeps the Metadata dialect's subset (no ordering, no arithmetic, case-sensitive)", () => {
    expect(() => compileFilter("Name gt 'a'", { Name: "string" })).toThrow(/'gt' is not supported/);
    expect(() => compileFilter("Name add 'a'", { Name: "string" })).toThrow(/'add' is not supported/);
    expect(compileFilter("Name eq 'abc'", { Name: "string" })({ Name: "ABC" })).toBe(false);
  });
});

describe("key segments", () => {
  it("reads quoted strings (doubled quotes), unquoted numbers, dates, GUIDs and enum literals", () => {
    const parts = parseKeyLiterals(
      "(RequestId='USMF-0''65',LeaveDate=2019-10-04T12:00:00Z,Line=2.5,Id=0f8fad5b-d9cb-469f-a165-70867728950e,Kind=Microsoft.Dynamics.DataEntities.NoYes'Yes')",
    );
    expect(Object.fromEntries(parts)).toEqual({
      RequestId: { kind: "string", value: "USMF-0'65" },
      LeaveDate: { kind: "datetime", value: "2019-10-04T12:00:00Z" },
      Line: { kind: "number", value: 2.5 },
      Id: { kind: "guid", value: "0f8fad5b-d9cb-469f-a165-70867728950e" },
      Kind: { kind: "enum", type: "Microsoft.Dynamics.DataEntities.NoYes", value: "Yes" },
    });
    expect(() => parseKeyLiterals("(A='x',A='y')")).toThrow(/Duplicate/);
    expect(() => parseKeyLiterals("('x',B='y')")).toThrow(/Mixed/);
  });
});

describe("multipart/mixed batch bodies", () => {
  it("reads the boundary (quoted or not) and accepts LF line endings", () => {
    expect(boundaryOf('multipart/mixed; boundary="batch_1"')).toBe("batch_1");
    expect(boundaryOf("multipart/mixed;boundary=batch_2")).toBe("batch_2");
    expect(boundaryOf("application/json")).toBeUndefined();
    const body = [
      "--b",
      "Content-Type: application/http",
      "",
      "GET CustomersV3?$top=1 HTTP/1.1",
      "Accept: application/json",
      "",
      "",
      "--b--",
    ].join("\n");
    expect(parseBatch(Buffer.from(body), "b")).toEqual([
      {
        kind: "operation",
        operation: {
          method: "GET",
          target: "CustomersV3?$top=1",
          headers: new Map([["accept", "application/json"]]),
          body: Buffer.from(""),
          contentId: undefined,
        },
      },
    ]);
  });

  it("refuses a body without the closing delimiter and parts that are not application/http", () => {
    expect(() =>
      parseBatch(Buffer.from("--b\r\nContent-Type: application/http\r\n\r\nGET X HTTP/1.1\r\n"), "b"),
    ).toThrow(/closing delimiter/);
    expect(() => parseBatch(Buffer.from("--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--"), "b")).toThrow(
      /application\/http/,
    );
  });
});
