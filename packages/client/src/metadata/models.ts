/**
 * The library's own metadata models (camelCase), parsed from the wire shapes of `wire.ts`.
 * Every layer above HTTP (store, sync, search, cache, CLI) speaks these types.
 */

export type EntityCategory =
  | "Master"
  | "Transaction"
  | "Reference"
  | "Document"
  | "Parameters"
  | "Configuration";

export const ODATA_XPP_TYPES = [
  "String",
  "Int32",
  "Int64",
  "Real",
  "Date",
  "UtcDateTime",
  "Time",
  "Enum",
  "Guid",
  "Container",
  "Record",
  "Void",
] as const;
export type ODataXppType = (typeof ODATA_XPP_TYPES)[number];

export interface DataEntity {
  name: string;
  publicEntityName: string | null;
  publicCollectionName: string | null;
  labelId: string | null;
  dataServiceEnabled: boolean;
  dataManagementEnabled: boolean;
  /** Usually an `EntityCategory`; kept as a string so an unknown future category still parses. */
  entityCategory: string | null;
  isReadOnly: boolean;
}

export interface EntityProperty {
  name: string;
  typeName: string;
  /** Usually an `ODataXppType`; kept as a string for forward compatibility. */
  dataType: string;
  labelId: string | null;
  isKey: boolean;
  isMandatory: boolean;
  configurationEnabled: boolean;
  allowEdit: boolean;
  allowEditOnCreate: boolean;
  isDimension: boolean;
  dimensionRelation: string | null;
  isDynamicDimension: boolean;
  dimensionLegalEntityProperty: string | null;
  dimensionTypeProperty: string | null;
}

export type RelationConstraint =
  | { kind: "Referential"; property: string; referencedProperty: string }
  | { kind: "Fixed"; property: string; value: number | null; valueStr: string | null }
  | { kind: "RelatedFixed"; relatedProperty: string; value: number | null; valueStr: string | null };

export interface NavigationProperty {
  name: string;
  relatedEntity: string;
  relatedRelationName: string | null;
  cardinality: "Single" | "Multiple" | string;
  constraints: RelationConstraint[];
}

export interface PropertyGroup {
  name: string;
  properties: string[];
}

export interface ActionTypeRef {
  typeName: string;
  isCollection: boolean;
}

export interface ActionParameter {
  name: string;
  type: ActionTypeRef;
}

export type ActionBindingKind = "BoundToEntityInstance" | "BoundToEntitySet" | "Unbound";

export interface EntityAction {
  name: string;
  bindingKind: ActionBindingKind | string;
  fieldLookup: string | null;
  parameters: ActionParameter[];
  returnType: ActionTypeRef | null;
}

export interface PublicEntity {
  name: string;
  entitySetName: string;
  labelId: string | null;
  isReadOnly: boolean;
  configurationEnabled: boolean;
  properties: EntityProperty[];
  navigationProperties: NavigationProperty[];
  propertyGroups: PropertyGroup[];
  actions: EntityAction[];
}

export interface EnumerationMember {
  name: string;
  value: number;
  labelId: string | null;
  configurationEnabled: boolean;
}

export interface Enumeration {
  name: string;
  labelId: string | null;
  members: EnumerationMember[];
}

export interface Label {
  id: string;
  language: string;
  value: string;
}
