/**
 * What the generator reads (pure data, built from the cache's views) and the per-entity signature
 * the manifest keeps for `--check`: everything the generated types depend on, and nothing else.
 */
import type { EnumerationView, PublicEntityView } from "../cache/types.js";

/** Format of the generated files and manifest; a change here regenerates everything. */
export const CODEGEN_FORMAT = 1;

export interface CodegenProperty {
  name: string;
  /** The X++ data type: String, Int32, Int64, Real, Date, UtcDateTime, Time, Enum, Guid, … */
  dataType: string;
  /** The enumeration of an Enum property (without namespace). */
  enumName?: string;
  isKey: boolean;
  isMandatory: boolean;
  allowEdit: boolean;
  allowEditOnCreate: boolean;
  label: string | null;
}

export interface CodegenEntity {
  name: string;
  entitySet: string;
  label: string | null;
  isReadOnly: boolean;
  properties: CodegenProperty[];
  navigations: { name: string; relatedEntity: string; cardinality: string }[];
}

export interface CodegenEnum {
  name: string;
  label: string | null;
  members: { name: string; label: string | null }[];
}

/** What the header stamps. */
export interface CodegenStamp {
  environment: string;
  modulesHash: string;
  versionHash: string;
  language: string;
  generatorVersion: string;
}

export interface CodegenInput {
  stamp: CodegenStamp;
  entities: CodegenEntity[];
  enums: CodegenEnum[];
}

function enumNameOf(typeName: string): string {
  return typeName.slice(typeName.lastIndexOf(".") + 1);
}

export function entityFromView(view: PublicEntityView): CodegenEntity {
  return {
    name: view.name,
    entitySet: view.entitySetName,
    label: view.labelText,
    isReadOnly: view.isReadOnly,
    properties: view.properties.map((p) => ({
      name: p.name,
      dataType: p.dataType,
      ...(p.dataType === "Enum" ? { enumName: enumNameOf(p.typeName) } : {}),
      isKey: p.isKey,
      isMandatory: p.isMandatory,
      allowEdit: p.allowEdit,
      allowEditOnCreate: p.allowEditOnCreate,
      label: p.labelText,
    })),
    navigations: view.navigationProperties.map((n) => ({
      name: n.name,
      relatedEntity: n.relatedEntity,
      cardinality: n.cardinality,
    })),
  };
}

export function enumFromView(view: EnumerationView): CodegenEnum {
  return {
    name: view.name,
    label: view.labelText,
    members: view.members.map((m) => ({ name: m.name, label: m.labelText })),
  };
}

/** The enumerations the entities' properties use, sorted by name. */
export function enumNamesOf(entities: readonly CodegenEntity[]): string[] {
  const names = new Set<string>();
  for (const e of entities) for (const p of e.properties) if (p.enumName) names.add(p.enumName);
  return [...names].sort();
}

/** How a property appears in the create type. */
export type CreateUse = "required" | "optional" | "absent";

/** `dataAreaId` defaults to the caller's company; every other mandatory field editable on create is required. */
export function createUse(p: CodegenProperty): CreateUse {
  if (!(p.allowEditOnCreate || p.isKey)) return "absent";
  return p.isMandatory && p.allowEditOnCreate && p.name !== "dataAreaId" ? "required" : "optional";
}

export function inUpdate(p: CodegenProperty): boolean {
  return p.allowEdit;
}

/** A property as the manifest records it: what its generated types depend on. */
export interface PropertySignature {
  /** `String`, `Int64`, `Enum:CustAccountStatement`, … */
  type: string;
  key: boolean;
  mandatory: boolean;
  create: CreateUse;
  update: boolean;
}

export interface EntitySignature {
  entitySet: string;
  /** The generated file, relative to the output directory. */
  file: string;
  readOnly: boolean;
  /** By property name, in metadata order: `encodeProperty` strings, e.g. `String key mandatory create:required`. */
  properties: Record<string, string>;
  navigations: string[];
}

export function propertySignature(p: CodegenProperty): PropertySignature {
  return {
    type: p.enumName ? `Enum:${p.enumName}` : p.dataType,
    key: p.isKey,
    mandatory: p.isMandatory,
    create: createUse(p),
    update: inUpdate(p),
  };
}

export function entitySignature(entity: CodegenEntity, file: string): EntitySignature {
  return {
    entitySet: entity.entitySet,
    file,
    readOnly: entity.isReadOnly,
    properties: Object.fromEntries(
      entity.properties.map((p) => [p.name, encodeProperty(propertySignature(p))]),
    ),
    navigations: entity.navigations.map((n) => n.name),
  };
}

/** A property signature as one short string: its type, then the flags that hold. */
export function encodeProperty(p: PropertySignature): string {
  return [
    p.type,
    p.key ? "key" : "",
    p.mandatory ? "mandatory" : "",
    `create:${p.create}`,
    p.update ? "update" : "",
  ]
    .filter(Boolean)
    .join(" ");
}

export function decodeProperty(text: string): PropertySignature {
  const [type, ...flags] = text.split(" ");
  const create = flags.find((f) => f.startsWith("create:"))?.slice(7) as CreateUse | undefined;
  return {
    type: type ?? "",
    key: flags.includes("key"),
    mandatory: flags.includes("mandatory"),
    create: create ?? "absent",
    update: flags.includes("update"),
  };
}
