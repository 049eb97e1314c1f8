/**
 * docs/codegen.md's TypeScript examples compile (strict, `d365fo-client` mapped to src/index.ts)
 * next to code generated for a small `CustomerV3` (what `./generated/index.js` names); a wrong
 * canary shows the check can fail.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import type { CodegenProperty } from "../../packages/client/src/codegen/model.js";
import { renderCode } from "../../packages/client/src/codegen/render.js";
import { writeGeneratedCode } from "../../packages/client/src/index.js";
import { compile, generatedDir, ROOT } from "./_support.js";

const dir = generatedDir("docs");
afterAll(() => dir.remove());

const prop = (name: string, dataType: string, extra: Partial<CodegenProperty> = {}): CodegenProperty => ({
  name,
  dataType,
  isKey: false,
  isMandatory: false,
  allowEdit: true,
  allowEditOnCreate: true,
  label: name,
  ...extra,
});

it("every example of docs/codegen.md compiles against generated code", async () => {
  const code = renderCode({
    stamp: {
      environment: "https://x",
      modulesHash: "0".repeat(64),
      versionHash: "0".repeat(16),
      language: "en-US",
      generatorVersion: "0.1.0",
    },
    entities: [
      {
        name: "CustomerV3",
        entitySet: "CustomersV3",
        label: "Customers",
        isReadOnly: false,
        properties: [
          prop("dataAreaId", "String", { isKey: true, isMandatory: true, allowEdit: false }),
          prop("CustomerAccount", "String", { isKey: true, isMandatory: true, allowEdit: false }),
          prop("Name", "String", { isMandatory: true }),
          prop("CreditLimit", "Real"),
          prop("CustomerGroupId", "String"),
        ],
        navigations: [],
      },
    ],
    enums: [],
  });
  await writeGeneratedCode(join(dir.path, "generated"), code);
  const blocks = [
    ...readFileSync(join(ROOT, "docs/codegen.md"), "utf8").matchAll(/```ts\n([\s\S]*?)```/g),
  ].map((m) => m[1]);
  expect(blocks.length).toBeGreaterThanOrEqual(2);
  mkdirSync(dir.path, { recursive: true });
  const files = blocks.map((text, i) => {
    const file = join(dir.path, `example-${i + 1}.ts`);
    writeFileSync(file, text);
    return file;
  });
  const canary = join(dir.path, "canary.ts");
  writeFileSync(
    canary,
    'import { connect } from "d365fo-client";\nimport { CustomersV3 } from "./generated/index.js";\nconst d365 = await connect({ baseUrl: "x" });\nawait d365.create(CustomersV3, { Name: "no account" });\n',
  );
  const diagnostics = compile([...files, canary]);
  expect(diagnostics.filter((d) => !d.includes("canary.ts"))).toEqual([]);
  expect(diagnostics.some((d) => d.includes("canary.ts"))).toBe(true);
}, 60_000);
