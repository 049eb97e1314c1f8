/**
 * What validation needs to know about one entity set, in plain data: its properties, keys,
 * navigations, actions and the members of the enums its properties use. Built from the metadata
 * cache's views (see `resolve.ts`); pure code reads it.
 */
import type { EntityAction, EntityProperty, NavigationProperty } from "../metadata/models.js";
import type { FieldType } from "./values.js";

export interface EntitySchema {
  /** The entity set name (case-sensitive, as in URLs), e.g. `CustomersV3`. */
  entitySet: string;
  /** The public entity name, e.g. `CustomerV3`. */
  entityName: string;
  isReadOnly: boolean;
  properties: ReadonlyMap<string, EntityProperty>;
  /** Key fields in their declared order. */
  keys: readonly string[];
  navigations: ReadonlyMap<string, NavigationProperty>;
  actions: readonly EntityAction[];
  /** Member names of the enums the properties use, by enum name (without namespace). */
  enumMembers: ReadonlyMap<string, readonly string[]>;
  /** The member with value 0 of each of those enums: an enum's "not filled in" value. */
  enumEmptyMembers: ReadonlyMap<string, string>;
}

export function fieldTypeOf(schema: EntitySchema | undefined, name: string): FieldType | undefined {
  const property = schema?.properties.get(name);
  return property ? { dataType: property.dataType, typeName: property.typeName } : undefined;
}

/** Company-specific entities have `dataAreaId` as a key field (protocol §1.3). */
export function isCompanySpecific(schema: EntitySchema): boolean {
  return schema.keys.includes("dataAreaId");
}
