import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { errorLine } from "../../packages/cli/src/cli/main.js";
import { NotFoundError } from "../../packages/client/src/errors.js";
import { runInProcess, stderrLines } from "./helpers.js";

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "d365fo-main-"));
  env = { D365FO_CONFIG_DIR: join(dir, "config"), D365FO_CACHE_DIR: join(dir, "cache") };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("main (in process)", () => {
  it("prints help on stdout and exits 0", async () => {
    const run = await runInProcess(["--help"], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Usage: d365fo");
    expect(run.stdout).toContain("sync");
  });

  it("reports an unknown command as one usage line with exit code 2", async () => {
    const run = await runInProcess(["frobnicate"], env);
    expect(run.code).toBe(2);
    expect(stderrLines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(/^d365fo: unknown command 'frobnicate' \[D365_USAGE\]\n$/);
  });

  it("rejects a bad option value with exit code 2 and a JSON error document under --json", async () => {
    const run = await runInProcess(["search", "cust", "--limit", "abc", "--json"], env);
    expect(run.code).toBe(2);
    expect(stderrLines(run.stderr)).toHaveLength(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: "D365_USAGE", exitCode: 2 } });
  });

  it("adds, lists, defaults and removes profiles with JSON output", async () => {
    let run = await runInProcess(
      [
        "profile",
        "add",
        "dev",
        "--base-url",
        "https://dev.example.com",
        "--tenant-id",
        "t",
        "--client-id",
        "c",
        "--client-secret-env",
        "DEV_SECRET",
        "--json",
      ],
      env,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).profile).toMatchObject({ name: "dev", secret: "env", default: true });
    run = await runInProcess(["profile", "add", "uat", "--base-url", "https://uat.example.com"], env);
    expect(run.code).toBe(0);
    run = await runInProcess(["profile", "default", "uat"], env);
    expect(run.code).toBe(0);
    run = await runInProcess(["--json", "profile", "list"], env);
    const listed = JSON.parse(run.stdout);
    expect(listed.profiles.map((p: { name: string; default: boolean }) => [p.name, p.default])).toEqual([
      ["dev", false],
      ["uat", true],
    ]);
    run = await runInProcess(["profile", "remove", "dev"], env);
    expect(run.code).toBe(0);
    run = await runInProcess(["profile", "list"], env);
    expect(run.stdout).toContain("uat");
    expect(run.stdout).not.toContain("dev.example.com");
  });

  it("refuses plain http to a non-loopback environment when adding a profile", async () => {
    const run = await runInProcess(["profile", "add", "x", "--base-url", "http://contoso.example.com"], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^d365fo: --base-url must be https .*\[D365_USAGE\]\n$/);
    const loopback = await runInProcess(["profile", "add", "x", "--base-url", "http://127.0.0.1:8080"], env);
    expect(loopback.code, loopback.stderr).toBe(0);
  });

  it("maps an unknown profile to exit code 3", async () => {
    const run = await runInProcess(["--profile", "nope", "version"], env);
    expect(run.code).toBe(3);
    expect(stderrLines(run.stderr)).toEqual([
      expect.stringMatching(/^d365fo: Unknown profile "nope".*\[D365_PROFILE\]$/),
    ]);
  });

  it("formats errors on one line with their code", () => {
    expect(errorLine(new NotFoundError("no\n  such entity"))).toBe("d365fo: no such entity [D365_NOT_FOUND]");
    expect(errorLine(new Error("boom"))).toBe("d365fo: boom [D365_UNEXPECTED]");
  });
});

describe("main --verbose", () => {
  it("adds the stack trace after the one error line", async () => {
    const dir2 = mkdtempSync(join(tmpdir(), "d365fo-verbose-"));
    try {
      const run = await runInProcess(["--verbose", "--profile", "nope", "version"], {
        D365FO_CONFIG_DIR: dir2,
      });
      expect(run.code).toBe(3);
      const lines = stderrLines(run.stderr);
      expect(lines[0]).toMatch(/^d365fo: Unknown profile "nope".*\[D365_PROFILE\]$/);
      expect(lines.some((line) => /^\s+at /.test(line))).toBe(true);
    } finally {
      rmSync(dir2, { recursive: true, force: true });
    }
  });
});
