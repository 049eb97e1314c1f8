/**
 * An identity provider that echoes the client secret in its error text (a hostile or broken
 * authority, over real HTTPS on 127.0.0.1): the library itself scrubs the secret from the error's
 * message, cause chain, JSON, inspect output and every log line.
 */
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredential, resolveClientConfig } from "../../packages/client/src/auth/config.js";
import { AuthenticationError, hintForError } from "../../packages/client/src/errors.js";
import { createLogger } from "../../packages/client/src/logging.js";
import { MetadataApiClient } from "../../packages/client/src/metadata/client.js";
import type { RunningEmulator } from "../../packages/emulator/src/api.js";
import { startEmulator } from "../../packages/emulator/src/index.js";
import { emulatorKeys } from "../../packages/emulator/src/server/auth/keys.js";

let emulator: RunningEmulator;
let idp: Server;
let idpUrl: string;
const seenSecrets: string[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ preset: "tiny", environments: 1 });
  const keys = await emulatorKeys();
  idp = createServer({ key: keys.tlsKey, cert: keys.tlsCert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", idpUrl);
      res.setHeader("content-type", "application/json");
      if (url.pathname.endsWith("/.well-known/openid-configuration")) {
        const tenant = url.pathname.split("/")[1];
        res.end(
          JSON.stringify({
            token_endpoint: `${idpUrl}/${tenant}/oauth2/v2.0/token`,
            issuer: `${idpUrl}/${tenant}/v2.0`,
            authorization_endpoint: `${idpUrl}/${tenant}/oauth2/v2.0/authorize`,
            jwks_uri: `${idpUrl}/${tenant}/discovery/v2.0/keys`,
            end_session_endpoint: `${idpUrl}/${tenant}/oauth2/v2.0/logout`,
          }),
        );
        return;
      }
      const secret = new URLSearchParams(Buffer.concat(chunks).toString("utf8")).get("client_secret") ?? "";
      seenSecrets.push(secret);
      res.statusCode = 401;
      res.end(
        JSON.stringify({
          error: "invalid_client",
          error_description: `AADSTS7000215: Invalid client secret provided: '${secret}' is not the secret of this app (debug echo ${secret}).`,
          error_codes: [7000215],
        }),
      );
    });
  });
  await new Promise<void>((resolve) => idp.listen(0, "127.0.0.1", resolve));
  idpUrl = `https://127.0.0.1:${(idp.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => idp?.close(() => resolve()));
  await emulator?.close();
});

describe("an identity provider that echoes the client secret", () => {
  it("never lets the secret into the error, its causes, JSON, inspect or log lines", async () => {
    const secret = "Echoed~Secret.Value-7c1d2e3f4a5b6c7d8e9f";
    const lines: string[] = [];
    const logger = createLogger({
      level: "debug",
      destination: new Writable({
        write(chunk, _encoding, callback) {
          lines.push(chunk.toString());
          callback();
        },
      }),
    });
    const config = resolveClientConfig(
      {
        credentialOptions: { ...emulator.credentialOptions(), authorityHost: idpUrl },
      },
      {
        D365FO_BASE_URL: emulator.environments[0].baseUrl,
        D365FO_CLIENT_ID: emulator.credentials.clientId,
        D365FO_CLIENT_SECRET: secret,
        D365FO_TENANT_ID: emulator.credentials.tenantId,
      },
    );
    const client = new MetadataApiClient({
      baseUrl: config.baseUrl,
      credential: createCredential(config),
      logger,
    });
    let error: unknown;
    try {
      error = await client.getInstalledModules().catch((e: unknown) => e);
    } finally {
      await client.close();
    }
    // The identity provider really did echo it: the scrubbing is what keeps it out.
    expect(seenSecrets).toContain(secret);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toContain("AADSTS7000215");
    expect((error as Error).message).toContain("[redacted]");
    // Whoever logs the error, and whatever else they log, the line is scrubbed.
    logger.error({ err: error }, "sync failed");
    logger.warn({ detail: `raw text with ${secret} inside`, nested: { value: secret } }, `message ${secret}`);

    const parts = [
      (error as Error).message,
      (error as Error).stack ?? "",
      JSON.stringify(error),
      inspect(error, { depth: 20, showHidden: true }),
      String(error),
      hintForError(error),
      ...lines,
    ];
    for (let c = (error as Error).cause; c; c = (c as Error).cause) {
      parts.push(
        String((c as Error).message),
        String((c as Error).stack),
        inspect(c, { depth: 20, showHidden: true }),
      );
    }
    expect(lines.length).toBeGreaterThanOrEqual(2);
    const dump = parts.join("\n");
    expect(dump.includes(secret)).toBe(false);
    expect(dump).toContain("[redacted]");
  });
});
