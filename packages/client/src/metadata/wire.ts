/**
 * JSON shapes of the D365 F&O Metadata service (`/Metadata/*`) exactly as the real service sends
 * them (PascalCase). The emulator serialises these; the client's parsers read them (tolerating
 * unknown fields) into the camelCase models of `models.ts`. See `shared/d365-protocol.md` §2.
 */

export interface DataEntityJson {
  Name: string;
  PublicEntityName: string | null;
  PublicCollectionName: string | null;
  LabelId: string | null;
  DataServiceEnabled: boolean;
  DataManagementEnabled: boolean;
  /** Master | Transaction | Reference | Document | Parameters | Configuration */
  EntityCategory: string | null;
  IsReadOnly: boolean;
}

export interface PublicEntityPropertyJson {
  Name: string;
  /** `Edm.*` primitive or `Microsoft.Dynamics.DataEntities.<Enum>`. */
  TypeName: string;
  /** ODataXppType: String, Int32, Int64, Real, Date, UtcDateTime, Time, Enum, Guid, Container, Record, Void. */
  DataType: string;
  LabelId: string | null;
  IsKey: boolean;
  IsMandatory: boolean;
  ConfigurationEnabled: boolean;
  AllowEdit: boolean;
  AllowEditOnCreate: boolean;
  IsDimension: boolean;
  DimensionRelation: string | null;
  IsDynamicDimension: boolean;
  DimensionLegalEntityProperty: string | null;
  DimensionTypeProperty: string | null;
}

export const CONSTRAINT_ODATA_TYPE_PREFIX = "#Microsoft.Dynamics.Metadata.";

export interface ReferentialConstraintJson {
  "@odata.type": "#Microsoft.Dynamics.Metadata.ReferentialConstraint";
  Property: string;
  ReferencedProperty: string;
}

export interface FixedConstraintJson {
  "@odata.type": "#Microsoft.Dynamics.Metadata.FixedConstraint";
  Property: string;
  Value: number | null;
  ValueStr: string | null;
}

export interface RelatedFixedConstraintJson {
  "@odata.type": "#Microsoft.Dynamics.Metadata.RelatedFixedConstraint";
  RelatedProperty: string;
  Value: number | null;
  ValueStr: string | null;
}

export type ConstraintJson = ReferentialConstraintJson | FixedConstraintJson | RelatedFixedConstraintJson;

export interface NavigationPropertyJson {
  Name: string;
  RelatedEntity: string;
  RelatedRelationName: string | null;
  /** Single | Multiple */
  Cardinality: string;
  Constraints: ConstraintJson[];
}

export interface PropertyGroupJson {
  Name: string;
  Properties: string[];
}

export interface ActionTypeJson {
  TypeName: string;
  IsCollection: boolean;
}

export interface ActionParameterJson {
  Name: string;
  Type: ActionTypeJson;
}

export interface ActionJson {
  Name: string;
  /** BoundToEntityInstance | BoundToEntitySet | Unbound */
  BindingKind: string;
  FieldLookup: string | null;
  Parameters: ActionParameterJson[];
  ReturnType: ActionTypeJson | null;
}

export interface PublicEntityJson {
  Name: string;
  EntitySetName: string;
  LabelId: string | null;
  IsReadOnly: boolean;
  ConfigurationEnabled: boolean;
  Properties: PublicEntityPropertyJson[];
  NavigationProperties: NavigationPropertyJson[];
  PropertyGroups: PropertyGroupJson[];
  Actions: ActionJson[];
}

export interface EnumerationMemberJson {
  Name: string;
  LabelId: string | null;
  Value: number;
  ConfigurationEnabled: boolean;
}

export interface PublicEnumerationJson {
  Name: string;
  LabelId: string | null;
  Members: EnumerationMemberJson[];
}

export interface LabelJson {
  Id: string;
  Language: string;
  Value: string;
}

/** Namespaces used on the wire. */
export const DATA_ENTITIES_NAMESPACE = "Microsoft.Dynamics.DataEntities";
export const METADATA_NAMESPACE = "Microsoft.Dynamics.Metadata";
