/**
 * Definition reads: entities (with every member, in stored order), enumerations, names, counts,
 * per-definition content hashes and the version's content hash. Hot paths read rows as arrays.
 */
import type {
  ActionTypeRef,
  DataEntity,
  EntityAction,
  EntityProperty,
  Enumeration,
  NavigationProperty,
  PropertyGroup,
  PublicEntity,
} from "../../metadata/models.js";
import { VersionContentHasher } from "../content-hash.js";
import {
  decodePublicEntity,
  encodePublicEntity,
  packDocument,
  unpackDocument,
} from "../definition-document.js";
import type { MetadataCounts } from "../types.js";
import type { SqliteConnection } from "./connection.js";
import { type ConstraintRow, type PublicEntityRow, toConstraint } from "./rows.js";

export function getDataEntity(c: SqliteConnection, versionId: number, name: string): DataEntity | undefined {
  const row = c.get<{
    name: string;
    public_entity_name: string | null;
    public_collection_name: string | null;
    label_id: string | null;
    entity_category: string | null;
    data_service_enabled: number;
    data_management_enabled: number;
    is_read_only: number;
  }>(
    `SELECT d.* FROM version_data_entities v JOIN data_entities d ON d.id = v.data_entity_id
     WHERE v.global_version_id = ? AND v.name = ?`,
    versionId,
    name,
  );
  if (!row) return undefined;
  return {
    name: row.name,
    publicEntityName: row.public_entity_name,
    publicCollectionName: row.public_collection_name,
    labelId: row.label_id,
    dataServiceEnabled: row.data_service_enabled === 1,
    dataManagementEnabled: row.data_management_enabled === 1,
    entityCategory: row.entity_category,
    isReadOnly: row.is_read_only === 1,
  };
}

export function getPublicEntity(
  c: SqliteConnection,
  versionId: number,
  name: string,
): PublicEntity | undefined {
  const row = c.get<PublicEntityRow>(
    `SELECT p.* FROM version_public_entities v JOIN public_entities p ON p.id = v.public_entity_id
     WHERE v.global_version_id = ? AND v.name = ?`,
    versionId,
    name,
  );
  return row && readPublicEntity(c, row);
}

export function getPublicEntityBySetName(
  c: SqliteConnection,
  versionId: number,
  entitySetName: string,
): PublicEntity | undefined {
  const row = c.get<PublicEntityRow>(
    `SELECT p.* FROM public_entities p
     CROSS JOIN version_public_entities v ON v.public_entity_id = p.id AND v.global_version_id = ?
     WHERE p.entity_set_name = ?`,
    versionId,
    entitySetName,
  );
  return row && readPublicEntity(c, row);
}

/** One row and one parse when the document is stored (always, from schema 5); else the member rows. */
function readPublicEntity(c: SqliteConnection, row: PublicEntityRow): PublicEntity {
  return row.document !== null
    ? decodePublicEntity(unpackDocument(row.document))
    : loadPublicEntityFromRows(c, row);
}

/** Stores the document of every public entity that has none (the schema 5 back-fill). */
export function backfillPublicEntityDocuments(c: SqliteConnection): number {
  const update = c.stmt("UPDATE public_entities SET document = ? WHERE id = ?");
  let filled = 0;
  for (const row of c.all<PublicEntityRow>("SELECT * FROM public_entities WHERE document IS NULL")) {
    update.run(packDocument(encodePublicEntity(loadPublicEntityFromRows(c, row))), row.id);
    filled += 1;
  }
  return filled;
}

/** The entity from its member rows (before schema 5; still the back-fill's source). */
export function loadPublicEntityFromRows(c: SqliteConnection, row: PublicEntityRow): PublicEntity {
  const properties: EntityProperty[] =
    row.property_count === 0
      ? []
      : c
          .allRaw(
            `SELECT name, type_name, data_type, label_id, is_key, is_mandatory, configuration_enabled, allow_edit,
             allow_edit_on_create, is_dimension, dimension_relation, is_dynamic_dimension,
             dimension_legal_entity_property, dimension_type_property
           FROM entity_properties WHERE entity_id = ? ORDER BY property_order`,
            row.id,
          )
          .map((p) => ({
            name: p[0] as string,
            typeName: p[1] as string,
            dataType: p[2] as string,
            labelId: p[3] as string | null,
            isKey: p[4] === 1,
            isMandatory: p[5] === 1,
            configurationEnabled: p[6] === 1,
            allowEdit: p[7] === 1,
            allowEditOnCreate: p[8] === 1,
            isDimension: p[9] === 1,
            dimensionRelation: p[10] as string | null,
            isDynamicDimension: p[11] === 1,
            dimensionLegalEntityProperty: p[12] as string | null,
            dimensionTypeProperty: p[13] as string | null,
          }));
  const navigationProperties: NavigationProperty[] = [];
  if (row.navigation_count > 0) {
    const byId = new Map<number, NavigationProperty>();
    for (const n of c.all<{
      id: number;
      name: string;
      related_entity: string;
      related_relation_name: string | null;
      cardinality: string;
    }>("SELECT * FROM navigation_properties WHERE entity_id = ? ORDER BY navigation_order", row.id)) {
      const navigation: NavigationProperty = {
        name: n.name,
        relatedEntity: n.related_entity,
        relatedRelationName: n.related_relation_name,
        cardinality: n.cardinality,
        constraints: [],
      };
      byId.set(n.id, navigation);
      navigationProperties.push(navigation);
    }
    for (const constraint of c.all<ConstraintRow>(
      `SELECT c.* FROM navigation_properties n JOIN relation_constraints c ON c.navigation_property_id = n.id
       WHERE n.entity_id = ? ORDER BY n.navigation_order, c.constraint_order`,
      row.id,
    )) {
      byId.get(constraint.navigation_property_id)?.constraints.push(toConstraint(constraint));
    }
  }
  const propertyGroups: PropertyGroup[] = [];
  {
    const byId = new Map<number, PropertyGroup>();
    for (const g of c.all<{ id: number; name: string }>(
      "SELECT id, name FROM property_groups WHERE entity_id = ? ORDER BY group_order",
      row.id,
    )) {
      const group: PropertyGroup = { name: g.name, properties: [] };
      byId.set(g.id, group);
      propertyGroups.push(group);
    }
    if (byId.size > 0) {
      for (const m of c.all<{ property_group_id: number; property_name: string }>(
        `SELECT m.property_group_id, m.property_name FROM property_groups g
         JOIN property_group_members m ON m.property_group_id = g.id
         WHERE g.entity_id = ? ORDER BY g.group_order, m.member_order`,
        row.id,
      )) {
        byId.get(m.property_group_id)?.properties.push(m.property_name);
      }
    }
  }
  const actions: EntityAction[] = [];
  if (row.action_count > 0) {
    const byId = new Map<number, EntityAction>();
    for (const a of c.all<{
      id: number;
      name: string;
      binding_kind: string;
      field_lookup: string | null;
      return_type_name: string | null;
      return_is_collection: number | null;
    }>("SELECT * FROM entity_actions WHERE entity_id = ? ORDER BY action_order", row.id)) {
      const returnType: ActionTypeRef | null =
        a.return_type_name === null
          ? null
          : { typeName: a.return_type_name, isCollection: a.return_is_collection === 1 };
      const action: EntityAction = {
        name: a.name,
        bindingKind: a.binding_kind,
        fieldLookup: a.field_lookup,
        parameters: [],
        returnType,
      };
      byId.set(a.id, action);
      actions.push(action);
    }
    for (const p of c.all<{ action_id: number; name: string; type_name: string; is_collection: number }>(
      `SELECT p.action_id, p.name, p.type_name, p.is_collection FROM entity_actions a
       JOIN action_parameters p ON p.action_id = a.id
       WHERE a.entity_id = ? ORDER BY a.action_order, p.parameter_order`,
      row.id,
    )) {
      byId.get(p.action_id)?.parameters.push({
        name: p.name,
        type: { typeName: p.type_name, isCollection: p.is_collection === 1 },
      });
    }
  }
  return {
    name: row.name,
    entitySetName: row.entity_set_name,
    labelId: row.label_id,
    isReadOnly: row.is_read_only === 1,
    configurationEnabled: row.configuration_enabled === 1,
    properties,
    navigationProperties,
    propertyGroups,
    actions,
  };
}

export function getEnumeration(
  c: SqliteConnection,
  versionId: number,
  name: string,
): Enumeration | undefined {
  const row = c.get<{ id: number; name: string; label_id: string | null }>(
    `SELECT e.id, e.name, e.label_id FROM version_enumerations v JOIN enumerations e ON e.id = v.enumeration_id
     WHERE v.global_version_id = ? AND v.name = ?`,
    versionId,
    name,
  );
  if (!row) return undefined;
  const members = c
    .all<{
      name: string;
      value: number;
      label_id: string | null;
      configuration_enabled: number;
    }>(
      `SELECT name, value, label_id, configuration_enabled FROM enumeration_members
     WHERE enumeration_id = ? ORDER BY member_order`,
      row.id,
    )
    .map((m) => ({
      name: m.name,
      value: m.value,
      labelId: m.label_id,
      configurationEnabled: m.configuration_enabled === 1,
    }));
  return { name: row.name, labelId: row.label_id, members };
}

function listNames(c: SqliteConnection, table: string, versionId: number): string[] {
  return c
    .stmt(`SELECT name FROM ${table} WHERE global_version_id = ? ORDER BY name`)
    .pluck()
    .all(versionId) as string[];
}

export function listDataEntityNames(c: SqliteConnection, versionId: number): string[] {
  return listNames(c, "version_data_entities", versionId);
}

export function listPublicEntityNames(c: SqliteConnection, versionId: number): string[] {
  return listNames(c, "version_public_entities", versionId);
}

export function listEnumerationNames(c: SqliteConnection, versionId: number): string[] {
  return listNames(c, "version_enumerations", versionId);
}

export function getCounts(c: SqliteConnection, versionId: number): MetadataCounts {
  const entities = c.get<{
    n: number;
    properties: number | null;
    navigation: number | null;
    actions: number | null;
  }>(
    `SELECT COUNT(*) AS n, SUM(p.property_count) AS properties, SUM(p.navigation_count) AS navigation,
       SUM(p.action_count) AS actions
     FROM version_public_entities v JOIN public_entities p ON p.id = v.public_entity_id
     WHERE v.global_version_id = ?`,
    versionId,
  );
  const count = (table: string) =>
    c.stmt(`SELECT COUNT(*) FROM ${table} WHERE global_version_id = ?`).pluck().get(versionId) as number;
  return {
    dataEntities: count("version_data_entities"),
    publicEntities: entities?.n ?? 0,
    properties: entities?.properties ?? 0,
    navigationProperties: entities?.navigation ?? 0,
    actions: entities?.actions ?? 0,
    enumerations: count("version_enumerations"),
    labels: count("version_labels"),
  };
}

export function getPublicEntityHashes(c: SqliteConnection, versionId: number): Map<string, string> {
  const map = new Map<string, string>();
  for (const r of c.all<{ name: string; content_hash: string }>(
    `SELECT v.name, p.content_hash FROM version_public_entities v
     JOIN public_entities p ON p.id = v.public_entity_id WHERE v.global_version_id = ? ORDER BY v.name`,
    versionId,
  )) {
    map.set(r.name, r.content_hash);
  }
  return map;
}

export function getContentHash(c: SqliteConnection, versionId: number): string {
  const hasher = new VersionContentHasher();
  const sections: [string, string][] = [
    ["dataEntities", "version_data_entities v JOIN data_entities d ON d.id = v.data_entity_id"],
    ["publicEntities", "version_public_entities v JOIN public_entities d ON d.id = v.public_entity_id"],
    ["enumerations", "version_enumerations v JOIN enumerations d ON d.id = v.enumeration_id"],
  ];
  for (const [section, from] of sections) {
    hasher.section(section);
    for (const r of c
      .stmt(`SELECT v.name, d.content_hash FROM ${from} WHERE v.global_version_id = ? ORDER BY v.name`)
      .iterate(versionId) as IterableIterator<{ name: string; content_hash: string }>) {
      hasher.item(r.name, r.content_hash);
    }
  }
  hasher.section("labels");
  for (const r of c
    .stmt(
      `SELECT lt.language, lt.label_id, lt.label_text FROM version_labels vl
     JOIN labels_cache lt ON lt.id = vl.label_text_id WHERE vl.global_version_id = ?
     ORDER BY lt.language, lt.label_id`,
    )
    .iterate(versionId) as IterableIterator<{ language: string; label_id: string; label_text: string }>) {
    hasher.item(r.language, r.label_id, r.label_text);
  }
  return hasher.digest();
}
