/**
 * Code generation end to end: the `medium` emulator synced into a cache, code generated for a
 * sample of entities (the largest, composite keys, enum properties, the enum/entity name clash),
 * compiled with `tsc --strict`, its zod schemas run on the emulator's rows, and its descriptors
 * used with the data client (typed reads; a create violating the schema refused before sending).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listPublicEntities } from "../../packages/client/src/codegen/generate.js";
import {
  DataValidationError,
  generateCode,
  type Row,
  writeGeneratedCode,
} from "../../packages/client/src/index.js";
import { collect, type DataEnvironment, startDataEnvironment, validRow } from "../data/_env.js";
import { compile, generatedDir, writeText } from "./_support.js";

let t: DataEnvironment;
let dir: ReturnType<typeof generatedDir>;
let sample: string[];
let largest: string;
let clashing: string | undefined;
// biome-ignore lint/suspicious/noExplicitAny: the generated module is only known at run time
let generated: Record<string, any>;

beforeAll(async () => {
  t = await startDataEnvironment({ emulator: { preset: "medium" }, data: { rowsPerEntity: 20 } });
  dir = generatedDir("e2e");
  const cache = t.d365.cache;
  const views = [];
  for (const name of await listPublicEntities(cache)) views.push((await cache.getPublicEntity(name))!);
  const bySize = [...views].sort((a, b) => b.properties.length - a.properties.length);
  largest = bySize[0].name;
  const composite = views.filter((v) => v.properties.filter((p) => p.isKey).length >= 3).slice(0, 2);
  const withEnums = views
    .filter((v) => !v.isReadOnly && v.properties.filter((p) => p.dataType === "Enum").length >= 3)
    .slice(0, 3);
  clashing = views.find((v) => v.properties.some((p) => p.typeName.endsWith(".TaxDirection")))?.name;
  sample = [
    ...new Set([
      "CustomerV3",
      "CustomerGroup",
      "TaxDirection",
      largest,
      ...composite.map((v) => v.name),
      ...withEnums.map((v) => v.name),
      ...(clashing ? [clashing] : []),
      ...bySize.slice(40, 45).map((v) => v.name),
    ]),
  ];
  const code = await generateCode(cache, { entities: sample });
  await writeGeneratedCode(dir.path, code);
  generated = await import(join(dir.path, "index.ts"));
}, 120_000);

afterAll(async () => {
  await t?.close();
  dir?.remove();
});

describe("generated code", () => {
  it("covers the sample: the largest entity, composite keys, enums, the enum/entity clash", () => {
    expect(sample.length).toBeGreaterThanOrEqual(12);
    expect(generated[`${largest}Schema`]).toBeDefined();
    // TaxDirection is an entity and an enumeration: both exist under distinct names.
    expect(generated.TaxDirectionSchema).toBeDefined();
    if (clashing) expect(generated.TaxDirectionEnumSchema.options).toContain("IncomingTax");
    expect(generated.CustomersV3.keys).toEqual(["dataAreaId", "CustomerAccount"]);
  });

  it("is deterministic: the same metadata gives byte-identical files", async () => {
    const a = await generateCode(t.d365.cache, { entities: sample });
    const b = await generateCode(t.d365.cache, { entities: [...sample].reverse() });
    expect(b.files).toEqual(a.files);
  });

  it("compiles with tsc --strict, typed reads and writes included", () => {
    const usage = writeText(
      join(dir.path, "usage.ts"),
      `import { connect, type DataValidationError } from "d365fo-client";
import { type CustomerV3, type CustomerV3Create, CustomersV3, CustomerV3Schema } from "./index.js";

export async function typed(): Promise<DataValidationError | undefined> {
  const d365 = await connect({ baseUrl: "http://127.0.0.1:1" });
  for await (const row of d365.query(CustomersV3, { select: ["CustomerAccount", "Name"], top: 1 })) {
    const account: string = row.CustomerAccount;
    // @ts-expect-error: not selected
    row.CreditLimit;
    void account;
  }
  const one: CustomerV3 | undefined = await d365.get(CustomersV3, { dataAreaId: "usmf", CustomerAccount: "C-1" });
  // @ts-expect-error: a key field is missing
  await d365.get(CustomersV3, { CustomerAccount: "C-1" });
  const body = {} as CustomerV3Create;
  const created: CustomerV3 = await d365.create(CustomersV3, body);
  // @ts-expect-error: the create type requires the mandatory fields
  await d365.create(CustomersV3, { Name: "x" });
  // @ts-expect-error: no such property
  await d365.update(CustomersV3, { dataAreaId: "usmf", CustomerAccount: "C-1" }, { Nmae: "x" });
  // String calls are untyped, as before.
  const loose = await d365.get("CustomersV3", "x");
  CustomerV3Schema.parse(one ?? created ?? loose);
  return undefined;
}
`,
    );
    const diagnostics = compile([join(dir.path, "index.ts"), usage]);
    expect(diagnostics).toEqual([]);
  }, 60_000);

  it("its read schemas accept the emulator's rows", async () => {
    for (const name of sample) {
      const descriptor = Object.values(generated).find((v) => v?.entityName === name);
      expect(descriptor, name).toBeDefined();
      const rows = await collect(t.d365.query(descriptor, { crossCompany: true, top: 20 }));
      for (const row of rows) {
        const result = descriptor.schema.safeParse(row);
        expect(result.success, `${name}: ${JSON.stringify(result.error?.issues?.slice(0, 3))}`).toBe(true);
      }
    }
  });

  it("types and checks writes through the data client; a bad create is refused before sending", async () => {
    const body = await validRow(t.d365, "CustomerV3", "CG-0001");
    expect(generated.CustomerV3CreateSchema.safeParse(body).success).toBe(true);
    const created = (await t.d365.create(generated.CustomersV3, body)) as Row;
    expect(created.CustomerAccount).toBe("CG-0001");
    const key = { dataAreaId: created.dataAreaId, CustomerAccount: "CG-0001" };
    expect(((await t.d365.get(generated.CustomersV3, key)) as Row | undefined)?.CustomerAccount).toBe(
      "CG-0001",
    );

    const env = t.emulator.environments[0];
    env.resetCounters();
    const wrong = { ...body, CustomerAccount: "CG-0002", CreditLimit: "a lot" };
    const error = await t.d365.create(generated.CustomersV3, wrong).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataValidationError);
    expect((error as DataValidationError).problems.map((p) => p.name)).toContain("CreditLimit");
    const missing = { ...body, CustomerAccount: "" };
    await expect(t.d365.create(generated.CustomersV3, missing)).rejects.toThrow(/generated create schema/);
    // A field that cannot be changed after create is refused by the update schema.
    const fixed = Object.keys(generated.CustomerV3Schema.shape).find(
      (k) => !(k in generated.CustomerV3UpdateSchema.shape),
    );
    await expect(
      t.d365.update(generated.CustomersV3, key, { [fixed as string]: "x" }),
    ).rejects.toBeInstanceOf(DataValidationError);
    expect(env.counters().requests).toBe(0);
    await t.d365.delete(generated.CustomersV3, key);
  });
});
