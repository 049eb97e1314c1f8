/**
 * The pure parts of code generation: identifiers (the enum/entity name clash), the create and
 * update rules, JSDoc escaping, determinism, the drift diff, and a synthetic clash compiled.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { jsDoc } from "../../packages/client/src/codegen/emit.js";
import { diffManifests } from "../../packages/client/src/codegen/manifest.js";
import type {
  CodegenEntity,
  CodegenEnum,
  CodegenInput,
  CodegenProperty,
} from "../../packages/client/src/codegen/model.js";
import { createUse } from "../../packages/client/src/codegen/model.js";
import { allocateNames, identifier } from "../../packages/client/src/codegen/names.js";
import { renderCode } from "../../packages/client/src/codegen/render.js";
import { writeGeneratedCode } from "../../packages/client/src/index.js";
import { compile, generatedDir, ROOT } from "./_support.js";

const prop = (name: string, dataType: string, extra: Partial<CodegenProperty> = {}): CodegenProperty => ({
  name,
  dataType,
  isKey: false,
  isMandatory: false,
  allowEdit: true,
  allowEditOnCreate: true,
  label: null,
  ...extra,
});

const taxDirectionEntity: CodegenEntity = {
  name: "TaxDirection",
  entitySet: "TaxDirections",
  label: "Tax direction */ sneaky",
  isReadOnly: false,
  properties: [
    prop("dataAreaId", "String", { isKey: true, isMandatory: true, allowEdit: false }),
    prop("Code", "String", { isKey: true, isMandatory: true, allowEdit: false, label: "Code" }),
    prop("Direction", "Enum", { enumName: "TaxDirection", isMandatory: true }),
    prop("Amount", "Real"),
    prop("RecId", "Int64", { allowEdit: false, allowEditOnCreate: false }),
    prop("Posted", "Date", { allowEdit: false }),
    prop("Id", "Guid"),
    prop("At", "Time"),
  ],
  navigations: [{ name: "Lines", relatedEntity: "TaxLine", cardinality: "Multiple" }],
};
const taxDirectionEnum: CodegenEnum = {
  name: "TaxDirection",
  label: "Tax direction",
  members: [
    { name: "IncomingTax", label: "Sales tax payable" },
    { name: "OutgoingTax", label: null },
  ],
};
const input = (entities: CodegenEntity[], enums: CodegenEnum[]): CodegenInput => ({
  stamp: {
    environment: "https://x",
    modulesHash: "a".repeat(64),
    versionHash: "a".repeat(16),
    language: "en-US",
    generatorVersion: "0.1.0",
  },
  entities,
  enums,
});

const dirs: ReturnType<typeof generatedDir>[] = [];
afterAll(() => {
  for (const d of dirs) d.remove();
});

describe("identifiers", () => {
  it("gives an entity and an enumeration of the same name distinct identifiers", () => {
    const names = allocateNames([taxDirectionEntity], [taxDirectionEnum]);
    expect(names.entities.get("TaxDirection")?.read).toBe("TaxDirection");
    expect(names.entities.get("TaxDirection")?.descriptor).toBe("TaxDirections");
    expect(names.enums.get("TaxDirection")).toEqual({
      type: "TaxDirectionEnum",
      schema: "TaxDirectionEnumSchema",
    });
  });

  it("makes any name a valid identifier and keeps clear of reserved words", () => {
    expect(identifier("3Way-Match")).toBe("_3Way_Match");
    expect(identifier("Record")).toBe("Record_");
    expect(identifier("z")).toBe("z_");
    const names = allocateNames(
      [
        { ...taxDirectionEntity, name: "Foo", entitySet: "Foo" },
        { ...taxDirectionEntity, name: "FooKey", entitySet: "FooKeys" },
      ],
      [{ ...taxDirectionEnum, name: "FooCreate" }],
    );
    expect(names.entities.get("FooKey")?.read).toBe("FooKeyEntity");
    expect(names.enums.get("FooCreate")?.type).toBe("FooCreateEnum");
  });
});

describe("rules", () => {
  it("create: mandatory and editable on create is required; dataAreaId defaults; not editable is absent", () => {
    expect(createUse(prop("Name", "String", { isMandatory: true }))).toBe("required");
    expect(createUse(prop("dataAreaId", "String", { isMandatory: true, isKey: true }))).toBe("optional");
    expect(createUse(prop("Balance", "Real", { isMandatory: true, allowEditOnCreate: false }))).toBe(
      "absent",
    );
    expect(createUse(prop("Note", "String"))).toBe("optional");
  });

  it("JSDoc cannot be ended by a label text", () => {
    expect(jsDoc(["a */ b"])).toBe("/** a *\\/ b */\n");
    expect(jsDoc([null, ""])).toBe("");
  });
});

describe("rendering", () => {
  it("is byte-identical whatever the input order", () => {
    const other: CodegenEntity = { ...taxDirectionEntity, name: "Other", entitySet: "Others" };
    const a = renderCode(input([taxDirectionEntity, other], [taxDirectionEnum]));
    const b = renderCode(input([other, taxDirectionEntity], [taxDirectionEnum]));
    expect(b.files).toEqual(a.files);
    expect(a.files.map((f) => f.path)).toEqual([
      "Other.ts",
      "TaxDirection.ts",
      "enums.ts",
      "common.ts",
      "index.ts",
      "d365fo-codegen.json",
    ]);
  });

  it("compiles the clash with tsc --strict and validates payloads", async () => {
    const dir = generatedDir("pure");
    dirs.push(dir);
    const code = renderCode(
      input([taxDirectionEntity], [taxDirectionEnum]),
      join(ROOT, "packages/client/src/codegen/descriptor.js"),
    );
    await writeGeneratedCode(dir.path, code);
    expect(compile([join(dir.path, "index.ts")])).toEqual([]);
    // biome-ignore lint/suspicious/noExplicitAny: known at run time only
    const m: Record<string, any> = await import(join(dir.path, "index.ts"));
    const ok = {
      Code: "C1",
      Direction: "IncomingTax",
      Posted: "2026-03-01",
      Id: "0f8fad5b-d9cb-469f-a165-70867728950e",
      At: 3600,
    };
    expect(m.TaxDirectionCreateSchema.safeParse(ok).success).toBe(true);
    expect(m.TaxDirectionCreateSchema.safeParse({ ...ok, Direction: "Sideways" }).success).toBe(false);
    expect(m.TaxDirectionCreateSchema.safeParse({ ...ok, RecId: 5 }).success).toBe(false);
    expect(m.TaxDirectionCreateSchema.safeParse({ ...ok, Code: "" }).success).toBe(false);
    expect(m.TaxDirectionCreateSchema.safeParse({ ...ok, Posted: "1 March" }).success).toBe(false);
    expect(m.TaxDirectionCreateSchema.safeParse({ ...ok, At: 90_000 }).success).toBe(false);
    expect(m.TaxDirectionUpdateSchema.safeParse({ Posted: "2026-03-01" }).success).toBe(false);
    expect(m.TaxDirectionUpdateSchema.safeParse({ Amount: 1.5 }).success).toBe(true);
    expect(m.TaxDirectionSchema.safeParse({ dataAreaId: "usmf1", Code: "x" }).success).toBe(false);
  }, 60_000);
});

describe("drift", () => {
  const manifest = (entity: CodegenEntity, enums = [taxDirectionEnum]) =>
    renderCode(input([entity], enums)).manifest;
  const before = manifest(taxDirectionEntity);
  const changed = (properties: CodegenProperty[], extra: Partial<CodegenEntity> = {}) =>
    diffManifests(before, manifest({ ...taxDirectionEntity, properties, ...extra }));
  const props = taxDirectionEntity.properties;

  it("is empty for the same metadata", () => {
    expect(diffManifests(before, manifest(taxDirectionEntity))).toEqual([]);
  });

  it("names the property added, removed, retyped, and the type that changed", () => {
    const changes = changed([...props.filter((p) => p.name !== "Amount"), prop("Note", "String")]);
    expect(changes.map((c) => [c.kind, c.property])).toEqual([
      ["propertyAdded", "Note"],
      ["propertyRemoved", "Amount"],
    ]);
    expect(changes[0].types).toEqual(["TaxDirection", "TaxDirectionCreate", "TaxDirectionUpdate"]);
    const retyped = changed(props.map((p) => (p.name === "RecId" ? { ...p, dataType: "String" } : p)));
    expect(retyped).toMatchObject([{ kind: "typeChanged", property: "RecId", from: "Int64", to: "String" }]);
  });

  it("says when a field became mandatory, or no longer editable", () => {
    const mandatory = changed(props.map((p) => (p.name === "Amount" ? { ...p, isMandatory: true } : p)));
    expect(mandatory).toMatchObject([
      {
        kind: "becameMandatory",
        property: "Amount",
        types: ["TaxDirectionCreate"],
        message: "TaxDirectionCreate: Amount became mandatory",
      },
    ]);
    const frozen = changed(props.map((p) => (p.name === "Amount" ? { ...p, allowEdit: false } : p)));
    expect(frozen).toMatchObject([{ kind: "updateChanged", types: ["TaxDirectionUpdate"] }]);
  });

  it("reports removed entities, navigations and enum members", () => {
    const gone = diffManifests(before, { ...before, entities: {} });
    expect(gone).toMatchObject([{ kind: "entityRemoved", owner: "TaxDirection" }]);
    const enumChanged = diffManifests(
      before,
      manifest({ ...taxDirectionEntity, navigations: [] }, [
        { ...taxDirectionEnum, members: [...taxDirectionEnum.members, { name: "UseTax", label: null }] },
      ]),
    );
    expect(enumChanged.map((c) => c.message)).toEqual([
      "TaxDirectionNavigation: Lines removed",
      "TaxDirectionEnum: members added UseTax",
    ]);
  });
});
