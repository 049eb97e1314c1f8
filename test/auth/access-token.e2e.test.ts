/**
 * A bearer token the caller already has (`D365FO_ACCESS_TOKEN`, `StaticTokenCredential`), and
 * hints that fit the cause: a refused static token, an identity provider whose certificate is not
 * trusted (MSAL's endpoints_resolution_error), an http authority host.
 */
import { inspect } from "node:util";
import { ClientSecretCredential } from "@azure/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredential, resolveClientConfig } from "../../packages/client/src/auth/config.js";
import { StaticTokenCredential } from "../../packages/client/src/auth/static-token.js";
import {
  AuthenticationError,
  ConfigurationError,
  exitCodeForError,
  hintForError,
  InsecureTransportError,
} from "../../packages/client/src/errors.js";
import { MetadataApiClient } from "../../packages/client/src/metadata/client.js";
import type { RunningEmulator } from "../../packages/emulator/src/api.js";
import { startEmulator } from "../../packages/emulator/src/index.js";

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ preset: "tiny", environments: 1 });
});
afterAll(async () => {
  await emulator?.close();
});

describe("a static access token", () => {
  it("authenticates from D365FO_ACCESS_TOKEN and never shows up in the config", async () => {
    const env = emulator.environments[0];
    const token = await emulator.issueToken({ audience: env.baseUrl });
    const config = resolveClientConfig(
      {},
      { D365FO_BASE_URL: env.baseUrl, D365FO_ACCESS_TOKEN: `Bearer ${token}\n` },
    );
    expect(JSON.stringify(config)).not.toContain(token.slice(-20));
    expect(inspect(config)).not.toContain(token.slice(-20));
    const credential = createCredential(config);
    expect(credential).toBeInstanceOf(StaticTokenCredential);
    expect(inspect(credential, { showHidden: false })).not.toContain(token.slice(-20));
    const client = new MetadataApiClient({ baseUrl: config.baseUrl, credential });
    try {
      expect((await client.getInstalledModules()).length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it("gives a token hint, not a tenant/client/secret one, when the environment refuses it", async () => {
    const env = emulator.environments[0];
    const wrongAudience = await emulator.issueToken({ audience: "https://another.operations.dynamics.com" });
    const client = new MetadataApiClient({
      baseUrl: env.baseUrl,
      credential: new StaticTokenCredential(wrongAudience),
    });
    let error: unknown;
    try {
      error = await client.getApplicationVersion().catch((e: unknown) => e);
    } finally {
      await client.close();
    }
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ status: 401, reason: "token-refused", credentialKind: "access-token" });
    const hint = hintForError(error);
    expect(hint).toMatch(/access token was refused/);
    expect(hint).not.toMatch(/client secret|tenantId/);
    expect(exitCodeForError(error)).toBe(4);
    expect(JSON.stringify(error)).not.toContain(wrongAudience.split(".")[2]);
  });

  it("reports an expired token before sending it", async () => {
    const expired = await emulator.issueToken({ expiresInSeconds: -60 });
    emulator.environments[0].resetCounters();
    const client = new MetadataApiClient({
      baseUrl: emulator.environments[0].baseUrl,
      credential: new StaticTokenCredential(expired),
    });
    try {
      const error = await client.getApplicationVersion().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "D365_AUTH", credentialKind: "access-token" });
      expect((error as Error).message).toMatch(/expired/);
      expect(emulator.environments[0].counters().unauthorized).toBe(0);
    } finally {
      await client.close();
    }
  });

  it("refuses a token with spaces or control characters as a configuration error", () => {
    expect(() => new StaticTokenCredential("two words")).toThrow(ConfigurationError);
    expect(() => new StaticTokenCredential("   ")).toThrow(ConfigurationError);
  });
});

describe("hints that fit the cause", () => {
  it("says the identity provider's certificate is not trusted for MSAL's endpoints_resolution_error", async () => {
    const { tenantId, clientId, clientSecret } = emulator.credentials;
    // The emulator's authority without trusting its self-signed certificate.
    const credential = new ClientSecretCredential(tenantId, clientId, clientSecret, {
      authorityHost: emulator.authorityHost,
      disableInstanceDiscovery: true,
    });
    const client = new MetadataApiClient({ baseUrl: emulator.environments[0].baseUrl, credential });
    let error: unknown;
    try {
      error = await client.getApplicationVersion().catch((e: unknown) => e);
    } finally {
      await client.close();
    }
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toContain("endpoints_resolution_error");
    expect(error).toMatchObject({ reason: "identity-provider-unreachable", credentialKind: "client-secret" });
    expect(hintForError(error)).toMatch(/NODE_EXTRA_CA_CERTS/);
    expect(hintForError(error)).not.toMatch(/client secret/);
  });

  it("keeps the tenant/client/secret hint for a secret the identity provider rejects", async () => {
    const config = resolveClientConfig(
      { credentialOptions: emulator.credentialOptions() },
      {
        D365FO_BASE_URL: emulator.environments[0].baseUrl,
        D365FO_CLIENT_ID: emulator.credentials.clientId,
        D365FO_CLIENT_SECRET: "not-the-right-secret-at-all",
        D365FO_TENANT_ID: emulator.credentials.tenantId,
      },
    );
    const client = new MetadataApiClient({ baseUrl: config.baseUrl, credential: createCredential(config) });
    try {
      const error = await client.getApplicationVersion().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "D365_AUTH", reason: "credential" });
      expect(hintForError(error)).toMatch(/tenantId, clientId and the client secret/);
    } finally {
      await client.close();
    }
  });

  it("refuses an http authority host with InsecureTransportError (exit 3), not a plain Error", () => {
    const attempt = () =>
      resolveClientConfig(
        { authorityHost: "http://127.0.0.1:4443" },
        {
          D365FO_BASE_URL: "https://contoso.operations.dynamics.com",
          D365FO_CLIENT_ID: "c",
          D365FO_CLIENT_SECRET: "s3cret-value-here",
          D365FO_TENANT_ID: "t",
        },
      );
    expect(attempt).toThrow(InsecureTransportError);
    let error: unknown;
    try {
      attempt();
    } catch (caught) {
      error = caught;
    }
    expect(exitCodeForError(error)).toBe(3);
    expect(() =>
      createCredential({
        baseUrl: "https://x.dynamics.com",
        clientId: "c",
        tenantId: "t",
        clientSecret: "s3cret-v",
        authorityHost: "http://login.example",
      }),
    ).toThrow(InsecureTransportError);
  });
});
