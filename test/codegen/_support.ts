/** Shared by the codegen tests: a generated directory under .tmp/ and the TypeScript compiler on it. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** A directory inside the repository (so `zod` resolves), ignored by git, biome and tsc -p. */
export function generatedDir(prefix: string): { path: string; remove: () => void } {
  mkdirSync(join(ROOT, ".tmp"), { recursive: true });
  const path = mkdtempSync(join(ROOT, ".tmp", `codegen-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Type-checks `files` with `--strict` (and the repository's module settings); `d365fo-client`
 * is mapped to src/index.ts. Returns the diagnostics as text (empty: it compiles).
 */
export function compile(files: readonly string[]): string[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2023.d.ts"],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ["node"],
    isolatedModules: true,
    verbatimModuleSyntax: true,
    baseUrl: ROOT,
    paths: { "d365fo-client": ["packages/client/src/index.ts"] },
  };
  const program = ts.createProgram({ rootNames: [...files], options });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file
      ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
      : "";
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
}

export function writeText(path: string, text: string): string {
  writeFileSync(path, text);
  return path;
}
