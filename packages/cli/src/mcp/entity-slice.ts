/**
 * A public entity as a model needs it: keys, mandatory fields, what is editable on create and on
 * update, types (enum types with their members), navigation targets and actions — a few hundred
 * tokens for a typical entity. Pure: the view and its enumerations in, the slice out.
 */
import type { EnumerationView, PublicEntityView } from "d365fo-client";

export interface CompactEntity {
  name: string;
  entitySetName: string;
  label: string | null;
  isReadOnly: boolean;
  keys: string[];
  mandatory: string[];
  /** Fields that can be set on create but not changed afterwards. */
  createOnly: string[];
  /** Fields that cannot be set at all. */
  readOnlyFields: string[];
  /** Every field: name → type (`Enum:<Name>` for enumerations). */
  fields: Record<string, string>;
  enums: Record<string, string[]>;
  navigations: { name: string; target: string; cardinality: string }[];
  actions: { name: string; binding: string; parameters: string[]; returns: string | null }[];
}

const ENUM_PREFIX = "Microsoft.Dynamics.DataEntities.";

/** The enumeration a property's type names, if any. */
export function enumTypeOf(typeName: string, dataType: string): string | undefined {
  if (dataType !== "Enum") return undefined;
  return typeName.startsWith(ENUM_PREFIX) ? typeName.slice(ENUM_PREFIX.length) : typeName;
}

export function compactEntity(
  entity: PublicEntityView,
  enums: ReadonlyMap<string, EnumerationView>,
): CompactEntity {
  const fields: Record<string, string> = {};
  const usedEnums: Record<string, string[]> = {};
  for (const p of entity.properties) {
    const enumName = enumTypeOf(p.typeName, p.dataType);
    fields[p.name] = enumName ? `Enum:${enumName}` : p.dataType;
    const view = enumName ? enums.get(enumName) : undefined;
    if (enumName && view) usedEnums[enumName] = view.members.map((m) => m.name);
  }
  return {
    name: entity.name,
    entitySetName: entity.entitySetName,
    label: entity.labelText,
    isReadOnly: entity.isReadOnly,
    keys: entity.properties.filter((p) => p.isKey).map((p) => p.name),
    mandatory: entity.properties.filter((p) => p.isMandatory).map((p) => p.name),
    createOnly: entity.properties.filter((p) => p.allowEditOnCreate && !p.allowEdit).map((p) => p.name),
    readOnlyFields: entity.properties.filter((p) => !p.allowEditOnCreate && !p.allowEdit).map((p) => p.name),
    fields,
    enums: usedEnums,
    navigations: entity.navigationProperties.map((n) => ({
      name: n.name,
      target: n.relatedEntity,
      cardinality: n.cardinality,
    })),
    actions: entity.actions.map((a) => ({
      name: a.name,
      binding: a.bindingKind,
      parameters: a.parameters.map(
        (p) => `${p.name}: ${p.type.isCollection ? `${p.type.typeName}[]` : p.type.typeName}`,
      ),
      returns: a.returnType ? a.returnType.typeName + (a.returnType.isCollection ? "[]" : "") : null,
    })),
  };
}
