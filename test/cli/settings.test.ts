import { describe, expect, it } from "vitest";
import type { ProfilesFile } from "../../packages/cli/src/cli/profiles.js";
import { resolveConnectionSettings } from "../../packages/cli/src/cli/settings.js";

const file: ProfilesFile = {
  version: 1,
  profiles: {
    dev: {
      baseUrl: "https://dev.example.com",
      tenantId: "t1",
      clientId: "c1",
      clientSecret: "stored-secret",
      default: true,
    },
    uat: {
      baseUrl: "https://uat.example.com",
      tenantId: "t2",
      clientId: "c2",
      clientSecretEnv: "UAT_SECRET",
    },
  },
};

describe("resolveConnectionSettings", () => {
  it("takes the cache URL from --cache-url, else D365FO_CACHE_URL, for a profile or none", () => {
    const url = "postgres://team:pw@db.example.com/d365";
    expect(resolveConnectionSettings(file, { cacheUrl: url }, {}).cacheUrl).toBe(url);
    expect(resolveConnectionSettings(file, {}, { D365FO_CACHE_URL: url }).cacheUrl).toBe(url);
    expect(
      resolveConnectionSettings(file, { cacheUrl: "postgres://other/db" }, { D365FO_CACHE_URL: url })
        .cacheUrl,
    ).toBe("postgres://other/db");
    expect(
      resolveConnectionSettings(file, { baseUrl: "https://x.example.com" }, { D365FO_CACHE_URL: url })
        .cacheUrl,
    ).toBe(url);
    expect(resolveConnectionSettings(file, {}, {})).not.toHaveProperty("cacheUrl");
  });

  it("uses the default profile when nothing is selected", () => {
    const s = resolveConnectionSettings(file, {}, {});
    expect(s).toMatchObject({
      profileName: "dev",
      baseUrl: "https://dev.example.com",
      secretSource: "stored",
    });
    expect(s.clientSecret).toBe("stored-secret");
  });

  it("uses --profile, D365FO_PROFILE, and lets options override profile fields", () => {
    expect(resolveConnectionSettings(file, { profile: "uat" }, { UAT_SECRET: "from-env" })).toMatchObject({
      profileName: "uat",
      clientSecret: "from-env",
      secretSource: "env",
    });
    expect(resolveConnectionSettings(file, {}, { D365FO_PROFILE: "uat" }).profileName).toBe("uat");
    expect(resolveConnectionSettings(file, { profile: "dev", tenantId: "other" }, {}).tenantId).toBe("other");
  });

  it("uses --base-url / D365FO_* variables without a profile", () => {
    const s = resolveConnectionSettings(
      file,
      {},
      {
        D365FO_BASE_URL: "https://x.example.com",
        D365FO_TENANT_ID: "tt",
        D365FO_CLIENT_ID: "cc",
        D365FO_CLIENT_SECRET: "ss",
        AZURE_AUTHORITY_HOST: "https://login.example",
      },
    );
    expect(s).toMatchObject({
      profileName: null,
      baseUrl: "https://x.example.com",
      tenantId: "tt",
      clientId: "cc",
      clientSecret: "ss",
      secretSource: "env",
      authorityHost: "https://login.example",
    });
  });

  it("reports a named secret variable that is not set instead of silently falling back", () => {
    const s = resolveConnectionSettings(file, { profile: "uat" }, { D365FO_CLIENT_SECRET: "other" });
    expect(s).toMatchObject({ secretSource: "none", missingSecretEnv: "UAT_SECRET" });
    expect(s.clientSecret).toBeUndefined();
  });

  it("falls back to D365FO_CLIENT_SECRET when the profile names no secret", () => {
    const noSecret: ProfilesFile = { version: 1, profiles: { p: { baseUrl: "https://p", default: true } } };
    expect(resolveConnectionSettings(noSecret, {}, { D365FO_CLIENT_SECRET: "x" })).toMatchObject({
      clientSecret: "x",
      secretSource: "env",
    });
    expect(resolveConnectionSettings(noSecret, {}, {}).secretSource).toBe("none");
  });

  it("fails with a profile error for an unknown profile or no selection", () => {
    expect(() => resolveConnectionSettings(file, { profile: "nope" }, {})).toThrow(
      /Unknown profile "nope".*dev, uat/,
    );
    expect(() => resolveConnectionSettings({ version: 1, profiles: {} }, {}, {})).toThrow(
      /No environment selected/,
    );
    const twoNoDefault: ProfilesFile = {
      version: 1,
      profiles: { a: { baseUrl: "https://a" }, b: { baseUrl: "https://b" } },
    };
    expect(() => resolveConnectionSettings(twoNoDefault, {}, {})).toThrow(/No default profile/);
  });
});
