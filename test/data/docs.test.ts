/**
 * docs/data.md's TypeScript examples compile: each ```ts block is type-checked (strict, the
 * project's compiler options) against the package root, `d365fo-client` mapped to src/index.ts.
 * A deliberately wrong canary in the same program shows the check can fail.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CANARY = 'import { connect } from "d365fo-client";\nawait connect({ baseUrl: 1 });\n';

it("every example of docs/data.md compiles against the package root", () => {
  const blocks = [...readFileSync(join(root, "docs/data.md"), "utf8").matchAll(/```ts\n([\s\S]*?)```/g)].map(
    (m) => m[1],
  );
  expect(blocks.length).toBeGreaterThanOrEqual(6);
  const dir = mkdtempSync(join(tmpdir(), "d365fo-docs-"));
  try {
    const files = blocks.map((code, i) => {
      const file = join(dir, `example-${i + 1}.mts`);
      writeFileSync(file, code);
      return file;
    });
    const canary = join(dir, "canary.mts");
    writeFileSync(canary, CANARY);
    const config = ts.readConfigFile(join(root, "tsconfig.json"), ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
    const program = ts.createProgram([...files, canary], {
      ...parsed.options,
      noEmit: true,
      paths: { "d365fo-client": [join(root, "packages/client/src/index.ts")] },
    });
    const diagnostics = ts.getPreEmitDiagnostics(program);
    const of = (file: string) => diagnostics.filter((d) => d.file && resolve(d.file.fileName) === file);
    // Only the examples' own diagnostics: the library is checked by `npm run typecheck`.
    const problems = files.flatMap((file) =>
      of(file).map((d) => {
        const at = d.start === undefined ? undefined : d.file?.getLineAndCharacterOfPosition(d.start);
        return `${file.split("/").pop()}:${(at?.line ?? 0) + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
      }),
    );
    expect(problems).toEqual([]);
    expect(of(canary).length).toBeGreaterThan(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);
