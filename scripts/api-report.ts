/**
 * API reports: runs API Extractor for every `packages/<dir>/api-extractor*.json` (one config per
 * entry point) and compares the public surface of the built `.d.ts` with the checked-in report in
 * `packages/<dir>/etc/*.api.md`.
 *
 *   npm run api:check    (tsx scripts/api-report.ts)           fails when a report differs; prints the diff
 *   npm run api:update   (tsx scripts/api-report.ts --update)  rewrites the reports; commit them
 *
 * Both need the build (`npm run build`). The test `test/package/api-report.test.ts` calls
 * `runApiReports` directly, so it exercises the same code path as `api:check`.
 */
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  CompilerState,
  ConsoleMessageId,
  Extractor,
  ExtractorConfig,
  ExtractorLogLevel,
  type ExtractorMessage,
  ExtractorMessageCategory,
} from "@microsoft/api-extractor";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The TypeScript API Extractor runs on (already loaded by it), for reading compiler options as it does. */
const ts: typeof import("typescript") = createRequire(
  createRequire(import.meta.url).resolve("@microsoft/api-extractor"),
)("typescript");

/** Every API Extractor config in the workspace: `packages/<dir>/api-extractor.json` and `api-extractor.<entry>.json`. */
export function findApiExtractorConfigs(root: string = ROOT): string[] {
  const packagesDir = join(root, "packages");
  return readdirSync(packagesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) =>
      readdirSync(join(packagesDir, entry.name))
        .filter((name) => /^api-extractor(\.[\w-]+)?\.json$/.test(name))
        .sort((a, b) =>
          a === "api-extractor.json" ? -1 : b === "api-extractor.json" ? 1 : a.localeCompare(b),
        )
        .map((name) => join(packagesDir, entry.name, name)),
    );
}

export interface ApiReportOutcome {
  /** The config file (absolute path). */
  config: string;
  /** The checked-in report (absolute path), e.g. `packages/client/etc/d365fo-client.api.md`. */
  report: string;
  /** The report generated from the build (absolute path, in the package's `temp/`). */
  generated: string;
  /** The built entry point the report describes (absolute path to a `.d.ts`). */
  entryPoint: string;
  /** The generated report differs from the checked-in one (in update mode: the report was rewritten). */
  changed: boolean;
  succeeded: boolean;
  errorCount: number;
  warningCount: number;
  /** API Extractor's warnings and errors (compiler and analysis), one per line. */
  problems: string[];
  /** The unified diff between the checked-in and the generated report (check mode only, when changed). */
  diff?: string;
}

export interface ApiReportOptions {
  /** Rewrite the checked-in reports (API Extractor's local build) instead of comparing with them. */
  update?: boolean;
  /** The configs to run (default: every config in the workspace). */
  configs?: string[];
}

/** A message thrown when an entry point has not been built. */
export class MissingBuildError extends Error {
  override name = "MissingBuildError";
}

/** Loads a config; an entry point missing from `dist` is reported as "run npm run build first". */
export function loadApiExtractorConfig(configPath: string): ExtractorConfig {
  try {
    return ExtractorConfig.loadFileAndPrepare(configPath);
  } catch (error) {
    const missing = /"mainEntryPointFilePath" path does not exist: (.*)/.exec(
      String((error as Error).message),
    );
    if (!missing) throw error;
    throw new MissingBuildError(
      `${relative(ROOT, missing[1].trim())} does not exist (${relative(ROOT, configPath)}): ` +
        "run `npm run build` first.",
    );
  }
}

/** Options that only say where output goes; configs differing only in these can share a program. */
const OUTPUT_ONLY_OPTIONS = new Set([
  "configFilePath",
  "rootDir",
  "outDir",
  "declarationDir",
  "declaration",
  "declarationMap",
  "sourceMap",
  "inlineSourceMap",
  "noEmit",
  "emitDeclarationOnly",
  "tsBuildInfoFile",
  "incremental",
  "composite",
]);

/** The effective compiler options of a config (its tsconfig or `overrideTsconfig`), output locations left out. */
function programKey(config: ExtractorConfig): string {
  const raw = config.overrideTsconfig ?? ts.readConfigFile(config.tsconfigFilePath, ts.sys.readFile).config;
  const base = config.overrideTsconfig ? config.projectFolder : dirname(config.tsconfigFilePath);
  const { options } = ts.parseJsonConfigFileContent(raw, ts.sys, base);
  const kept = Object.entries(options).filter(([name]) => !OUTPUT_ONLY_OPTIONS.has(name));
  return JSON.stringify(kept.sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Runs API Extractor once per config. Configs with the same compiler options share one TypeScript
 * program. Throws `MissingBuildError` when a package has not been built.
 */
export function runApiReports(options: ApiReportOptions = {}): ApiReportOutcome[] {
  const update = options.update ?? false;
  const loaded = (options.configs ?? findApiExtractorConfigs()).map((path) => {
    const config = loadApiExtractorConfig(path);
    return { path, config, key: programKey(config) };
  });

  // Configs with the same compiler options share one TypeScript program holding all their entry
  // points (one program for the workspace today; building it is most of API Extractor's time).
  const compilerStates = new Map<string, CompilerState>();
  for (const { config, key } of loaded)
    if (!compilerStates.has(key))
      compilerStates.set(
        key,
        CompilerState.create(config, {
          additionalEntryPoints: loaded
            .filter((o) => o.key === key)
            .map((o) => o.config.mainEntryPointFilePath),
        }),
      );

  return loaded.map(({ path, config, key }) => {
    // No report variants are configured: one report per config.
    const { fileName } = config.reportConfigs[0];
    const problems: string[] = [];
    let diff: string | undefined;
    const result = Extractor.invoke(config, {
      localBuild: update,
      printApiReportDiff: !update,
      compilerState: compilerStates.get(key),
      messageCallback: (message: ExtractorMessage) => {
        message.handled = true;
        if (message.messageId === ConsoleMessageId.ApiReportDiff) {
          diff = message.text.replace(/^Changes to the API report:\s*/, "");
          return;
        }
        // The report's own changes are reported by this script (below), not as warnings.
        if (
          message.messageId === ConsoleMessageId.ApiReportNotCopied ||
          message.messageId === ConsoleMessageId.ApiReportCopied ||
          message.messageId === ConsoleMessageId.ApiReportCreated
        )
          return;
        if (message.logLevel === ExtractorLogLevel.Error || message.logLevel === ExtractorLogLevel.Warning)
          problems.push(
            `${message.logLevel}: ${message.category === ExtractorMessageCategory.Console ? message.text : message.formatMessageWithLocation(ROOT + "/")}`,
          );
      },
    });
    return {
      config: path,
      report: join(config.reportFolder, fileName),
      generated: join(config.reportTempFolder, fileName),
      entryPoint: config.mainEntryPointFilePath,
      changed: result.apiReportChanged,
      succeeded: result.succeeded,
      errorCount: result.errorCount,
      warningCount: result.warningCount,
      problems,
      diff,
    };
  });
}

/** The summary printed by the command line; `ok` is false when the check (or the update) failed. */
export function describeOutcomes(
  outcomes: ApiReportOutcome[],
  update: boolean,
): { ok: boolean; lines: string[] } {
  const lines: string[] = [];
  let ok = true;
  for (const outcome of outcomes) {
    const report = relative(ROOT, outcome.report);
    for (const problem of outcome.problems) lines.push(`${relative(ROOT, outcome.config)}: ${problem}`);
    if (update) {
      lines.push(outcome.changed ? `updated   ${report}` : `unchanged ${report}`);
      if (outcome.errorCount > 0) ok = false;
    } else if (outcome.changed) {
      ok = false;
      lines.push(
        `CHANGED   ${report}: the public API of ${relative(ROOT, outcome.entryPoint)} no longer matches its report.`,
      );
      if (outcome.diff) lines.push(outcome.diff.trimEnd());
      else
        lines.push(`          (no checked-in report yet; generated: ${relative(ROOT, outcome.generated)})`);
    } else {
      lines.push(`ok        ${report}`);
      if (!outcome.succeeded) ok = false;
    }
  }
  if (!ok && !update) {
    const changed = outcomes.filter((o) => o.changed).map((o) => relative(ROOT, o.report));
    lines.push(
      "",
      changed.length > 0
        ? `The public API changed: ${changed.join(", ")}. If the change is intended, run \`npm run api:update\` ` +
            "and commit the updated report(s) with it; otherwise undo the change to the exports."
        : "API Extractor reported warnings or errors (above); fix them, then run `npm run api:check` again.",
    );
  }
  if (!ok && update) lines.push("", "API Extractor reported errors (above); the reports may be incomplete.");
  return { ok, lines };
}

function main(argv: readonly string[]): number {
  const unknown = argv.filter((a) => a !== "--update");
  if (unknown.length > 0) {
    console.error(`Unknown argument(s): ${unknown.join(" ")}\nUsage: tsx scripts/api-report.ts [--update]`);
    return 2;
  }
  const update = argv.includes("--update");
  const started = Date.now();
  let outcomes: ApiReportOutcome[];
  try {
    outcomes = runApiReports({ update });
  } catch (error) {
    if (error instanceof MissingBuildError) {
      console.error(`api-report: ${error.message}`);
      return 1;
    }
    throw error;
  }
  const { ok, lines } = describeOutcomes(outcomes, update);
  const print = ok ? console.log : console.error;
  for (const line of lines) print(line);
  print(
    `api-report: ${outcomes.length} report(s) ${update ? "written" : "checked"} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
