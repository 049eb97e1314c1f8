/**
 * Authentication end to end: the real @azure/identity ClientSecretCredential against the
 * emulator's Entra-style token endpoint, and a leak hunt for the secret and the token across every
 * failure path (messages, JSON, inspect, causes, debug logs).
 */
import { Writable } from "node:stream";
import { inspect } from "node:util";
import type { AccessToken, TokenCredential } from "@azure/identity";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredential, resolveClientConfig } from "../../packages/client/src/auth/config.js";
import { AuthenticationError, D365Error } from "../../packages/client/src/errors.js";
import { REDACTED_PATHS } from "../../packages/client/src/logging.js";
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

/** Wraps a credential and remembers every token it handed out. */
function recording(inner: TokenCredential): { credential: TokenCredential; tokens: string[] } {
  const tokens: string[] = [];
  return {
    tokens,
    credential: {
      getToken: async (scopes, options): Promise<AccessToken | null> => {
        const token = await inner.getToken(scopes, options);
        if (token) tokens.push(token.token);
        return token;
      },
    },
  };
}

function emulatorConfig(secret: string) {
  const env = emulator.environments[0];
  return resolveClientConfig(
    { credentialOptions: emulator.credentialOptions() },
    {
      D365FO_BASE_URL: `${env.baseUrl}/`,
      D365FO_CLIENT_ID: emulator.credentials.clientId,
      D365FO_CLIENT_SECRET: secret,
      D365FO_TENANT_ID: emulator.credentials.tenantId,
    },
  );
}

function captureLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  const logger = pino({ level: "debug", redact: { paths: REDACTED_PATHS, censor: "[redacted]" } }, stream);
  return { logger, lines };
}

describe("ClientSecretCredential against the emulator", () => {
  it("authenticates with configuration from D365FO_* variables and caches the token", async () => {
    const config = emulatorConfig(emulator.credentials.clientSecret);
    expect(config.baseUrl).toBe(emulator.environments[0].baseUrl);
    const { credential, tokens } = recording(createCredential(config));
    const client = new MetadataApiClient({ baseUrl: config.baseUrl, credential });
    try {
      expect((await client.getInstalledModules()).length).toBeGreaterThan(0);
      expect(await client.getApplicationVersion()).toBeTruthy();
      for await (const _ of client.dataEntities()) {
        // consume
      }
      expect(tokens).toHaveLength(1);
      expect(emulator.environments[0].counters().unauthorized).toBe(0);
    } finally {
      await client.close();
    }
  });

  it("reports a wrong secret as AuthenticationError", async () => {
    const client = new MetadataApiClient({
      baseUrl: emulator.environments[0].baseUrl,
      credential: createCredential(emulatorConfig("definitely-the-wrong-secret")),
    });
    try {
      const error = await client.getApplicationVersion().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect((error as Error).message).toContain("/.default");
    } finally {
      await client.close();
    }
  });
});

describe("secrets and tokens never leak", () => {
  it("appear in no error, cause or debug log across failures", async () => {
    const env = emulator.environments[0];
    const realSecret = emulator.credentials.clientSecret;
    const wrongSecret = "Wr0ng-Secret-Value-For-Leak-Test-9f3a";
    const { logger, lines } = captureLogger();
    const errors: unknown[] = [];
    const tokens: string[] = [];
    const fast = {
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2, retryAfterCapMs: 2 },
      timeouts: { headersMs: 150, bodyIdleMs: 150 },
    };
    const collect = async (fn: () => Promise<unknown>) => {
      const error = await fn().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(D365Error);
      errors.push(error);
    };

    // 1. Wrong secret at the token endpoint.
    const wrong = new MetadataApiClient({
      baseUrl: env.baseUrl,
      credential: createCredential(emulatorConfig(wrongSecret)),
      logger,
      http: fast,
    });
    await collect(() => wrong.getInstalledModules());
    await wrong.close();

    // 2. A token the environment refuses (wrong audience): 401, refresh, 401.
    const badToken = await emulator.issueToken({ audience: "https://someone-else.operations.dynamics.com" });
    tokens.push(badToken);
    const refused = new MetadataApiClient({
      baseUrl: env.baseUrl,
      tokenProvider: { getToken: async () => badToken },
      logger,
      http: fast,
    });
    await collect(() => refused.getApplicationVersion());
    await collect(async () => {
      for await (const _ of refused.publicEntities()) {
        // consume
      }
    });
    await refused.close();

    // 3–5. A valid token from the real credential, then server errors, resets and stalls.
    const { credential, tokens: issued } = recording(createCredential(emulatorConfig(realSecret)));
    const client = new MetadataApiClient({ baseUrl: env.baseUrl, credential, logger, http: fast });
    try {
      env.setKnobs({ faults: { error500Rate: 1 } });
      await collect(() => client.getInstalledModules());
      env.setKnobs({ faults: { error500Rate: 0, error503Rate: 1 } });
      await collect(() => client.getLabel("@SYS1", "en-us"));
      env.setKnobs({ faults: { error503Rate: 0, resetRate: 1 } });
      await collect(() => client.getPublicEntity("CustomerV3"));
      env.setKnobs({ faults: { resetRate: 0, stallRate: 1, stallMs: 2_000 } });
      await collect(() => client.getDataEntity("CustCustomerV3Entity"));
    } finally {
      env.setKnobs({ faults: { error500Rate: 0, error503Rate: 0, resetRate: 0, stallRate: 0 } });
      await client.close();
    }
    tokens.push(...issued);
    expect(issued.length).toBeGreaterThan(0);

    const dump = [
      ...errors.flatMap((e) => {
        const parts = [(e as Error).message, JSON.stringify(e), inspect(e, { depth: 20, showHidden: true })];
        for (let c = (e as Error).cause; c; c = (c as Error).cause)
          parts.push(String((c as Error).message), inspect(c, { depth: 20 }));
        return parts;
      }),
      ...lines,
    ].join("\n");
    expect(lines.length).toBeGreaterThan(0);
    expect(dump).toMatch(/D365_(AUTH|SERVER_ERROR|NETWORK|TIMEOUT)/);
    for (const secret of [realSecret, wrongSecret, ...tokens]) {
      expect(dump.includes(secret)).toBe(false);
    }
    // Not even a recognisable piece of a token (its signature part).
    for (const token of tokens) expect(dump.includes(token.split(".")[2])).toBe(false);
  });
});
