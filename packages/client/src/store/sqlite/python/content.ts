/**
 * One version's metadata, read table by table (one statement each, scoped to the version) and
 * assembled into the library's models in the order the Python tool stored them: properties and
 * parameters by their 1-based order, everything else by row id (its insertion order, since
 * `member_order` is always 0). Stored as it is: duplicated constraints are kept for repair.ts.
 */
import type Database from "better-sqlite3";
import type {
  DataEntity,
  EntityAction,
  EntityProperty,
  Enumeration,
  EnumerationMember,
  Label,
  NavigationProperty,
  PropertyGroup,
  PublicEntity,
  RelationConstraint,
} from "../../../metadata/models.js";
import type { PythonVersionContent } from "../../../migration/types.js";
import type { Dialect } from "./dialect.js";

type Row = Record<string, unknown>;

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined || v === "" ? null : Number(v));
/** 0/1 integers (or text) to booleans; NULL takes the column's default. */
const bool = (v: unknown, fallback: boolean): boolean => {
  if (v === null || v === undefined) return fallback;
  if (typeof v === "string") return v === "1" || v.toLowerCase() === "true";
  return Number(v) !== 0;
};

function grouped<T>(rows: Row[], key: string, map: (row: Row) => T): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const row of rows) {
    const k = Number(row[key]);
    const list = out.get(k);
    if (list) list.push(map(row));
    else out.set(k, [map(row)]);
  }
  return out;
}

function constraintOf(r: Row): RelationConstraint | null {
  switch (r.constraint_type) {
    case "Referential":
      return {
        kind: "Referential",
        property: text(r.property_name) ?? "",
        referencedProperty: text(r.referenced_property) ?? "",
      };
    case "Fixed":
      return {
        kind: "Fixed",
        property: text(r.property_name) ?? "",
        value: num(r.fixed_value),
        valueStr: text(r.fixed_value_str),
      };
    case "RelatedFixed":
      return {
        kind: "RelatedFixed",
        relatedProperty: text(r.related_property) ?? "",
        value: num(r.fixed_value),
        valueStr: text(r.fixed_value_str),
      };
    default:
      return null;
  }
}

const PUBLIC_ENTITY_COLUMNS =
  "t.id, t.name, t.entity_set_name, t.label_id, t.is_read_only, t.configuration_enabled";

/** Data entities, enumerations and the stored label texts of a version (everything but public entities). */
export function readVersionBasics(
  db: Database.Database,
  d: Dialect,
  versionId: number,
): Omit<PythonVersionContent, "publicEntities"> {
  const all = (sql: string) => db.prepare(sql).all({ v: versionId }) as Row[];
  const s = d.scope;
  const dataEntities: DataEntity[] = all(
    `SELECT t.* FROM data_entities t WHERE ${s.data_entities} ORDER BY t.id`,
  ).map((r) => ({
    name: String(r.name),
    publicEntityName: text(r.public_entity_name),
    publicCollectionName: text(r.public_collection_name),
    labelId: text(r.label_id),
    dataServiceEnabled: bool(r.data_service_enabled, true),
    dataManagementEnabled: bool(r.data_management_enabled, true),
    entityCategory: text(r.entity_category),
    isReadOnly: bool(r.is_read_only, false),
  }));

  const enumMembers = grouped<EnumerationMember>(
    all(
      `SELECT t.* FROM enumeration_members t WHERE ${s.enumeration_members} ORDER BY t.enumeration_id, t.member_order, t.id`,
    ),
    "enumeration_id",
    (r) => ({
      name: String(r.name),
      value: Number(r.value),
      labelId: text(r.label_id),
      configurationEnabled: bool(r.configuration_enabled, true),
    }),
  );
  const enumerations: Enumeration[] = all(
    `SELECT t.* FROM enumerations t WHERE ${s.enumerations} ORDER BY t.id`,
  ).map((r) => ({
    name: String(r.name),
    labelId: text(r.label_id),
    members: enumMembers.get(Number(r.id)) ?? [],
  }));

  const labels: Label[] = all(`SELECT l.* FROM (${d.labelRows}) l ORDER BY l.label_id`).map((r) => ({
    id: String(r.label_id),
    language: String(r.language ?? "en-US"),
    value: String(r.label_text),
  }));

  return { dataEntities, enumerations, labels };
}

/**
 * Public entities with all their children, `size` entities at a time in stored order: each window
 * is one statement per child table over the window's id range, so memory holds one window.
 */
export function* publicEntityWindows(
  db: Database.Database,
  d: Dialect,
  versionId: number,
  size: number,
): Generator<PublicEntity[]> {
  const s = d.scope;
  const headStatement = db.prepare(
    `SELECT ${PUBLIC_ENTITY_COLUMNS} FROM public_entities t WHERE ${s.public_entities} AND t.id > @after ORDER BY t.id LIMIT @size`,
  );
  let after = -1;
  for (;;) {
    const heads = headStatement.all({ v: versionId, after, size }) as Row[];
    if (heads.length === 0) return;
    yield entitiesOf(db, d, versionId, heads);
    after = Number(heads[heads.length - 1].id);
    if (heads.length < size) return;
  }
}

function entitiesOf(db: Database.Database, d: Dialect, versionId: number, heads: Row[]): PublicEntity[] {
  const lo = Number(heads[0].id);
  const hi = Number(heads[heads.length - 1].id);
  const all = (sql: string) => db.prepare(sql).all({ v: versionId, lo, hi }) as Row[];
  const s = d.scope;
  const inWindow = (table: "navigation_properties" | "property_groups" | "entity_actions") =>
    `SELECT id FROM ${table} WHERE entity_id BETWEEN @lo AND @hi`;
  const properties = grouped<EntityProperty>(
    all(
      `SELECT t.* FROM entity_properties t WHERE ${s.entity_properties} AND t.entity_id BETWEEN @lo AND @hi ORDER BY t.entity_id, t.property_order, t.id`,
    ),
    "entity_id",
    (r) => ({
      name: String(r.name),
      typeName: text(r.type_name) ?? "",
      dataType: text(r.data_type) ?? text(r.odata_xpp_type) ?? "",
      labelId: text(r.label_id),
      isKey: bool(r.is_key, false),
      isMandatory: bool(r.is_mandatory, false),
      configurationEnabled: bool(r.configuration_enabled, true),
      allowEdit: bool(r.allow_edit, true),
      allowEditOnCreate: bool(r.allow_edit_on_create, true),
      isDimension: bool(r.is_dimension, false),
      dimensionRelation: text(r.dimension_relation),
      isDynamicDimension: bool(r.is_dynamic_dimension, false),
      dimensionLegalEntityProperty: text(r.dimension_legal_entity_property),
      dimensionTypeProperty: text(r.dimension_type_property),
    }),
  );

  const constraints = grouped<RelationConstraint | null>(
    all(
      `SELECT t.* FROM relation_constraints t WHERE ${s.relation_constraints} AND t.navigation_property_id IN (${inWindow("navigation_properties")}) ORDER BY t.id`,
    ),
    "navigation_property_id",
    constraintOf,
  );
  const navigation = grouped<NavigationProperty>(
    all(
      `SELECT t.* FROM navigation_properties t WHERE ${s.navigation_properties} AND t.entity_id BETWEEN @lo AND @hi ORDER BY t.id`,
    ),
    "entity_id",
    (r) => ({
      name: String(r.name),
      relatedEntity: text(r.related_entity) ?? "",
      relatedRelationName: text(r.related_relation_name),
      cardinality: text(r.cardinality) ?? "Single",
      constraints: (constraints.get(Number(r.id)) ?? []).filter((c): c is RelationConstraint => c !== null),
    }),
  );

  const members = grouped<string>(
    all(
      `SELECT t.* FROM property_group_members t WHERE ${s.property_group_members} AND t.${d.groupColumn} IN (${inWindow("property_groups")}) ORDER BY t.id`,
    ),
    d.groupColumn,
    (r) => String(r.property_name),
  );
  const groupOrder = d.layout === "v1" ? "t.group_order, t.id" : "t.id";
  const groups = grouped<PropertyGroup>(
    all(
      `SELECT t.* FROM property_groups t WHERE ${s.property_groups} AND t.entity_id BETWEEN @lo AND @hi ORDER BY t.entity_id, ${groupOrder}`,
    ),
    "entity_id",
    (r) => ({ name: String(r.name), properties: members.get(Number(r.id)) ?? [] }),
  );

  const parameters = grouped(
    all(
      `SELECT t.* FROM action_parameters t WHERE ${s.action_parameters} AND t.action_id IN (${inWindow("entity_actions")}) ORDER BY t.action_id, t.parameter_order, t.id`,
    ),
    "action_id",
    (r) => ({
      name: String(r.name),
      type: { typeName: text(r.type_name) ?? "", isCollection: bool(r.is_collection, false) },
    }),
  );
  const actions = grouped<EntityAction>(
    all(
      `SELECT t.* FROM entity_actions t WHERE ${s.entity_actions} AND t.entity_id BETWEEN @lo AND @hi ORDER BY t.id`,
    ),
    "entity_id",
    (r) => ({
      name: String(r.name),
      bindingKind: text(r.binding_kind) ?? "BoundToEntitySet",
      fieldLookup: text(r.field_lookup),
      parameters: parameters.get(Number(r.id)) ?? [],
      returnType:
        r.return_type_name === null || r.return_type_name === undefined
          ? null
          : { typeName: String(r.return_type_name), isCollection: bool(r.return_is_collection, false) },
    }),
  );

  return heads.map((r) => {
    const id = Number(r.id);
    return {
      name: String(r.name),
      entitySetName: text(r.entity_set_name) ?? "",
      labelId: text(r.label_id),
      isReadOnly: bool(r.is_read_only, false),
      configurationEnabled: bool(r.configuration_enabled, true),
      properties: properties.get(id) ?? [],
      navigationProperties: navigation.get(id) ?? [],
      propertyGroups: groups.get(id) ?? [],
      actions: actions.get(id) ?? [],
    };
  });
}

export function readVersionContent(
  db: Database.Database,
  d: Dialect,
  versionId: number,
): PythonVersionContent {
  const basics = readVersionBasics(db, d, versionId);
  const publicEntities: PublicEntity[] = [];
  for (const window of publicEntityWindows(db, d, versionId, 1000)) publicEntities.push(...window);
  return { ...basics, publicEntities };
}
