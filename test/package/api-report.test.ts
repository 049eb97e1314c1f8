/**
 * The API reports (`packages/<dir>/etc/*.api.md`, written by `npm run api:update`) are the record of
 * each entry point's public surface. These tests run the same code as `npm run api:check` against
 * the build (`npm test` builds first; alone, run `npm run build` before), and prove that the check
 * fails when the surface changes without its report.
 */
import { execFileSync } from "node:child_process";
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  describeOutcomes,
  findApiExtractorConfigs,
  loadApiExtractorConfig,
  ROOT,
  runApiReports,
} from "../../scripts/api-report.js";

const configs = findApiExtractorConfigs();
const entries = configs.map((config) => ({ config, entry: loadEntryPoint(config) }));

/** The built `.d.ts` a config reads; `undefined` (and a clear failure below) when it was not built. */
function loadEntryPoint(config: string): string | undefined {
  try {
    return loadApiExtractorConfig(config).mainEntryPointFilePath;
  } catch {
    return undefined;
  }
}

function requireBuild(): void {
  const missing = entries.filter((e) => e.entry === undefined).map((e) => relative(ROOT, e.config));
  if (missing.length > 0)
    throw new Error(
      `The build is missing for ${missing.join(", ")}: run \`npm run build\` before this test (npm test does).`,
    );
}

/** The names a report exports: `export class X`, `export type X`, `export { X }`, `export { X as Y }`. */
function reportedNames(reportText: string): Set<string> {
  const names = new Set<string>();
  for (const match of reportText.matchAll(
    /^export (?:declare )?(?:abstract )?(?:class|interface|type|function|const|let|var|enum|namespace) (\w+)/gm,
  ))
    names.add(match[1]);
  for (const match of reportText.matchAll(/^export \{([^}]*)\}/gm))
    for (const part of match[1].split(","))
      names.add(
        part
          .trim()
          .split(/\s+as\s+/)
          .pop() as string,
      );
  return names;
}

describe("API reports", () => {
  beforeAll(requireBuild);

  it("one config per typed entry point of every package", () => {
    expect(configs.length).toBeGreaterThanOrEqual(5);
    const covered = new Set(entries.map((e) => e.entry));
    const uncovered: string[] = [];
    for (const dir of readdirSync(join(ROOT, "packages"))) {
      const manifest = JSON.parse(readFileSync(join(ROOT, "packages", dir, "package.json"), "utf8"));
      for (const [subpath, target] of Object.entries<Record<string, string> | string>(
        manifest.exports ?? {},
      )) {
        if (typeof target !== "object" || !target.types) continue;
        const types = join(ROOT, "packages", dir, target.types);
        if (!covered.has(types)) uncovered.push(`${manifest.name} "${subpath}" (${relative(ROOT, types)})`);
      }
    }
    expect(uncovered, "entry points without an api-extractor config").toEqual([]);
  });

  it("the checked-in reports match the build (npm run api:check)", () => {
    const outcomes = runApiReports();
    const { ok, lines } = describeOutcomes(outcomes, false);
    expect(ok, lines.join("\n")).toBe(true);
    for (const outcome of outcomes) {
      expect(outcome.changed).toBe(false);
      expect(outcome.problems).toEqual([]);
    }
  });

  it("no public signature names a type its entry point does not export (no ae-forgotten-export)", () => {
    const forgotten: string[] = [];
    for (const { config } of entries) {
      const report = loadApiExtractorConfig(config).reportConfigs[0].fileName;
      const reportPath = join(dirname(config), "etc", report);
      for (const [, symbol] of readFileSync(reportPath, "utf8").matchAll(
        /\(ae-forgotten-export\) The symbol "([^"]+)"/g,
      )) {
        forgotten.push(`${symbol} (${relative(ROOT, reportPath)})`);
      }
    }
    // A user must be able to name every type they pass or receive; each entry point must say so.
    expect(forgotten).toEqual([]);
  });

  it("every name an entry point exports at run time is in its report", () => {
    const modules = entries.map((e) => (e.entry as string).replace(/\.d\.ts$/, ".js"));
    // A plain Node process imports the built JavaScript as a user's code would.
    const script = `const files = ${JSON.stringify(modules)};
      const out = {};
      for (const file of files) out[file] = Object.keys(await import(new URL("file://" + file).href));
      process.stdout.write(JSON.stringify(out));`;
    const keys: Record<string, string[]> = JSON.parse(
      execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8" }),
    );
    const unreported: string[] = [];
    for (const { config, entry } of entries) {
      const report = loadApiExtractorConfig(config).reportConfigs[0].fileName;
      const reportPath = join(dirname(config), "etc", report);
      const names = reportedNames(readFileSync(reportPath, "utf8"));
      const runtime = keys[(entry as string).replace(/\.d\.ts$/, ".js")];
      expect(runtime.length).toBeGreaterThan(0);
      for (const name of runtime)
        if (!names.has(name)) unreported.push(`${name} (${relative(ROOT, reportPath)})`);
    }
    expect(unreported, "exported at run time but not in the report").toEqual([]);
  });

  describe("the check fails when the surface changes without its report", () => {
    // A copy of @d365fo/postgres's config, built declarations and report, inside the repository so
    // that its `d365fo-client` imports resolve as they do for the real package.
    const source = join(ROOT, "packages/postgres");
    let fixture: string;
    let config: string;
    let report: string;
    let entry: string;

    beforeAll(() => {
      requireBuild();
      mkdirSync(join(ROOT, ".tmp"), { recursive: true });
      fixture = mkdtempSync(join(ROOT, ".tmp", "api-report-"));
      cpSync(join(source, "package.json"), join(fixture, "package.json"));
      cpSync(join(source, "etc"), join(fixture, "etc"), { recursive: true });
      cpSync(join(source, "dist"), join(fixture, "dist"), {
        recursive: true,
        filter: (path) => !path.endsWith(".js") && !path.endsWith(".map"),
      });
      const settings = JSON.parse(readFileSync(join(source, "api-extractor.json"), "utf8"));
      settings.compiler.overrideTsconfig.extends = join(ROOT, "tsconfig.base.json");
      config = join(fixture, "api-extractor.json");
      writeFileSync(config, JSON.stringify(settings, null, 2));
      report = join(fixture, "etc", "postgres.api.md");
      entry = join(fixture, "dist", "index.d.ts");
    });

    afterAll(() => {
      if (fixture) rmSync(fixture, { recursive: true, force: true });
    });

    it("passes on an unchanged copy, fails on an extra export, passes again after --update", () => {
      const [same] = runApiReports({ configs: [config] });
      expect(same.succeeded, same.problems.join("\n")).toBe(true);
      expect(same.changed).toBe(false);

      const before = readFileSync(report, "utf8");
      appendFileSync(entry, "\nexport declare function leakedHelper(): void;\n");
      const [changed] = runApiReports({ configs: [config] });
      expect(changed.succeeded).toBe(false);
      expect(changed.changed).toBe(true);
      expect(changed.report).toBe(report);
      expect(changed.diff).toContain("+export function leakedHelper(): void;");
      const message = describeOutcomes([changed], false);
      expect(message.ok).toBe(false);
      const text = message.lines.join("\n");
      expect(text).toContain("etc/postgres.api.md");
      expect(text).toContain("npm run api:update");
      expect(text).toContain("leakedHelper");
      expect(readFileSync(report, "utf8"), "check mode must not touch the report").toBe(before);

      const [updated] = runApiReports({ configs: [config], update: true });
      expect(updated.succeeded).toBe(true);
      expect(readFileSync(report, "utf8")).toContain("export function leakedHelper(): void;");
      const [after] = runApiReports({ configs: [config] });
      expect(after.succeeded).toBe(true);
      expect(after.changed).toBe(false);
    });

    it("fails when the report was edited by hand", () => {
      const text = readFileSync(report, "utf8");
      writeFileSync(report, text.replace(/^export function openPostgresStore.*$/m, ""));
      const [outcome] = runApiReports({ configs: [config] });
      expect(outcome.succeeded).toBe(false);
      expect(outcome.changed).toBe(true);
      expect(outcome.diff).toContain("+export function openPostgresStore");
    });
  });
});
