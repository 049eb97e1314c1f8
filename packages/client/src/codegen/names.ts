/**
 * Identifiers of the generated code. Every name is exported from one index, so types and values
 * are each unique across the whole output; entity and enumeration names that clash (the real
 * service has enums named like entities) get distinct identifiers: the entity keeps its name, the
 * enumeration takes an `Enum` suffix, any further clash a number.
 */
import type { CodegenEntity, CodegenEnum } from "./model.js";

/** Words that cannot name a type or a const, and names the generated code itself uses. */
const RESERVED = new Set(
  (
    "break case catch class const continue debugger default delete do else enum export extends false finally " +
    "for function if import in instanceof new null return super switch this throw true try typeof var void " +
    "while with yield let static implements interface package private protected public await as async from " +
    "of type any unknown never object string number boolean bigint symbol undefined z Array Date Error " +
    "Function Map Object Partial Pick Promise Readonly Record Set String Number Boolean Symbol EntityDescriptor"
  ).split(" "),
);

/** A valid TypeScript identifier from a metadata name (invalid characters become `_`). */
export function identifier(name: string): string {
  let id = name.replace(/[^A-Za-z0-9_]/g, "_");
  if (id === "" || /^[0-9]/.test(id)) id = `_${id}`;
  return RESERVED.has(id) ? `${id}_` : id;
}

/** A property name as an object key: bare when it is an identifier, quoted otherwise. */
export function propertyKey(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
}

export interface EntityNames {
  read: string;
  key: string;
  create: string;
  update: string;
  navigation: string;
  schema: string;
  createSchema: string;
  updateSchema: string;
  /** The descriptor const (named after the entity set). */
  descriptor: string;
  /** The file, without extension. */
  file: string;
}

export interface EnumNames {
  /** The union type of member names. */
  type: string;
  /** The zod schema. */
  schema: string;
}

export interface Names {
  entities: Map<string, EntityNames>;
  enums: Map<string, EnumNames>;
}

const ENTITY_TYPES = ["", "Key", "Create", "Update", "Navigation"] as const;
const ENTITY_VALUES = ["Schema", "CreateSchema", "UpdateSchema"] as const;

/** Allocates every identifier (deterministic: entities by name, then enumerations by name). */
export function allocateNames(entities: readonly CodegenEntity[], enums: readonly CodegenEnum[]): Names {
  const types = new Set<string>();
  const values = new Set<string>();
  const files = new Set<string>(["index", "enums", "common"]);
  const free = (typeNames: string[], valueNames: string[]) =>
    typeNames.every((n) => !types.has(n) && !RESERVED.has(n)) &&
    valueNames.every((n) => !values.has(n) && !RESERVED.has(n));
  const take = (typeNames: string[], valueNames: string[]) => {
    for (const n of typeNames) types.add(n);
    for (const n of valueNames) values.add(n);
  };
  const pick = (base: string, suffix: string, fits: (candidate: string) => boolean): string => {
    if (fits(base)) return base;
    if (suffix && fits(`${base}${suffix}`)) return `${base}${suffix}`;
    for (let i = 2; ; i++) if (fits(`${base}${suffix}${i}`)) return `${base}${suffix}${i}`;
  };

  const entityNames = new Map<string, EntityNames>();
  for (const entity of [...entities].sort((a, b) => compare(a.name, b.name))) {
    const base = pick(identifier(entity.name), "Entity", (c) =>
      free(
        ENTITY_TYPES.map((s) => c + s),
        ENTITY_VALUES.map((s) => c + s),
      ),
    );
    take(
      ENTITY_TYPES.map((s) => base + s),
      ENTITY_VALUES.map((s) => base + s),
    );
    const descriptor = pick(identifier(entity.entitySet), "Set", (c) => free([], [c]));
    take([], [descriptor]);
    const file = pick(base, "", (c) => !files.has(c.toLowerCase()));
    files.add(file.toLowerCase());
    entityNames.set(entity.name, {
      read: base,
      key: `${base}Key`,
      create: `${base}Create`,
      update: `${base}Update`,
      navigation: `${base}Navigation`,
      schema: `${base}Schema`,
      createSchema: `${base}CreateSchema`,
      updateSchema: `${base}UpdateSchema`,
      descriptor,
      file,
    });
  }
  const enumNames = new Map<string, EnumNames>();
  for (const enumeration of [...enums].sort((a, b) => compare(a.name, b.name))) {
    const base = pick(identifier(enumeration.name), "Enum", (c) => free([c], [`${c}Schema`]));
    take([base], [`${base}Schema`]);
    enumNames.set(enumeration.name, { type: base, schema: `${base}Schema` });
  }
  return { entities: entityNames, enums: enumNames };
}

/** Ordinal comparison (locale-independent, so output is byte-identical everywhere). */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
