import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../../packages/client/src/errors.js";
import {
  buildDataEntityFilter,
  buildQuery,
  encodePathSegment,
  formatKey,
  stringLiteral,
} from "../../packages/client/src/metadata/odata-url.js";

describe("OData URL builders", () => {
  it("doubles quotes in string literals", () => {
    expect(stringLiteral("O'Brien")).toBe("'O''Brien'");
  });

  it("formats keys per protocol §1.4: strings quoted, numbers and dates bare", () => {
    expect(formatKey("US-001")).toBe("('US-001')");
    expect(formatKey({ dataAreaId: "usmf", CustomerAccount: "US-001" })).toBe(
      "(dataAreaId='usmf',CustomerAccount='US-001')",
    );
    expect(
      formatKey({
        RequestId: "USMF-000065",
        LeaveDate: new Date("2019-10-04T12:00:00Z"),
        Line: 3,
        Note: "it's",
      }),
    ).toBe("(RequestId='USMF-000065',LeaveDate=2019-10-04T12:00:00Z,Line=3,Note='it''s')");
    expect(() => formatKey({})).toThrow(ConfigurationError);
    expect(() => formatKey({ "a)b": "x" })).toThrow(ConfigurationError);
  });

  it("keeps key punctuation readable but encodes what a path cannot carry", () => {
    expect(encodePathSegment("(Id='@SYS1:x',Language='en-us')")).toBe("(Id='@SYS1:x',Language='en-us')");
    expect(encodePathSegment("('a b/c?d#e%')")).toBe("('a%20b%2Fc%3Fd%23e%25')");
  });

  it("builds query strings", () => {
    expect(buildQuery({})).toBe("");
    expect(buildQuery({ filter: "Name eq 'a b'", select: ["Name", "LabelId"], top: 10, skip: 20 })).toBe(
      "?$filter=Name%20eq%20'a%20b'&$select=Name,LabelId&$top=10&$skip=20",
    );
    expect(() => buildQuery({ top: -1 })).toThrow(ConfigurationError);
  });

  it("builds the DataEntities search filter real clients use", () => {
    expect(
      buildDataEntityFilter({
        text: "Cust'o",
        category: "Master",
        dataServiceEnabled: true,
        isReadOnly: false,
      }),
    ).toBe(
      "contains(tolower(Name),'cust''o') and EntityCategory eq Microsoft.Dynamics.Metadata.EntityCategory'Master' and DataServiceEnabled eq true and IsReadOnly eq false",
    );
    expect(buildDataEntityFilter({})).toBeUndefined();
    expect(() => buildDataEntityFilter({ category: "Master' or 1 eq 1" })).toThrow(ConfigurationError);
  });
});
