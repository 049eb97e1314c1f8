import { existsSync, readFileSync } from "node:fs";
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

describe("package entry points", () => {
  it("the library entry point never loads CLI-only packages or src/cli", () => {
    const { files, packages } = runtimeGraph(join(root, "src/index.ts"));
    expect(files.size).toBeGreaterThan(20);
    for (const name of CLI_ONLY_PACKAGES) expect(packages.has(name), name).toBe(false);
    expect([...files].filter((f) => f.includes(`${join(root, "src/cli")}`))).toEqual([]);
    // The walker does see these packages when they are imported (so the assertion above can fail).
    const cli = runtimeGraph(join(root, "src/cli/program.ts"));
    expect(cli.packages.has("commander")).toBe(true);
  });

  it("the built package root exports the specification's public names", async () => {
    const dist = join(root, "dist/index.js");
    expect(existsSync(dist), "dist/index.js is missing: run `npm run build` (npm test does)").toBe(true);
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

  it("the built emulator subpath exports startEmulator", async () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    const target = join(root, pkg.exports["./emulator"].import);
    const emulator = (await import(target)) as Record<string, unknown>;
    expect(typeof emulator.startEmulator).toBe("function");
    expect(typeof emulator.realisticKnobs).toBe("function");
  });
});
