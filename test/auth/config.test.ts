import { inspect } from "node:util";
import { ClientSecretCredential, DefaultAzureCredential } from "@azure/identity";
import { describe, expect, it } from "vitest";
import {
  createCredential,
  normalizeBaseUrl,
  resolveClientConfig,
} from "../../packages/client/src/auth/config.js";
import { ConfigurationError } from "../../packages/client/src/errors.js";

const SECRET = "s3cr3t-Value-That-Must-Not-Leak";

describe("normalizeBaseUrl", () => {
  it("lowercases, strips the trailing slash and the web-client query", () => {
    expect(normalizeBaseUrl("https://Contoso.Operations.Dynamics.com/")).toBe(
      "https://contoso.operations.dynamics.com",
    );
    expect(
      normalizeBaseUrl("https://contoso.sandbox.operations.dynamics.com/?cmp=USMF&mi=DefaultDashboard"),
    ).toBe("https://contoso.sandbox.operations.dynamics.com");
    expect(normalizeBaseUrl("https://host/namespaces/AXSF//")).toBe("https://host/namespaces/axsf");
  });
  it("rejects non-URLs and other schemes", () => {
    expect(() => normalizeBaseUrl("contoso")).toThrow(ConfigurationError);
    expect(() => normalizeBaseUrl("ftp://contoso")).toThrow(ConfigurationError);
  });
});

describe("resolveClientConfig", () => {
  it("reads the D365FO_* environment variables; explicit values win", () => {
    const env = {
      D365FO_BASE_URL: "https://a.operations.dynamics.com/",
      D365FO_CLIENT_ID: "cid",
      D365FO_CLIENT_SECRET: SECRET,
      D365FO_TENANT_ID: "contoso.onmicrosoft.com",
    };
    const config = resolveClientConfig({ clientId: "other" }, env);
    expect(config).toMatchObject({
      baseUrl: "https://a.operations.dynamics.com",
      clientId: "other",
      tenantId: "contoso.onmicrosoft.com",
    });
    expect(config.clientSecret).toBe(SECRET);
  });

  it("keeps the secret out of JSON and inspect output", () => {
    const config = resolveClientConfig(
      { baseUrl: "https://a.b", clientId: "c", tenantId: "t", clientSecret: SECRET },
      {},
    );
    expect(JSON.stringify(config)).not.toContain(SECRET);
    expect(inspect(config, { depth: 5 })).not.toContain(SECRET);
  });

  it("explains a missing base URL", () => {
    expect(() => resolveClientConfig({}, {})).toThrow(/baseUrl is required \(set D365FO_BASE_URL/);
  });

  it("needs client and tenant ids with a secret, and does not echo the secret", () => {
    const error = (() => {
      try {
        resolveClientConfig({ baseUrl: "https://a.b", clientSecret: SECRET }, {});
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error?.message).toMatch(/clientId .* and tenantId .* missing/);
    expect(error?.message).not.toContain(SECRET);
  });

  it("rejects bad field types with the field name", () => {
    expect(() =>
      resolveClientConfig({ baseUrl: "https://a.b", disableInstanceDiscovery: "yes" as never }, {}),
    ).toThrow(/disableInstanceDiscovery/);
    expect(() => resolveClientConfig({ baseUrl: "https://a.b", authorityHost: "not a url" }, {})).toThrow(
      /authorityHost/,
    );
    expect(() => resolveClientConfig({ baseUrl: "https://a.b", credential: {} as never }, {})).toThrow(
      /TokenCredential/,
    );
  });

  it("refuses plain http to a non-loopback host, allows loopback", () => {
    expect(() => resolveClientConfig({ baseUrl: "http://contoso.com" }, {})).toThrow(/Refusing plain http/);
    expect(resolveClientConfig({ baseUrl: "http://127.0.0.1:8080/" }, {}).baseUrl).toBe(
      "http://127.0.0.1:8080",
    );
    expect(resolveClientConfig({ baseUrl: "http://contoso.com", allowInsecureHttp: true }, {}).baseUrl).toBe(
      "http://contoso.com",
    );
  });
});

describe("createCredential", () => {
  it("uses ClientSecretCredential with a secret, DefaultAzureCredential without, and a given credential as is", () => {
    const withSecret = resolveClientConfig(
      { baseUrl: "https://a.b", clientId: "c", tenantId: "t", clientSecret: SECRET },
      {},
    );
    expect(createCredential(withSecret)).toBeInstanceOf(ClientSecretCredential);
    expect(createCredential(resolveClientConfig({ baseUrl: "https://a.b" }, {}))).toBeInstanceOf(
      DefaultAzureCredential,
    );
    const own = { getToken: async () => null };
    expect(createCredential(resolveClientConfig({ baseUrl: "https://a.b", credential: own }, {}))).toBe(own);
  });
});
