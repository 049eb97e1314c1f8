/**
 * The CLI with a bearer token the user already has: `--access-token-stdin` and
 * `D365FO_ACCESS_TOKEN` (never a command-line value), redacted like a secret, with a token hint
 * when the environment refuses it. The real bin in a child process against the emulator.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../packages/emulator/src/index.js";
import { startEmulator } from "../../packages/emulator/src/index.js";
import { assertBuilt, cleanEnv, runCli } from "./spawn.js";

let emulator: RunningEmulator;
let dir: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  assertBuilt();
  emulator = await startEmulator({ preset: "tiny", environments: 1 });
  dir = mkdtempSync(join(tmpdir(), "d365fo-token-"));
  env = cleanEnv({ D365FO_CONFIG_DIR: join(dir, "config"), D365FO_CACHE_DIR: join(dir, "cache") });
});
afterAll(async () => {
  await emulator?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("d365fo with an access token", () => {
  it("reads the token from stdin and talks to the environment without signing in", async () => {
    const baseUrl = emulator.environments[0].baseUrl;
    const token = await emulator.issueToken({ audience: baseUrl });
    const run = await runCli(["--base-url", baseUrl, "--access-token-stdin", "version", "--json"], {
      env,
      input: `${token}\n`,
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ baseUrl, moduleCount: expect.any(Number) });
    expect(run.stdout).not.toContain(token.split(".")[2]);
  });

  it("reads D365FO_ACCESS_TOKEN, and a refused token gets a token hint and exit 4", async () => {
    const baseUrl = emulator.environments[0].baseUrl;
    const wrong = await emulator.issueToken({ audience: "https://other.operations.dynamics.com" });
    const run = await runCli(["--base-url", baseUrl, "--verbose", "version", "--json"], {
      env: { ...env, D365FO_ACCESS_TOKEN: wrong },
    });
    expect(run.code).toBe(4);
    const doc = JSON.parse(run.stdout) as { error: { code: string; hint?: string } };
    expect(doc.error.code).toBe("D365_AUTH");
    expect(doc.error.hint).toMatch(/access token was refused/);
    for (const text of [run.stdout, run.stderr]) expect(text).not.toContain(wrong.split(".")[2]);
  });

  it("refuses an empty stdin as a usage error", async () => {
    const run = await runCli(
      ["--base-url", emulator.environments[0].baseUrl, "--access-token-stdin", "version"],
      {
        env,
        input: "",
      },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--access-token-stdin: stdin was empty/);
  });
});
