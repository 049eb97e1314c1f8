/**
 * Content addressing of metadata definitions. A definition (public entity, data entity,
 * enumeration) is stored once per distinct content and shared by every version that contains it,
 * so its identity must depend on its content only: the hash covers every model field in a fixed
 * order, with absent optional values normalised to `null`, and ignores anything else an object
 * might carry. Arrays keep their order (property order is meaningful in D365 metadata).
 */
import { createHash } from "node:crypto";
import type {
  ActionTypeRef,
  DataEntity,
  EntityAction,
  EntityProperty,
  Enumeration,
  NavigationProperty,
  PublicEntity,
  RelationConstraint,
} from "../metadata/models.js";

type Canonical = string | number | boolean | null | Canonical[];

const str = (value: string | null | undefined): string | null => (value === undefined ? null : value);
const num = (value: number | null | undefined): number | null => (value === undefined ? null : value);
const bool = (value: boolean | undefined): boolean => value === true;

function canonicalType(type: ActionTypeRef | null | undefined): Canonical {
  return type ? [type.typeName, bool(type.isCollection)] : null;
}

function canonicalProperty(p: EntityProperty): Canonical {
  return [
    p.name,
    p.typeName,
    p.dataType,
    str(p.labelId),
    bool(p.isKey),
    bool(p.isMandatory),
    bool(p.configurationEnabled),
    bool(p.allowEdit),
    bool(p.allowEditOnCreate),
    bool(p.isDimension),
    str(p.dimensionRelation),
    bool(p.isDynamicDimension),
    str(p.dimensionLegalEntityProperty),
    str(p.dimensionTypeProperty),
  ];
}

function canonicalConstraint(c: RelationConstraint): Canonical {
  switch (c.kind) {
    case "Referential":
      return ["R", c.property, c.referencedProperty];
    case "Fixed":
      return ["F", c.property, num(c.value), str(c.valueStr)];
    case "RelatedFixed":
      return ["RF", c.relatedProperty, num(c.value), str(c.valueStr)];
    default: {
      const unknown = c as { kind: string };
      return ["?", String(unknown.kind), JSON.stringify(unknown)];
    }
  }
}

function canonicalNavigation(n: NavigationProperty): Canonical {
  return [
    n.name,
    n.relatedEntity,
    str(n.relatedRelationName),
    n.cardinality,
    n.constraints.map(canonicalConstraint),
  ];
}

function canonicalAction(a: EntityAction): Canonical {
  return [
    a.name,
    a.bindingKind,
    str(a.fieldLookup),
    a.parameters.map((p) => [p.name, canonicalType(p.type)]),
    canonicalType(a.returnType),
  ];
}

export function canonicalPublicEntity(e: PublicEntity): Canonical {
  return [
    "PublicEntity/1",
    e.name,
    e.entitySetName,
    str(e.labelId),
    bool(e.isReadOnly),
    bool(e.configurationEnabled),
    e.properties.map(canonicalProperty),
    e.navigationProperties.map(canonicalNavigation),
    e.propertyGroups.map((g) => [g.name, [...g.properties]]),
    e.actions.map(canonicalAction),
  ];
}

export function canonicalDataEntity(e: DataEntity): Canonical {
  return [
    "DataEntity/1",
    e.name,
    str(e.publicEntityName),
    str(e.publicCollectionName),
    str(e.labelId),
    bool(e.dataServiceEnabled),
    bool(e.dataManagementEnabled),
    str(e.entityCategory),
    bool(e.isReadOnly),
  ];
}

export function canonicalEnumeration(e: Enumeration): Canonical {
  return [
    "Enumeration/1",
    e.name,
    str(e.labelId),
    e.members.map((m) => [m.name, m.value, str(m.labelId), bool(m.configurationEnabled)]),
  ];
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** SHA-256 hex of the canonical serialisation (JSON of the canonical array form). */
export function hashPublicEntity(e: PublicEntity): string {
  return sha256(JSON.stringify(canonicalPublicEntity(e)));
}

export function hashDataEntity(e: DataEntity): string {
  return sha256(JSON.stringify(canonicalDataEntity(e)));
}

export function hashEnumeration(e: Enumeration): string {
  return sha256(JSON.stringify(canonicalEnumeration(e)));
}

/**
 * Incremental SHA-256 over a version's contents, fed in a canonical order by the store. Each item
 * is length-prefixed so that no two different sequences serialise to the same bytes.
 */
export class VersionContentHasher {
  private readonly hash = createHash("sha256");

  section(name: string): void {
    this.item(`#${name}`);
  }

  item(...fields: string[]): void {
    for (const field of fields) {
      this.hash.update(`${Buffer.byteLength(field, "utf8")}:`);
      this.hash.update(field, "utf8");
    }
    this.hash.update("\n");
  }

  digest(): string {
    return this.hash.digest("hex");
  }
}
