/**
 * The data commands end to end: the CLI (from source, through tsx) in a child process against
 * the emulator over HTTP, with a temp cache synced by `d365fo sync`.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../packages/client/src/logging.js";
import type { RunningEmulator } from "../../packages/emulator/src/api.js";
import { startEmulator } from "../../packages/emulator/src/index.js";
import { ZERO_LATENCY } from "../cache/helpers.js";
import { cleanEnv } from "../cli/spawn.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const MAIN = join(ROOT, "packages/cli/src/cli/main.ts");

let emulator: RunningEmulator;
let dir: string;
let env: NodeJS.ProcessEnv;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function d365fo(args: string[], input = ""): Promise<Run> {
  const script = `import(${JSON.stringify(MAIN)}).then(async (m) => { process.exitCode = await m.main(["node", "d365fo", ...process.argv.slice(1)]); })`;
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ["--conditions=d365fo-source", "--import", "tsx", "-e", script, "--", ...args],
      {
        cwd: ROOT,
        env,
        stdio: "pipe",
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
    });
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

async function ok(args: string[], input?: string): Promise<Run> {
  const run = await d365fo(args, input);
  expect(run.code, `d365fo ${args.join(" ")}: ${run.stderr}`).toBe(0);
  return run;
}

const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
};

beforeAll(async () => {
  emulator = await startEmulator({
    preset: "tiny",
    logger: silentLogger,
    languages: [],
    knobs: { latency: ZERO_LATENCY, dataPageSize: 40 },
    data: { rowsBySet: { CustomersV3: 100 } },
  });
  dir = mkdtempSync(join(tmpdir(), "d365fo-data-cli-"));
  const environment = emulator.environments[0];
  env = cleanEnv({
    HOME: dir,
    D365FO_CONFIG_DIR: join(dir, "config"),
    D365FO_CACHE_DIR: join(dir, "cache"),
    D365FO_BASE_URL: environment.baseUrl,
    D365FO_TENANT_ID: emulator.credentials.tenantId,
    D365FO_CLIENT_ID: emulator.credentials.clientId,
    D365FO_CLIENT_SECRET: emulator.credentials.clientSecret,
    D365FO_AUTHORITY_HOST: emulator.authorityHost,
    NODE_EXTRA_CA_CERTS: emulator.caCertificatePath,
  });
  await ok(["sync", "--no-progress"]);
}, 300_000);

afterAll(async () => {
  await emulator?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("d365fo query", () => {
  it("--json: one document with the rows, across pages, progress on stderr", async () => {
    const run = await ok([
      "query",
      "CustomersV3",
      "--cross-company",
      "--select",
      "CustomerAccount,dataAreaId",
      "--count",
      "--json",
    ]);
    const document = JSON.parse(run.stdout) as {
      value: Record<string, unknown>[];
      rows: number;
      count: number;
    };
    expect(document.rows).toBe(100);
    expect(document.value).toHaveLength(100);
    expect(document.count).toBe(100);
    expect(
      Object.keys(document.value[0])
        .filter((k) => !k.startsWith("@"))
        .sort(),
    ).toEqual(["CustomerAccount", "dataAreaId"]);
    expect(run.stderr).toMatch(/query CustomersV3: 100 rows in 3 pages/);
  }, 300_000);

  it("default: one JSON object per line; --filter naming dataAreaId reads that company", async () => {
    const run = await ok([
      "query",
      "CustomersV3",
      "--filter",
      "dataAreaId eq 'usrt'",
      "--select",
      "dataAreaId",
      "--no-progress",
    ]);
    const rows = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { dataAreaId: string });
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.dataAreaId))).toEqual(new Set(["usrt"]));
  }, 300_000);

  it("--csv: a header from --select, then one line per row", async () => {
    const run = await ok([
      "query",
      "CustomersV3",
      "--select",
      "CustomerAccount,Name",
      "--top",
      "5",
      "--orderby",
      "CustomerAccount",
      "--csv",
    ]);
    const lines = run.stdout.trimEnd().split("\r\n");
    expect(lines[0]).toBe("CustomerAccount,Name");
    expect(lines).toHaveLength(6);
  }, 300_000);

  it("a validation error exits 12 with one line, and nothing reaches /data", async () => {
    emulator.environments[0].resetCounters();
    const run = await d365fo(["query", "CustomersV3", "--filter", "CreditLimt gt 5"]);
    expect(run.code).toBe(12);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(
      /^d365fo: CustomersV3 has no property CreditLimt .*did you mean 'CreditLimit'.* \[D365_DATA_VALIDATION\]\n$/,
    );
    const routes = Object.keys(emulator.environments[0].counters().byRoute);
    expect(routes.filter((r) => r.startsWith("data.") || r.startsWith("action."))).toEqual([]);
  }, 300_000);
});

describe("d365fo get, create, update, delete, batch, action", () => {
  it("create from a file, get by composite key, update, conflict exits 13, delete", async () => {
    const view = (await ok(["entity", "CustomerV3", "--json"])).stdout;
    const entity = JSON.parse(view) as {
      properties: {
        name: string;
        isMandatory: boolean;
        isKey: boolean;
        dataType: string;
        typeName: string;
      }[];
    };
    const row: Record<string, unknown> = { CustomerAccount: "CLI-1", Name: "CLI one" };
    for (const p of entity.properties)
      if (p.isMandatory && !p.isKey && !(p.name in row))
        row[p.name] =
          {
            Real: 1.5,
            Int32: 1,
            Int64: 2,
            Date: "2026-01-01T12:00:00Z",
            UtcDateTime: "2026-01-01T00:00:00Z",
          }[p.dataType] ?? "X";
    for (const p of entity.properties.filter((p) => p.isMandatory && p.dataType === "Enum")) {
      const members = JSON.parse(
        (await ok(["enum", p.typeName.split(".").pop() as string, "--json"])).stdout,
      ) as { members: { name: string }[] };
      row[p.name] = members.members.at(-1)?.name;
    }
    const created = JSON.parse(
      (await ok(["create", "CustomersV3", "--data", file("row.json", row), "--json"])).stdout,
    ) as Record<string, string>;
    expect(created.CustomerAccount).toBe("CLI-1");
    const got = JSON.parse(
      (await ok(["get", "CustomersV3", "CustomerAccount=CLI-1,dataAreaId=usmf", "--json"])).stdout,
    ) as Record<string, unknown>;
    expect(got.Name).toBe(row.Name);
    await ok(
      ["update", "CustomersV3", "dataAreaId=usmf,CustomerAccount=CLI-1"],
      JSON.stringify({ Name: "From stdin" }),
    );
    const conflict = await d365fo([
      "update",
      "CustomersV3",
      "dataAreaId=usmf,CustomerAccount=CLI-1",
      "--if-match",
      created["@odata.etag"],
      "--data",
      file("c.json", { Name: "x" }),
    ]);
    expect(conflict.code, conflict.stderr).toBe(13);
    expect(conflict.stderr).toMatch(/\[D365_CONFLICT\]/);
    await ok(["delete", "CustomersV3", "dataAreaId=usmf,CustomerAccount=CLI-1"]);
    const gone = await d365fo(["get", "CustomersV3", "dataAreaId=usmf,CustomerAccount=CLI-1"]);
    expect(gone.code).toBe(5);
  }, 300_000);

  it("batch: a file of operations and a changeset, one result each", async () => {
    const first = JSON.parse((await ok(["query", "CustomersV3", "--top", "1", "--json"])).stdout) as {
      value: Record<string, string>[];
    };
    const account = first.value[0].CustomerAccount;
    const path = file("batch.json", [
      { method: "get", entitySet: "CustomersV3", key: { dataAreaId: "usmf", CustomerAccount: account } },
      {
        changeset: [
          {
            method: "update",
            entitySet: "CustomersV3",
            key: { dataAreaId: "usmf", CustomerAccount: account },
            body: { Name: "Batched" },
          },
        ],
      },
    ]);
    const run = await ok(["batch", path, "--json"]);
    const document = JSON.parse(run.stdout) as {
      operations: number;
      failed: number;
      results: { status: number }[];
    };
    expect(document).toMatchObject({ operations: 2, failed: 0 });
    expect(document.results.map((r) => r.status)).toEqual([200, 204]);
  }, 300_000);

  it("action: bound to the entity set", async () => {
    const run = await ok(["action", "SystemNotifications", "GetInstalledModules", "--json"]);
    const document = JSON.parse(run.stdout) as { value: string[] };
    expect(document.value.length).toBeGreaterThan(0);
    expect(document.value[0]).toMatch(/^Name: .* \| Version: /);
  }, 300_000);
});
