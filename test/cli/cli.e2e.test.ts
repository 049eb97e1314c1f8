/**
 * Every `d365fo` command end to end: the real bin in a child process against one shared emulator
 * (tiny preset: `dev` on the base release, `uat` upgraded), with temp config and cache dirs.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../packages/client/src/logging.js";
import { computeModulesHash } from "../../packages/client/src/version/models.js";
import type { RunningEmulator } from "../../packages/emulator/src/index.js";
import { startEmulator } from "../../packages/emulator/src/index.js";
import {
  assertBuilt,
  BIN,
  type CliRun,
  cleanEnv,
  nonEmptyLines,
  runCli,
  type SpawnOptions,
} from "./spawn.js";

const WRONG_SECRET = "wrong~secret~value~1234";
const DB_PASSWORD = "db~password~5678";

let emulator: RunningEmulator;
let dir: string;
let env: NodeJS.ProcessEnv;
let closedPort: number;
const outputs: string[] = [];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function cli(args: string[], options: SpawnOptions = {}): Promise<CliRun> {
  const run = await runCli(args, { ...options, env: { ...env, ...options.env } });
  outputs.push(run.stdout, run.stderr);
  return run;
}

async function json<T = Record<string, unknown>>(args: string[], options: SpawnOptions = {}): Promise<T> {
  const run = await cli([...args, "--json"], options);
  expect(run.code, `d365fo ${args.join(" ")}: ${run.stderr}`).toBe(0);
  return JSON.parse(run.stdout) as T;
}

/** A failure: the expected exit code, exactly one `d365fo: … [CODE]` line on stderr. */
async function fails(
  args: string[],
  exitCode: number,
  errorCode: string,
  options: SpawnOptions = {},
): Promise<CliRun> {
  const run = await cli(args, options);
  expect(run.code, `d365fo ${args.join(" ")}: ${run.stderr}`).toBe(exitCode);
  const lines = nonEmptyLines(run.stderr);
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^d365fo: .+ \\[${errorCode}\\]$`));
  return run;
}

beforeAll(async () => {
  assertBuilt();
  emulator = await startEmulator({
    preset: "tiny",
    environments: [
      { name: "dev", release: 0 },
      { name: "uat", release: 1 },
    ],
    logger: silentLogger,
  });
  dir = mkdtempSync(join(tmpdir(), "d365fo-cli-e2e-"));
  closedPort = await freePort();
  env = cleanEnv({
    HOME: dir,
    D365FO_CONFIG_DIR: join(dir, "config"),
    D365FO_CACHE_DIR: join(dir, "cache"),
    NODE_EXTRA_CA_CERTS: emulator.caCertificatePath,
  });
});

afterAll(async () => {
  await emulator?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function addArgs(name: string, baseUrl: string, extra: string[] = []): string[] {
  const { tenantId, clientId } = emulator.credentials;
  return [
    "profile",
    "add",
    name,
    "--base-url",
    baseUrl,
    "--tenant-id",
    tenantId,
    "--client-id",
    clientId,
    "--authority-host",
    emulator.authorityHost,
    ...extra,
  ];
}

describe("d365fo against the emulator", () => {
  it("profile add stores secrets owner-only and profile list never shows them", async () => {
    const secret = emulator.credentials.clientSecret;
    const dev = emulator.environment("dev");
    const uat = emulator.environment("uat");
    let run = await cli(addArgs("dev", dev.baseUrl, ["--client-secret-stdin"]), { input: `${secret}\n` });
    expect(run.code, run.stderr).toBe(0);
    run = await cli(addArgs("uat", uat.baseUrl, ["--client-secret-env", "UAT_SECRET"]));
    expect(run.code, run.stderr).toBe(0);
    run = await cli(addArgs("bad", dev.baseUrl, ["--client-secret-stdin"]), { input: WRONG_SECRET });
    expect(run.code, run.stderr).toBe(0);
    run = await cli(addArgs("gone", `http://127.0.0.1:${closedPort}`, ["--client-secret-stdin"]), {
      input: secret,
    });
    expect(run.code, run.stderr).toBe(0);

    const file = join(env.D365FO_CONFIG_DIR!, "profiles.json");
    if (process.platform !== "win32") expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toContain(secret); // stored, as asked with --client-secret-stdin

    const listed = await json<{ profiles: { name: string; secret: string; default: boolean }[] }>([
      "profile",
      "list",
    ]);
    expect(listed.profiles.map((p) => [p.name, p.secret, p.default])).toEqual([
      ["bad", "stored", false],
      ["dev", "stored", true],
      ["gone", "stored", false],
      ["uat", "env", false],
    ]);
    const human = await cli(["profile", "list"]);
    expect(human.stdout).toMatch(/dev.*stored/);
    expect(human.stdout).toContain("env (UAT_SECRET)");
  });

  it("reads from an environment that was never synced fail with 'not synced' (exit 10)", async () => {
    await fails(["search", "customer"], 10, "D365_NOT_SYNCED");
  });

  it("version reports the environment's module set and hashes", async () => {
    const release = emulator.environment("dev").release;
    const report = await json<{
      moduleCount: number;
      modulesHash: string;
      versionHash: string;
      applicationVersion: string;
      platformVersion: string;
      modules: { moduleId: string; version: string }[];
    }>(["version", "--modules"]);
    expect(report.moduleCount).toBe(release.modules.length);
    expect(report.modulesHash).toBe(computeModulesHash(release.modules));
    expect(report.versionHash).toBe(report.modulesHash.slice(0, 16));
    expect(report.applicationVersion).toBe(release.applicationVersion);
    expect(report.platformVersion).toBe(release.platformBuildVersion);
    expect(report.modules.map((m) => m.moduleId).sort()).toEqual(
      release.modules.map((m) => m.moduleId).sort(),
    );
    const human = await cli(["version"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(report.modulesHash);
    // Without a profile: the D365FO_* variables and the standard AZURE_AUTHORITY_HOST.
    const uat = emulator.environment("uat");
    const fromEnv = await json<{ modulesHash: string }>(["version"], {
      env: {
        D365FO_CONFIG_DIR: join(dir, "no-profiles"),
        D365FO_BASE_URL: uat.baseUrl,
        D365FO_TENANT_ID: emulator.credentials.tenantId,
        D365FO_CLIENT_ID: emulator.credentials.clientId,
        D365FO_CLIENT_SECRET: emulator.credentials.clientSecret,
        AZURE_AUTHORITY_HOST: emulator.authorityHost,
      },
    });
    expect(fromEnv.modulesHash).toBe(computeModulesHash(uat.release.modules));
  });

  it("sync downloads each environment's metadata (secret from the profile, or from the named variable)", async () => {
    const dev = await json<{ outcome: string; versionHash: string; requests: number }>(["sync"]);
    expect(dev.outcome).toBe("synced");
    expect(dev.requests).toBeGreaterThan(3);
    const uat = await cli(["--profile", "uat", "sync"], {
      env: { UAT_SECRET: emulator.credentials.clientSecret },
    });
    expect(uat.code, uat.stderr).toBe(0);
    expect(uat.stdout).toMatch(/Outcome:\s+synced/);
    // Progress goes to stderr (one line per step when stderr is not a terminal), never to stdout.
    expect(uat.stderr).toMatch(/Public entities: \d+/);
    const again = await json<{ outcome: string }>(["sync"]);
    expect(again.outcome).toBe("upToDate");
  });

  it("search finds an entity by name and explains why", async () => {
    const entity = emulator.environment("dev").release.publicEntities[0];
    const page = await json<{ hits: { kind: string; name: string; reason: string }[]; total: number }>([
      "search",
      entity.Name,
      "--limit",
      "5",
    ]);
    expect(page.hits.length).toBeGreaterThan(0);
    expect(page.hits.length).toBeLessThanOrEqual(5);
    expect(page.hits.some((h) => h.name === entity.Name)).toBe(true);
    const dataEntity = emulator.environment("dev").release.dataEntities.find((d) => d.EntityCategory);
    if (dataEntity) {
      const byCategory = await json<{ hits: { kind: string; name: string }[] }>([
        "search",
        dataEntity.Name,
        "--kind",
        "dataEntity",
        "--category",
        String(dataEntity.EntityCategory),
      ]);
      expect(byCategory.hits.map((h) => h.name)).toContain(dataEntity.Name);
      expect(byCategory.hits.every((h) => h.kind === "dataEntity")).toBe(true);
    }
    const human = await cli(["search", entity.Name, "--kind", "publicEntity"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/kind.*name.*label.*why/);
    expect(human.stdout).toContain(entity.Name);
  });

  it("entity shows the schema with labels, keys, enum types, navigation and actions", async () => {
    const release = emulator.environment("dev").release;
    const wire =
      release.publicEntities.find((e) => e.Actions.length > 0 && e.NavigationProperties.length > 0) ??
      release.publicEntities[0];
    const view = await json<{
      name: string;
      keys: string[];
      enumTypes: string[];
      labelText: string | null;
      properties: { name: string; labelText: string | null }[];
      navigationProperties: unknown[];
      actions: { name: string }[];
    }>(["entity", wire.Name]);
    expect(view.name).toBe(wire.Name);
    expect(view.properties).toHaveLength(wire.Properties.length);
    expect(view.keys).toEqual(wire.Properties.filter((p) => p.IsKey).map((p) => p.Name));
    expect(view.enumTypes).toEqual(
      [...new Set(wire.Properties.filter((p) => p.DataType === "Enum").map((p) => p.TypeName))].sort(),
    );
    expect(view.navigationProperties).toHaveLength(wire.NavigationProperties.length);
    expect(view.actions.map((a) => a.name)).toEqual(wire.Actions.map((a) => a.Name));
    if (wire.LabelId) expect(view.labelText).toBe(release.labels.get("en-us")?.get(wire.LabelId) ?? null);
    const human = await cli(["entity", wire.Name]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`Entity:`);
    expect(human.stdout).toContain(`Properties (${wire.Properties.length})`);
  });

  it("enum shows members with label texts, in another language on request", async () => {
    const release = emulator.environment("dev").release;
    const wire = release.enumerations[0];
    const view = await json<{
      name: string;
      members: { name: string; value: number; labelText: string | null }[];
    }>(["enum", wire.Name]);
    expect(view.name).toBe(wire.Name);
    expect(view.members.map((m) => [m.name, m.value])).toEqual(wire.Members.map((m) => [m.Name, m.Value]));
    const member = wire.Members.find((m) => m.LabelId);
    if (member?.LabelId) {
      const german = await json<{ members: { name: string; labelText: string | null }[] }>([
        "enum",
        wire.Name,
        "--language",
        "de-DE",
      ]);
      expect(german.members.find((m) => m.name === member.Name)?.labelText).toBe(
        release.labels.get("de-de")?.get(member.LabelId) ?? null,
      );
    }
  });

  it("label prints one label text", async () => {
    const labels = emulator.environment("dev").release.labels.get("en-us")!;
    const [id, text] = [...labels.entries()][0];
    const doc = await json<{ id: string; text: string }>(["label", id]);
    expect(doc).toMatchObject({ id, text });
    const human = await cli(["label", id]);
    expect(human.stdout).toBe(`${text}\n`);
  });

  it("compare shows what the upgrade changed", async () => {
    const doc = await json<{
      sameVersion: boolean;
      modules: { changed: unknown[]; added: unknown[]; removed: unknown[] };
      publicEntities: { added: string[]; removed: string[]; changed: unknown[] };
    }>(["compare", "dev", "uat"]);
    expect(doc.sameVersion).toBe(false);
    const moduleChanges = doc.modules.changed.length + doc.modules.added.length + doc.modules.removed.length;
    expect(moduleChanges).toBeGreaterThan(0);
    const human = await cli(["compare", "dev", "uat"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Modules: \d+ added, \d+ removed, \d+ changed/);
    // Base URLs work as well as profile names, mixed too, and give the same comparison.
    const byUrl = await json<typeof doc>(["compare", `${emulator.environment("dev").baseUrl}/`, "uat"]);
    expect(byUrl.modules).toEqual(doc.modules);
    expect((await cli(["compare", "dev", emulator.environment("dev").baseUrl])).code).toBe(2);
  });

  it("cache stats and cleanup describe the shared store", async () => {
    const stats = await json<{ totalEnvironments: number; uniqueVersions: number; versions: unknown[] }>([
      "cache",
      "stats",
    ]);
    expect(stats.totalEnvironments).toBeGreaterThanOrEqual(2);
    expect(stats.uniqueVersions).toBe(2);
    const cleanup = await json<{ dryRun: boolean; versionHashes: string[] }>([
      "cache",
      "cleanup",
      "--dry-run",
      "--retention-days",
      "0",
    ]);
    expect(cleanup.dryRun).toBe(true);
    // Both versions serve an environment: nothing is removable.
    expect(cleanup.versionHashes).toEqual([]);
  });

  it("doctor passes for a working profile and reports an unreachable one (exit 6)", async () => {
    const ok = await json<{ ok: boolean; checks: { id: string; status: string }[] }>([
      "--profile",
      "dev",
      "doctor",
    ]);
    expect(ok.ok).toBe(true);
    expect(ok.checks.find((c) => c.id === "store")?.status).toBe("ok");
    expect(ok.checks.find((c) => c.id === "profile:dev:auth")?.status).toBe("ok");
    const gone = await fails(["--profile", "gone", "doctor"], 6, "D365_DOCTOR_FAILED");
    expect(gone.stdout).toMatch(/connectivity.*FAIL/);
  });

  it("an unknown entity exits 5, an unknown profile 3, bad arguments 2", async () => {
    await fails(["entity", "NoSuchEntityAnywhere"], 5, "D365_NOT_FOUND");
    const doc = JSON.parse(
      (await fails(["--profile", "nope", "search", "x", "--json"], 3, "D365_PROFILE")).stdout,
    );
    expect(doc.error).toMatchObject({ code: "D365_PROFILE", exitCode: 3 });
    await fails(["sync", "--strategy", "sideways"], 2, "D365_USAGE");
    // uat reads its secret from $UAT_SECRET, which this run does not set.
    const missing = await fails(["--profile", "uat", "version"], 3, "D365_CONFIG");
    expect(missing.stderr).toContain("$UAT_SECRET");
  });

  it("a corrupt cache fails with exit 10 and a hint; cache reset removes it and doctor is content again", async () => {
    const brokenCache = join(dir, "broken-cache");
    mkdirSync(brokenCache, { recursive: true, mode: 0o700 });
    writeFileSync(join(brokenCache, "metadata-v2.db"), "not a database at all ".repeat(500));
    const options = { env: { D365FO_CACHE_DIR: brokenCache } };
    const broken = await fails(["cache", "stats"], 10, "D365_CACHE_CORRUPT", options);
    expect(broken.stderr).toContain("d365fo cache reset");
    const doctor = await cli(["doctor", "--offline", "--json"], options);
    const checks = JSON.parse(doctor.stdout).checks as { id: string; status: string }[];
    expect(checks.find((c) => c.id === "store")?.status).toBe("fail");
    const reset = await json<{ removed: string[] }>(["cache", "reset"], options);
    expect(reset.removed).toEqual([join(brokenCache, "metadata-v2.db")]);
    const again = await json<{ checks: { id: string; status: string; detail: string }[] }>(
      ["doctor", "--offline"],
      options,
    );
    const store = again.checks.find((c) => c.id === "store");
    expect(store?.status).toBe("ok");
    expect(store?.detail).toContain("no cache");
    await fails(["cache", "reset"], 3, "D365_CONFIG", {
      env: { D365FO_CACHE_DIR: brokenCache, D365FO_CACHE_URL: "postgres://db.example.com/d365" },
    });
  });

  it("a cache URL's password is printed nowhere, whether the URL is refused or unreachable", async () => {
    const refused = await fails(
      ["--cache-url", `mysql://team:${DB_PASSWORD}@db.example.com/d365`, "cache", "stats"],
      3,
      "D365_CONFIG",
    );
    expect(refused.stderr).toMatch(/postgres:\/\//);
    // Nothing listens on the closed port: whichever error the store gives, it fails without the password.
    const url = `postgres://team:${DB_PASSWORD}@127.0.0.1:${closedPort}/d365`;
    for (const args of [
      ["--cache-url", url, "cache", "stats"],
      ["--cache-url", url, "doctor", "--offline"],
    ]) {
      const run = await cli(args, { env: { D365FO_CACHE_URL: url } });
      expect(run.code, run.stderr).not.toBe(0);
      expect(run.stdout + run.stderr).not.toContain(DB_PASSWORD);
    }
  });

  it("a wrong client secret exits 4 and the secret appears nowhere", async () => {
    const run = await fails(["--profile", "bad", "version"], 4, "D365_AUTH");
    expect(run.stderr).toContain("AADSTS7000215");
  });

  it("an unreachable environment exits 6", async () => {
    const dev = emulator.environment("dev");
    dev.setKnobs({ faults: { resetRate: 1 } });
    try {
      await fails(["--retries", "1", "version"], 6, "D365_NETWORK");
    } finally {
      dev.setKnobs({ faults: { resetRate: 0 } });
    }
  });

  it("a second sync of the same version with --no-wait exits 11; Ctrl-C aborts the first with 130", async () => {
    const dev = emulator.environment("dev");
    // A fresh cache, so the version is downloaded again; slow requests keep the sync running.
    const freshCache = ["--cache-dir", join(dir, "cache-interrupted")];
    dev.setKnobs({ latency: { baseMs: 300 } });
    let second: Promise<CliRun> | undefined;
    try {
      const first = await cli([...freshCache, "sync"], {
        onStderr: (chunk, child) => {
          // The first step line means the sync lease is held; now a second process tries.
          if (second || !/Data entities/.test(chunk)) return;
          second = cli([...freshCache, "sync", "--no-wait"]).finally(() => child.kill("SIGINT"));
        },
      });
      expect(second, first.stderr).toBeDefined();
      const other = await second!;
      expect(other.code, other.stderr).toBe(11);
      expect(nonEmptyLines(other.stderr)).toEqual([
        expect.stringMatching(/^d365fo: .+ \[D365_SYNC_IN_PROGRESS\]$/),
      ]);
      expect(first.code, first.stderr).toBe(130);
      expect(nonEmptyLines(first.stderr).at(-1)).toMatch(/^d365fo: .+ \[D365_ABORTED\]$/);
    } finally {
      dev.setKnobs({ latency: { baseMs: 0 } });
    }
  });

  it("the emulator command serves until interrupted", async () => {
    let described: { environments: { baseUrl: string }[] } | undefined;
    let stdout = "";
    const run = await new Promise<CliRun>((resolve, reject) => {
      import("node:child_process").then(({ spawn }) => {
        const child = spawn(
          process.execPath,
          [BIN, "emulator", "--preset", "tiny", "--log-level", "silent"],
          { env },
        );
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
          stdout += chunk;
          if (!described && stdout.includes("\n")) {
            described = JSON.parse(stdout.split("\n")[0]);
            child.kill("SIGINT");
          }
        });
        child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
          stderr += chunk;
        });
        child.on("error", reject);
        child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
      }, reject);
    });
    expect(described?.environments[0].baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(run.code, run.stderr).toBe(0);
  });

  it("profile show, default and remove manage the profiles file", async () => {
    const shown = await json<{ name: string; secret: string; baseUrl: string }>(["profile", "show", "uat"]);
    expect(shown).toMatchObject({ name: "uat", secret: "env", baseUrl: emulator.environment("uat").baseUrl });
    const made = await json<{ default: string }>(["profile", "default", "uat"]);
    expect(made.default).toBe("uat");
    const removed = await json<{ profiles: { name: string; default: boolean }[] }>([
      "profile",
      "remove",
      "gone",
    ]);
    expect(removed.profiles.map((p) => [p.name, p.default])).toEqual([
      ["bad", false],
      ["dev", false],
      ["uat", true],
    ]);
    await fails(["profile", "show", "gone"], 3, "D365_PROFILE");
  });

  it("a broken profiles file exits 3 without echoing its content", async () => {
    const brokenDir = join(dir, "broken-config");
    mkdirSync(brokenDir, { recursive: true });
    writeFileSync(
      join(brokenDir, "profiles.json"),
      `{"version":1,"profiles":{"x":{"clientSecret":"${WRONG_SECRET}"}}}`,
    );
    const run = await fails(["search", "customer"], 3, "D365_PROFILE", {
      env: { D365FO_CONFIG_DIR: brokenDir },
    });
    expect(run.stderr).toContain("profiles.x.baseUrl");
  });

  it("never prints a client secret", () => {
    const all = outputs.join("\n");
    expect(all).not.toContain(emulator.credentials.clientSecret);
    expect(all).not.toContain(WRONG_SECRET);
    expect(all).not.toContain(DB_PASSWORD);
  });
});
