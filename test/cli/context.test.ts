import { describe, expect, it } from "vitest";
import { cacheConfigFor, isMicrosoftAuthority } from "../../packages/cli/src/cli/context.js";
import type { ConnectionSettings } from "../../packages/cli/src/cli/settings.js";
import { silentLogger } from "../../packages/client/src/logging.js";

const base: ConnectionSettings = {
  profileName: "dev",
  baseUrl: "https://contoso.operations.dynamics.com",
  tenantId: "t",
  clientId: "c",
  clientSecret: "s",
  secretSource: "stored",
};

describe("cacheConfigFor", () => {
  it("turns MSAL instance discovery off only for non-Microsoft authorities", () => {
    expect(isMicrosoftAuthority("https://login.microsoftonline.com")).toBe(true);
    expect(isMicrosoftAuthority("https://127.0.0.1:4443")).toBe(false);
    expect(isMicrosoftAuthority("not a url")).toBe(false);
    const emulator = cacheConfigFor({ ...base, authorityHost: "https://127.0.0.1:4443" }, {}, silentLogger);
    expect(emulator.credentialOptions).toEqual({ disableInstanceDiscovery: true });
    const entra = cacheConfigFor(
      { ...base, authorityHost: "https://login.microsoftonline.com" },
      {},
      silentLogger,
    );
    expect(entra.credentialOptions).toBeUndefined();
  });

  it("uses the default Azure credential only without a secret", () => {
    expect(cacheConfigFor(base, {}, silentLogger).useDefaultCredential).toBeUndefined();
    const { clientSecret: _s, ...noSecret } = base;
    expect(cacheConfigFor({ ...noSecret, secretSource: "none" }, {}, silentLogger).useDefaultCredential).toBe(
      true,
    );
  });

  it("maps --timeout, --retries and --language onto the cache configuration", () => {
    const config = cacheConfigFor(base, { timeout: 5000, retries: 0, language: "de-DE" }, silentLogger);
    expect(config.http).toEqual({ timeoutMs: 5000, maxRetries: 0 });
    expect(config.languages).toEqual(["de-DE"]);
    expect(cacheConfigFor(base, {}, silentLogger).http).toBeUndefined();
  });

  it("passes the cache directory and a --cache-url / D365FO_CACHE_URL on to the cache", () => {
    const url = "postgres://team:pw@db.example.com/d365";
    const config = cacheConfigFor({ ...base, cacheDir: "/tmp/c", cacheUrl: url }, {}, silentLogger);
    expect(config).toMatchObject({ cacheDir: "/tmp/c", cacheUrl: url });
    expect(cacheConfigFor(base, {}, silentLogger)).not.toHaveProperty("cacheUrl");
  });
});
