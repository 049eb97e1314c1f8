import { describe, expect, it } from "vitest";
import { isProductionUrl, isReadOnlyProfile } from "../../packages/cli/src/profiles/profiles.js";
import { resolveConnectionSettings } from "../../packages/cli/src/profiles/settings.js";

const file = {
  version: 1 as const,
  profiles: {
    prod: { baseUrl: "https://contoso.operations.dynamics.com", default: true },
    uat: { baseUrl: "https://contoso-uat.sandbox.operations.dynamics.com" },
    locked: { baseUrl: "http://127.0.0.1:8080", readOnly: true },
    open: { baseUrl: "https://contoso.operations.dynamics.com", readOnly: false },
  },
};

describe("read-only profiles", () => {
  it("production URLs are read-only by default, sandboxes and loopback are not", () => {
    expect(isProductionUrl("https://contoso.operations.dynamics.com")).toBe(true);
    expect(isProductionUrl("https://contoso-uat.sandbox.operations.dynamics.com")).toBe(false);
    expect(isProductionUrl("http://127.0.0.1:8080")).toBe(false);
    expect(isProductionUrl("not a url")).toBe(false);
  });

  it("the profile's flag wins over the URL rule", () => {
    expect(isReadOnlyProfile(file.profiles.locked)).toBe(true);
    expect(isReadOnlyProfile(file.profiles.open)).toBe(false);
  });

  it("resolved settings carry the flag, and D365FO_READ_ONLY forces it", () => {
    expect(resolveConnectionSettings(file, {}, {}).readOnly).toBe(true);
    expect(resolveConnectionSettings(file, { profile: "uat" }, {}).readOnly).toBe(false);
    expect(resolveConnectionSettings(file, { profile: "uat" }, { D365FO_READ_ONLY: "1" }).readOnly).toBe(
      true,
    );
    expect(resolveConnectionSettings(file, { baseUrl: "http://127.0.0.1:1" }, {}).readOnly).toBe(false);
  });
});
