import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../../../packages/client/src/errors.js";
import { call, startFixtureEmulator } from "./helpers.js";

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A port whose successor is free too, at the time of asking. */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    if (port < 65000 && (await canListen(port + 1))) return port;
  }
}

/**
 * Other test files open ephemeral ports in parallel, so a pair that was free a moment ago can be
 * taken before the emulator binds it; only that collision is retried.
 */
async function startOnConsecutivePorts(environments: { name: string }[]) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePortPair();
    try {
      return { port, emulator: await startFixtureEmulator({ port, environments }) };
    } catch (error) {
      const inUse =
        (error as NodeJS.ErrnoException).code === "EADDRINUSE" || /EADDRINUSE/.test(String(error));
      if (!inUse || attempt >= 5) throw error;
    }
  }
}

describe("startEmulator options", () => {
  it.each([
    [{ environments: 0 }, /environments/],
    [{ environments: [] }, /empty/],
    [{ environments: [{ name: "a" }, { name: "a" }] }, /Duplicate/],
    [{ environments: [{ name: "bad name" }] }, /Invalid environment name/],
    [{ environments: [{ name: "a", release: -1 }] }, /release/],
    [{ host: "0.0.0.0" }, /loopback/],
    [{ port: 70000 }, /port/],
    [{ seed: 1.5 }, /seed/],
    [{ tokenLifetimeSeconds: 0 }, /tokenLifetimeSeconds/],
    [{ knobs: { faults: { resetRate: 5 } } }, /resetRate/],
  ])("rejects %j with a ConfigurationError", async (options, message) => {
    const attempt = startFixtureEmulator(options as never);
    await expect(attempt).rejects.toThrow(ConfigurationError);
    await expect(attempt).rejects.toThrow(message);
  });

  it("gives environments consecutive ports from `port`, lowercase base URLs without a trailing slash", async () => {
    const { port, emulator } = await startOnConsecutivePorts([{ name: "Dev" }, { name: "uat" }]);
    try {
      expect(emulator.environments.map((e) => e.baseUrl)).toEqual([
        `http://127.0.0.1:${port}`,
        `http://127.0.0.1:${port + 1}`,
      ]);
      expect(emulator.environment("Dev").name).toBe("Dev");
      expect(() => emulator.environment("nope")).toThrow(ConfigurationError);
      expect((await call(emulator, "/Metadata/PublicEnumerations", { env: "uat" })).status).toBe(200);
    } finally {
      await emulator.close();
    }
  });

  it("applies emulator-wide knobs, then per-environment knobs", async () => {
    const emulator = await startFixtureEmulator({
      knobs: { pageSize: 5, latency: { baseMs: 1 } },
      environments: [{ name: "a" }, { name: "b", knobs: { pageSize: 7 } }],
    });
    try {
      expect(emulator.environment("a").knobs()).toMatchObject({ pageSize: 5, latency: { baseMs: 1 } });
      expect(emulator.environment("b").knobs()).toMatchObject({ pageSize: 7, latency: { baseMs: 1 } });
    } finally {
      await emulator.close();
    }
  });

  it("uses the given tenant and clients, and a fixed token lifetime", async () => {
    const emulator = await startFixtureEmulator({
      tenantId: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
      clients: [{ clientId: "c1", clientSecret: "s1" }],
      tokenLifetimeSeconds: 600,
    });
    try {
      expect(emulator.credentials).toEqual({
        tenantId: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        clientId: "c1",
        clientSecret: "s1",
      });
      expect(emulator.tokenEndpoint).toBe(
        `${emulator.authorityHost}/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/oauth2/v2.0/token`,
      );
      const token = await emulator.issueToken();
      const claims = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
      expect(claims.exp - claims.iat).toBe(600);
      expect(claims.aud).toBe(emulator.environments[0].baseUrl);
    } finally {
      await emulator.close();
    }
  });

  it("close() is idempotent and frees the ports", async () => {
    const emulator = await startFixtureEmulator();
    const base = emulator.environments[0].baseUrl;
    await emulator.close();
    await emulator.close();
    await expect(fetch(`${base}/data`)).rejects.toThrow();
  });
});
