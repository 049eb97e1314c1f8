/** Small things users noticed: `--version`, module display names. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderVersion, versionReport } from "../../packages/cli/src/cli/render.js";
import { EnvironmentVersionInfo, ModuleVersionInfo } from "../../packages/client/src/version/models.js";
import { runInProcess } from "./helpers.js";

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "d365fo-small-"));
  env = { D365FO_CONFIG_DIR: join(dir, "config"), D365FO_CACHE_DIR: join(dir, "cache") };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("small things", () => {
  it("prints the package version for d365fo --version and -V", async () => {
    const { version } = JSON.parse(
      readFileSync(new URL("../../packages/cli/package.json", import.meta.url), "utf8"),
    ) as {
      version: string;
    };
    for (const flag of ["--version", "-V"]) {
      const run = await runInProcess([flag], env);
      expect(run.code, flag).toBe(0);
      expect(run.stdout.trim()).toBe(version);
    }
  });

  it("shows each module's DisplayName in version --modules", () => {
    const info = new EnvironmentVersionInfo({
      modules: [
        new ModuleVersionInfo({
          name: "ApplicationSuite",
          version: "10.0.2015.54",
          moduleId: "ApplicationSuite",
          publisher: "Microsoft Corporation",
          displayName: "Application Suite",
        }),
      ],
    });
    const text = renderVersion(versionReport("https://x.dynamics.com", info, true));
    expect(text).toMatch(/display name/);
    expect(text).toMatch(/Application Suite/);
  });
});

describe("profile add validation", () => {
  it("rejects a tenant id that is neither a GUID nor a domain, and stores nothing", async () => {
    for (const tenant of ["x'; DROP TABLE profiles; --", "https://login.microsoftonline.com/t", "a b"]) {
      const run = await runInProcess(
        [
          "profile",
          "add",
          "p1",
          "--base-url",
          "https://contoso.operations.dynamics.com",
          "--tenant-id",
          tenant,
        ],
        env,
      );
      expect(run.code, tenant).toBe(2);
      expect(run.stderr).toMatch(/--tenant-id must be a tenant GUID or domain name/);
      expect(run.stderr).not.toContain("DROP TABLE");
    }
    const list = await runInProcess(["profile", "list", "--json"], env);
    expect(JSON.stringify(JSON.parse(list.stdout))).not.toContain("p1");
    const ok = await runInProcess(
      [
        "profile",
        "add",
        "p2",
        "--base-url",
        "https://contoso.operations.dynamics.com",
        "--tenant-id",
        "contoso.onmicrosoft.com",
      ],
      env,
    );
    expect(ok.code).toBe(0);
  });
});

describe("version --cached", () => {
  it("never contacts the environment: nothing synced is exit 10, not a network error", async () => {
    // Port 9 (discard) on loopback: nothing listens, so any request would fail as a network error.
    const run = await runInProcess(
      ["--base-url", "http://127.0.0.1:9", "version", "--cached", "--json"],
      env,
    );
    expect(run.code, run.stderr).toBe(10);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: "D365_NOT_SYNCED" } });
  });
});
