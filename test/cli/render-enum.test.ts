import { describe, expect, it } from "vitest";
import { renderEnumeration } from "../../packages/cli/src/cli/render.js";
import type { EnumerationView } from "../../packages/client/src/cache/types.js";

describe("renderEnumeration", () => {
  it("marks members whose configuration key is off", () => {
    const enumeration = {
      name: "TaxDirection",
      labelId: "@SYS1",
      labelText: "Tax direction",
      members: [
        { name: "Incoming", value: 0, labelId: "@SYS2", labelText: "Incoming", configurationEnabled: true },
        { name: "UseTax", value: 1, labelId: "@SYS3", labelText: "Use tax", configurationEnabled: false },
      ],
    } as EnumerationView;
    const text = renderEnumeration(enumeration);
    expect(text).toMatch(/UseTax \(disabled\)/);
    expect(text).not.toMatch(/Incoming \(disabled\)/);
    expect(text).toMatch(/1 member\(s\) marked \(disabled\)/);
  });

  it("adds no note when every member is enabled", () => {
    const text = renderEnumeration({
      name: "NoYes",
      labelId: null,
      members: [{ name: "No", value: 0, labelId: null, configurationEnabled: true }],
    } as unknown as EnumerationView);
    expect(text).not.toMatch(/disabled/);
  });
});
