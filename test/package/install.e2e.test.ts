/**
 * The published packages as a user gets them: `npm pack` each of the four, check every tarball's
 * exports map with @arethetypeswrong/cli (ESM only), install the tarballs into a fresh project
 * outside the repository, and there
 * - compile a TypeScript file that imports the library, its `./backend` entry, the emulator and the
 *   PostgreSQL backend with the project's own `tsc --strict` (module nodenext);
 * - run it with node: it starts the emulator, syncs and searches it through the library (SQLite)
 *   and prints one JSON line (credentials, base URL, CA path);
 * - `npx d365fo sync` and `npx d365fo search` against that emulator;
 * - start `npx d365fo mcp` over stdio and list its tools with the MCP SDK's client.
 *
 * Every process runs in the fresh project with an environment that has none of the repository's
 * `node_modules/.bin`, no D365FO_* / AZURE_* variables and no `npm run` context. Installing
 * compiles better-sqlite3 from source when its prebuilt binary cannot be downloaded (~1-2 minutes).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  explain,
  npmInstall,
  pack,
  ROOT,
  runCommand,
  tail,
  userEnv,
  WORKSPACES,
  type Workspace,
  workspacePath,
  writeProjectManifest,
} from "../_support/fresh-project.js";
import { MCP_TOOL_NAMES } from "../mcp/tool-names.js";
import { CHECK_TS, type CheckLine } from "./_install-check-source.js";

/** Files the bins load besides the exports maps' targets. */
const BIN_TARGETS: Record<string, string[]> = {
  cli: ["dist/cli/main.js"],
  emulator: ["dist/cli.js"],
};

function manifest(workspace: Workspace): {
  name: string;
  version: string;
  exports: Record<string, Record<string, string> | string>;
} {
  return JSON.parse(readFileSync(join(workspacePath(workspace), "package.json"), "utf8"));
}

/** The repository's installed version of a package (what the fresh project pins). */
function installedVersion(name: string): string {
  return (
    JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }
  ).version;
}

let work: string;
let packDir: string;
let project: string;
const tarballs = new Map<string, string>();
let installed = false;
let compiled = false;
let emulatorChild: ChildProcess | undefined;
let emulatorStderr = "";
let info: CheckLine | undefined;
let cliEnv: Record<string, string>;
const started = performance.now();

function requireStep(done: unknown, step: string): void {
  if (!done) throw new Error(`skipped: the ${step} step failed (see its error above)`);
}

beforeAll(async () => {
  const missing = WORKSPACES.flatMap((workspace) => {
    const targets = [
      ...Object.values(manifest(workspace).exports).flatMap((entry) =>
        typeof entry === "string" ? [entry] : [entry.types, entry.import].filter(Boolean),
      ),
      ...(BIN_TARGETS[workspace.dir] ?? []),
    ];
    return targets.map((t) => join(workspacePath(workspace), t)).filter((file) => !existsSync(file));
  });
  if (missing.length > 0) {
    throw new Error(
      `Built files are missing (npm pack would publish packages without them): ${missing.join(", ")}. Run 'npm run build' (npm test builds first).`,
    );
  }
  work = mkdtempSync(join(tmpdir(), "d365fo-install-"));
  packDir = join(work, "tarballs");
  project = join(work, "project");
  mkdirSync(packDir);
  mkdirSync(project);
  // Each package as `npm publish` would pack it (its `files`, from its own directory).
  await Promise.all(
    WORKSPACES.map(async (workspace) => {
      const packed = await pack(workspacePath(workspace), packDir, { timeoutMs: 120_000 });
      expect(packed.name).toBe(workspace.name);
      tarballs.set(workspace.name, packed.tarball);
    }),
  );
}, 180_000);

afterAll(async () => {
  if (emulatorChild && emulatorChild.exitCode === null && emulatorChild.signalCode === null) {
    const exited = new Promise<void>((r) => emulatorChild?.once("close", () => r()));
    emulatorChild.kill("SIGTERM");
    const timer = setTimeout(() => emulatorChild?.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
  if (work) rmSync(work, { recursive: true, force: true });
  process.stderr.write(
    `install e2e: ${((performance.now() - started) / 1000).toFixed(1)} s from packing to clean-up\n`,
  );
}, 30_000);

describe("the packed packages, installed into a fresh project", () => {
  it.each(WORKSPACES.map((p) => p.name))(
    "%s: every exports entry resolves for ESM with types (attw)",
    async (name) => {
      const tarball = tarballs.get(name)!;
      const run = await runCommand(
        process.execPath,
        [
          join(ROOT, "node_modules", "@arethetypeswrong", "cli", "dist", "index.js"),
          tarball,
          "--profile",
          "esm-only",
          "--format",
          "json",
        ],
        { cwd: work, env: userEnv(), timeoutMs: 120_000 },
      );
      expect(run.code, explain(run)).toBe(0);
      const report = JSON.parse(run.stdout) as {
        analysis: {
          entrypoints: Record<
            string,
            {
              resolutions: Record<
                string,
                { resolution?: { fileName: string }; implementationResolution?: { fileName: string } }
              >;
            }
          >;
        };
      };
      const workspace = WORKSPACES.find((p) => p.name === name)!;
      const declared = Object.keys(manifest(workspace).exports).filter((key) => key !== "./package.json");
      const analysed = Object.keys(report.analysis.entrypoints).filter((key) => key !== "./package.json");
      expect(analysed.sort()).toEqual(declared.sort());
      for (const entry of analysed) {
        for (const kind of ["node16-esm", "bundler"]) {
          const resolution = report.analysis.entrypoints[entry].resolutions[kind];
          expect(resolution?.resolution?.fileName, `${name} ${entry} types (${kind})`).toMatch(/\.d\.ts$/);
          expect(
            resolution?.implementationResolution?.fileName,
            `${name} ${entry} JavaScript (${kind})`,
          ).toMatch(/\.js$/);
        }
      }
    },
  );

  it("installs the four tarballs with typescript and @types/node, outside the repository", async () => {
    expect(project.includes(ROOT), `${project} is inside ${ROOT}`).toBe(false);
    // No node_modules above the project that could lend it packages.
    for (let dir = dirname(project); dir !== dirname(dir); dir = dirname(dir)) {
      expect(existsSync(join(dir, "node_modules")), `${dir}/node_modules exists`).toBe(false);
    }
    writeProjectManifest(project, "d365fo-install-check");
    const run = await npmInstall(
      project,
      [
        ...WORKSPACES.map((p) => tarballs.get(p.name)!),
        `typescript@${installedVersion("typescript")}`,
        `@types/node@${installedVersion("@types/node")}`,
      ],
      540_000,
    );
    process.stderr.write(`install e2e: npm install took ${run.seconds.toFixed(1)} s\n`);
    for (const { name } of WORKSPACES) {
      const location = join(project, "node_modules", name);
      expect(existsSync(join(location, "package.json")), `${name} was not installed\n${explain(run)}`).toBe(
        true,
      );
      // Copied from the tarball, not linked back into the repository.
      expect(lstatSync(location).isSymbolicLink(), `${name} is a symlink`).toBe(false);
    }
    expect(existsSync(join(project, "node_modules", ".bin", "d365fo")), "the d365fo bin is missing").toBe(
      true,
    );
    installed = true;
  }, 600_000);

  it("compiles a file using the library, its backend entry, the emulator and the PostgreSQL backend with tsc --strict", async () => {
    requireStep(installed, "install");
    writeFileSync(join(project, "check.ts"), CHECK_TS);
    const run = await runCommand(
      "npx",
      [
        "--no",
        "--",
        "tsc",
        "--strict",
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--target",
        "es2022",
        "--types",
        "node",
        "--outDir",
        "out",
        "check.ts",
      ],
      { cwd: project, env: userEnv(), timeoutMs: 120_000 },
    );
    // tsc still emits JavaScript on a type error, so the steps after this one run either way.
    compiled = existsSync(join(project, "out", "check.js"));
    // No skipLibCheck: the packages' own declaration files are compiled too. tsc reports on stdout.
    expect(run.code, explain(run)).toBe(0);
    expect(compiled).toBe(true);
  }, 150_000);

  it("runs it: the emulator starts and the library syncs and searches it", async () => {
    requireStep(compiled, "compile (no out/check.js)");
    const child = spawn(process.execPath, [join("out", "check.js")], {
      cwd: project,
      env: userEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    emulatorChild = child;
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      emulatorStderr += chunk;
    });
    const lines = createInterface({ input: child.stdout });
    const line = await new Promise<string>((resolveLine, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no JSON line in 60 s\n${tail(emulatorStderr)}`)),
        60_000,
      );
      child.once("close", (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(
            `node out/check.js exited ${code ?? signal} before its JSON line\n${tail(emulatorStderr)}`,
          ),
        );
      });
      lines.once("line", (first) => {
        clearTimeout(timer);
        resolveLine(first);
      });
    });
    info = JSON.parse(line) as CheckLine;
    expect(info.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(existsSync(info.caCertificatePath)).toBe(true);
    expect(info.librarySync).toBe("synced");
    expect(info.libraryHits).toContain(info.entityName);
    cliEnv = userEnv({
      D365FO_BASE_URL: info.baseUrl,
      D365FO_TENANT_ID: info.tenantId,
      D365FO_CLIENT_ID: info.clientId,
      D365FO_CLIENT_SECRET: info.clientSecret,
      D365FO_AUTHORITY_HOST: info.authorityHost,
      NODE_EXTRA_CA_CERTS: info.caCertificatePath,
      D365FO_CONFIG_DIR: join(project, "d365fo-config"),
      D365FO_CACHE_DIR: join(project, "d365fo-cache"),
    });
  }, 90_000);

  it("npx d365fo sync downloads the emulator's metadata", async () => {
    requireStep(info, "emulator");
    const run = await runCommand("npx", ["--no", "--", "d365fo", "sync", "--json"], {
      cwd: project,
      env: cliEnv,
      timeoutMs: 120_000,
    });
    expect(run.code, explain(run)).toBe(0);
    const result = JSON.parse(run.stdout) as { outcome: string; requests: number };
    expect(result.outcome).toBe("synced");
    expect(result.requests).toBeGreaterThan(3);
    expect(existsSync(join(project, "d365fo-cache"))).toBe(true);
  }, 150_000);

  it("npx d365fo search finds an entity of the tiny preset", async () => {
    requireStep(info, "emulator");
    const name = info!.entityName;
    const run = await runCommand("npx", ["--no", "--", "d365fo", "search", name, "--limit", "5", "--json"], {
      cwd: project,
      env: cliEnv,
      timeoutMs: 60_000,
    });
    expect(run.code, explain(run)).toBe(0);
    const page = JSON.parse(run.stdout) as { hits: { kind: string; name: string }[]; total: number };
    expect(page.hits.length).toBeGreaterThan(0);
    expect(page.hits.map((h) => h.name)).toContain(name);
    const human = await runCommand("npx", ["--no", "--", "d365fo", "search", name], {
      cwd: project,
      env: cliEnv,
      timeoutMs: 60_000,
    });
    expect(human.code, explain(human)).toBe(0);
    expect(human.stdout).toContain(name);
  }, 150_000);

  it("npx d365fo mcp (stdio) lists its tools and answers a search", async () => {
    requireStep(info, "emulator");
    const transport = new StdioClientTransport({
      command: "npx",
      args: ["--no", "--", "d365fo", "mcp"],
      cwd: project,
      env: cliEnv,
      stderr: "pipe",
    });
    let stderr = "";
    transport.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    const client = new Client({ name: "install-e2e", version: "1.0.0" });
    try {
      await client.connect(transport);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort(), tail(stderr)).toEqual([...MCP_TOOL_NAMES].sort());
      const result = await client.callTool({
        name: "search",
        arguments: { text: info!.entityName, limit: 5 },
      });
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
      const hits = (result.structuredContent as { hits: { name: string }[] }).hits;
      expect(hits.map((h) => h.name)).toContain(info!.entityName);
    } catch (error) {
      throw new Error(
        `${error instanceof Error ? error.message : String(error)}\n--- d365fo mcp stderr ---\n${tail(stderr)}`,
      );
    } finally {
      await client.close();
    }
  }, 120_000);
});
