import { execFile } from "node:child_process";
import { request } from "node:https";
import { promisify } from "node:util";
import { ClientSecretCredential } from "@azure/identity";
import { createLocalJWKSet, decodeJwt, generateKeyPair, jwtVerify, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../../packages/emulator/src/api.js";
import { P3P_HEADER } from "../../../packages/emulator/src/server/responses.js";
import { rawRequest, startFixtureEmulator } from "./helpers.js";

let emulator: RunningEmulator;
let base: string;

beforeAll(async () => {
  emulator = await startFixtureEmulator({
    environments: 2,
    clients: [
      { clientId: "11111111-1111-1111-1111-111111111111", clientSecret: "first-secret" },
      { clientId: "22222222-2222-2222-2222-222222222222", clientSecret: "second-secret" },
    ],
  });
  base = emulator.environments[0].baseUrl;
});
afterAll(() => emulator.close());

async function withAuthorization(header: string | undefined) {
  return rawRequest(`${base}/Metadata/DataEntities`, { headers: header ? { authorization: header } : {} });
}

function expectAuthFailure(res: Awaited<ReturnType<typeof rawRequest>>, reason: string) {
  expect(res.status).toBe(401);
  expect(res.json()).toEqual({
    Message: "Authentication failed.",
    StackTrace: null,
    ExceptionType: "System.InvalidOperationException",
  });
  expect(res.headers.p3p).toBe(P3P_HEADER);
  expect(res.headers["x-emulator-auth-error"]).toBe(reason);
}

describe("environment authentication (401 kinds)", () => {
  it("accepts a valid token", async () => {
    const res = await withAuthorization(`Bearer ${await emulator.issueToken({ audience: base })}`);
    expect(res.status).toBe(200);
  });

  it("missing Authorization", async () => {
    expectAuthFailure(await withAuthorization(undefined), "missing");
  });

  it("malformed header and malformed token", async () => {
    expectAuthFailure(await withAuthorization("Basic abc"), "malformed");
    expectAuthFailure(await withAuthorization("Bearer not.a.jwt"), "malformed");
  });

  it("expired token", async () => {
    const token = await emulator.issueToken({ audience: base, expiresInSeconds: -60 });
    expectAuthFailure(await withAuthorization(`Bearer ${token}`), "expired");
  });

  it.each([
    ["a trailing slash", (b: string) => `${b}/`],
    ["upper case", (b: string) => b.toUpperCase()],
    ["another environment", () => ""],
  ])("wrong audience: %s", async (_kind, audienceOf) => {
    const audience = audienceOf(base) || emulator.environments[1].baseUrl;
    const token = await emulator.issueToken({ audience });
    expectAuthFailure(await withAuthorization(`Bearer ${token}`), "wrong-audience");
  });

  it("wrong tenant", async () => {
    const token = await emulator.issueToken({
      audience: base,
      tenantId: "00000000-0000-0000-0000-000000000000",
    });
    expectAuthFailure(await withAuthorization(`Bearer ${token}`), "wrong-tenant");
  });

  it("unknown appid", async () => {
    const token = await emulator.issueToken({
      audience: base,
      clientId: "33333333-3333-3333-3333-333333333333",
    });
    expectAuthFailure(await withAuthorization(`Bearer ${token}`), "unknown-client");
  });

  it("bad signature (same claims, another key)", async () => {
    const genuine = decodeJwt(await emulator.issueToken({ audience: base }));
    const { privateKey } = await generateKeyPair("RS256");
    const forged = await new SignJWT(genuine)
      .setProtectedHeader({ alg: "RS256", kid: "d365fo-emulator-1" })
      .sign(privateKey);
    expectAuthFailure(await withAuthorization(`Bearer ${forged}`), "bad-signature");
  });

  it("counts 401s", async () => {
    const env = emulator.environments[0];
    const before = env.counters().unauthorized;
    await withAuthorization(undefined);
    expect(env.counters().unauthorized).toBe(before + 1);
  });
});

/** POST a form to the token service, trusting its certificate. */
// biome-ignore lint/suspicious/noExplicitAny: Entra JSON bodies are indexed freely in assertions
function postForm(url: string, form: Record<string, string>): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const data = new URLSearchParams(form).toString();
    const req = request(
      url,
      {
        method: "POST",
        ca: emulator.caCertificate,
        headers: { "content-type": "application/x-www-form-urlencoded" },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
        );
      },
    );
    req.on("error", reject);
    req.end(data);
  });
}

describe("token service", () => {
  const form = (patch: Record<string, string> = {}) => ({
    grant_type: "client_credentials",
    client_id: "11111111-1111-1111-1111-111111111111",
    client_secret: "first-secret",
    scope: `${base}/.default`,
    ...patch,
  });

  it("issues a JWT with aud = env URL, tid, appid, oid and a lifetime of 3600..5400 s", async () => {
    const { status, body } = await postForm(emulator.tokenEndpoint, form());
    expect(status).toBe(200);
    expect(body.token_type).toBe("Bearer");
    expect(body.expires_in).toBeGreaterThanOrEqual(3600);
    expect(body.expires_in).toBeLessThanOrEqual(5400);
    const claims = decodeJwt(body.access_token);
    expect(claims).toMatchObject({
      aud: base,
      tid: emulator.credentials.tenantId,
      appid: "11111111-1111-1111-1111-111111111111",
    });
    expect(typeof claims.oid).toBe("string");
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(body.expires_in);
    const res = await withAuthorization(`Bearer ${body.access_token}`);
    expect(res.status).toBe(200);
  });

  it("puts a trailing-slash resource into aud verbatim, which the environment then rejects", async () => {
    const { status, body } = await postForm(emulator.tokenEndpoint, form({ scope: `${base}//.default` }));
    expect(status).toBe(200);
    expect(decodeJwt(body.access_token).aud).toBe(`${base}/`);
    expectAuthFailure(await withAuthorization(`Bearer ${body.access_token}`), "wrong-audience");
  });

  it("wrong secret: invalid_client AADSTS7000215 (401)", async () => {
    const { status, body } = await postForm(emulator.tokenEndpoint, form({ client_secret: "nope" }));
    expect(status).toBe(401);
    expect(body.error).toBe("invalid_client");
    expect(body.error_description).toMatch(/^AADSTS7000215: /);
    expect(body.error_codes).toEqual([7000215]);
    expect(body.error_description).not.toContain("first-secret");
  });

  it("unknown client, unknown resource, bad scope, bad grant, unknown tenant", async () => {
    const cases: [Record<string, string>, number, string, number][] = [
      [form({ client_id: "99999999-9999-9999-9999-999999999999" }), 400, "unauthorized_client", 700016],
      [form({ scope: "https://other.operations.dynamics.com/.default" }), 400, "invalid_resource", 500011],
      [form({ scope: "openid" }), 400, "invalid_scope", 1002012],
      [form({ grant_type: "password" }), 400, "unsupported_grant_type", 70003],
    ];
    for (const [f, status, error, code] of cases) {
      const res = await postForm(emulator.tokenEndpoint, f);
      expect(res.status).toBe(status);
      expect(res.body.error).toBe(error);
      expect(res.body.error_codes).toEqual([code]);
    }
    const wrongTenant = emulator.tokenEndpoint.replace(
      emulator.credentials.tenantId,
      "contoso.onmicrosoft.com",
    );
    const res = await postForm(wrongTenant, form());
    expect(res.body.error_codes).toEqual([90002]);
  });

  it("serves the v1 endpoint with resource=", async () => {
    const v1 = emulator.tokenEndpoint.replace("/oauth2/v2.0/token", "/oauth2/token");
    const { scope: _, ...rest } = form();
    const { status, body } = await postForm(v1, { ...rest, resource: base });
    expect(status).toBe(200);
    expect(decodeJwt(body.access_token).aud).toBe(base);
  });

  it("counts issued tokens on the environment they are for", async () => {
    const env = emulator.environments[1];
    const before = env.counters().byRoute.token ?? 0;
    await postForm(emulator.tokenEndpoint, form({ scope: `${env.baseUrl}/.default` }));
    expect(env.counters().byRoute.token).toBe(before + 1);
  });
});

/** GET a JSON document from the token service, trusting its certificate. */
// biome-ignore lint/suspicious/noExplicitAny: discovery JSON is indexed freely in assertions
function getJson(url: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: emulator.caCertificate }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

describe("discovery documents", () => {
  it("openid-configuration names the token endpoint and issuer; the JWKS verifies issued tokens", async () => {
    const tenant = emulator.credentials.tenantId;
    const config = await getJson(`${emulator.authorityHost}/${tenant}/v2.0/.well-known/openid-configuration`);
    expect(config.status).toBe(200);
    expect(config.body.token_endpoint).toBe(emulator.tokenEndpoint);
    const jwks = await getJson(config.body.jwks_uri);
    const token = await emulator.issueToken({ audience: base });
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks.body), { issuer: config.body.issuer });
    expect(payload.aud).toBe(base);
  });

  it("instance discovery points at the tenant's configuration", async () => {
    const res = await getJson(`${emulator.authorityHost}/common/discovery/instance?api-version=1.1`);
    expect(res.body.tenant_discovery_endpoint).toBe(
      `${emulator.authorityHost}/${emulator.credentials.tenantId}/v2.0/.well-known/openid-configuration`,
    );
  });

  it("an unknown tenant's configuration is AADSTS90002", async () => {
    const res = await getJson(
      `${emulator.authorityHost}/contoso.example/v2.0/.well-known/openid-configuration`,
    );
    expect(res.status).toBe(400);
    expect(res.body.error_codes).toEqual([90002]);
  });
});

describe("@azure/identity ClientSecretCredential end to end", () => {
  it("gets a token with credentialOptions() and the token works against the environment", async () => {
    const credential = new ClientSecretCredential(
      emulator.credentials.tenantId,
      emulator.credentials.clientId,
      emulator.credentials.clientSecret,
      emulator.credentialOptions(),
    );
    const env = emulator.environments[1];
    const token = await credential.getToken(`${env.baseUrl}/.default`);
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3500_000);
    const res = await rawRequest(`${env.baseUrl}/Metadata/PublicEnumerations`, {
      headers: { authorization: `Bearer ${token.token}` },
    });
    expect(res.status).toBe(200);
  });

  it("fails with the Entra error for a wrong secret", async () => {
    const credential = new ClientSecretCredential(
      emulator.credentials.tenantId,
      emulator.credentials.clientId,
      "wrong",
      emulator.credentialOptions(),
    );
    await expect(credential.getToken(`${base}/.default`)).rejects.toThrow(/AADSTS7000215/);
  });

  it("works from a separate process via AZURE_AUTHORITY_HOST and NODE_EXTRA_CA_CERTS", async () => {
    const script = `
      import { ClientSecretCredential } from "@azure/identity";
      const [tenant, client, secret, url] = process.argv.slice(1);
      const credential = new ClientSecretCredential(tenant, client, secret, { disableInstanceDiscovery: true });
      const token = await credential.getToken(url + "/.default");
      const res = await fetch(url + "/Metadata/PublicEnumerations", { headers: { authorization: "Bearer " + token.token } });
      console.log(res.status);
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        script,
        emulator.credentials.tenantId,
        emulator.credentials.clientId,
        emulator.credentials.clientSecret,
        base,
      ],
      {
        cwd: process.cwd(),
        env: {
          ...process.env,
          AZURE_AUTHORITY_HOST: emulator.authorityHost,
          NODE_EXTRA_CA_CERTS: emulator.caCertificatePath,
        },
      },
    );
    expect(stdout.trim()).toBe("200");
  });
});
