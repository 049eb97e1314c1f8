/**
 * Definition writes (data entities, public entities with their members, enumerations) and
 * completing a version. A definition is stored once by content hash and indexed once; a version
 * only lists it. Each call is one transaction.
 */
import { ConfigurationError } from "../../errors.js";
import type { DataEntity, Enumeration, PublicEntity } from "../../metadata/models.js";
import { hashDataEntity, hashEnumeration } from "../content-hash.js";
import { encodePublicEntity, hashDocument, packDocument } from "../definition-document.js";
import type { WriteResult } from "../types.js";
import type { SqliteConnection } from "./connection.js";
import { requireVersion } from "./environments.js";
import { getCounts } from "./reads.js";
import { bit } from "./rows.js";
import { checkOrdinal, INDEX_SQL, identifierWords, MEMBER_INDEX_SQL, searchRowId } from "./search-index.js";

export function writeDataEntities(
  c: SqliteConnection,
  versionId: number,
  entities: readonly DataEntity[],
): WriteResult {
  return c.writeContent(() => {
    requireVersion(c, versionId);
    const result: WriteResult = { rowsWritten: 0, definitionsReused: 0 };
    const find = c.stmt("SELECT id FROM data_entities WHERE content_hash = ?").pluck();
    const insert = c.stmt(
      `INSERT INTO data_entities (content_hash, name, public_entity_name, public_collection_name, label_id,
         entity_category, data_service_enabled, data_management_enabled, is_read_only)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const index = c.stmt(INDEX_SQL);
    const member = c.stmt(
      `INSERT INTO version_data_entities (global_version_id, name, data_entity_id) VALUES (?, ?, ?)
       ON CONFLICT(global_version_id, name) DO UPDATE SET data_entity_id = excluded.data_entity_id
       WHERE data_entity_id <> excluded.data_entity_id`,
    );
    for (const e of entities) {
      const hash = hashDataEntity(e);
      let id = find.get(hash) as number | undefined;
      if (id === undefined) {
        id = Number(
          insert.run(
            hash,
            e.name,
            e.publicEntityName ?? null,
            e.publicCollectionName ?? null,
            e.labelId ?? null,
            e.entityCategory ?? null,
            bit(e.dataServiceEnabled),
            bit(e.dataManagementEnabled),
            bit(e.isReadOnly),
          ).lastInsertRowid,
        );
        index.run(
          searchRowId(id, 0, "dataEntity", e.name),
          e.name,
          e.publicCollectionName ?? "",
          identifierWords(e.name, e.publicCollectionName),
          "",
        );
        result.rowsWritten += 1;
      } else {
        result.definitionsReused += 1;
      }
      result.rowsWritten += member.run(versionId, e.name, id).changes;
    }
    return result;
  });
}

export function writePublicEntities(
  c: SqliteConnection,
  versionId: number,
  entities: readonly PublicEntity[],
): WriteResult {
  return c.writeContent(() => {
    requireVersion(c, versionId);
    const result: WriteResult = { rowsWritten: 0, definitionsReused: 0 };
    const find = c.stmt("SELECT id FROM public_entities WHERE content_hash = ?").pluck();
    const member = c.stmt(
      `INSERT INTO version_public_entities (global_version_id, name, public_entity_id) VALUES (?, ?, ?)
       ON CONFLICT(global_version_id, name) DO UPDATE SET public_entity_id = excluded.public_entity_id
       WHERE public_entity_id <> excluded.public_entity_id`,
    );
    for (const e of entities) {
      // The stored document is the canonical text the content hash is computed over.
      const document = encodePublicEntity(e);
      const hash = hashDocument(document);
      let id = find.get(hash) as number | undefined;
      if (id === undefined) {
        const inserted = insertPublicEntity(c, hash, document, e);
        id = inserted.id;
        result.rowsWritten += inserted.rows;
      } else {
        result.definitionsReused += 1;
      }
      result.rowsWritten += member.run(versionId, e.name, id).changes;
    }
    return result;
  });
}

function insertPublicEntity(
  c: SqliteConnection,
  hash: string,
  document: string,
  e: PublicEntity,
): { id: number; rows: number } {
  const index = c.stmt(INDEX_SQL);
  const memberIndex = c.stmt(MEMBER_INDEX_SQL);
  checkOrdinal(Math.max(e.properties.length, e.actions.length), `Public entity ${e.name}`);
  const id = Number(
    c
      .stmt(
        `INSERT INTO public_entities (content_hash, name, entity_set_name, label_id, is_read_only,
         configuration_enabled, property_count, navigation_count, action_count, document)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        hash,
        e.name,
        e.entitySetName,
        e.labelId ?? null,
        bit(e.isReadOnly),
        bit(e.configurationEnabled),
        e.properties.length,
        e.navigationProperties.length,
        e.actions.length,
        packDocument(document),
      ).lastInsertRowid,
  );
  let rows = 1;
  index.run(
    searchRowId(id, 0, "publicEntity", e.name),
    e.name,
    e.entitySetName,
    identifierWords(e.name, e.entitySetName),
    "",
  );
  const insertProperty = c.stmt(
    `INSERT INTO entity_properties (entity_id, name, type_name, data_type, label_id, is_key, is_mandatory,
       configuration_enabled, allow_edit, allow_edit_on_create, is_dimension, dimension_relation,
       is_dynamic_dimension, dimension_legal_entity_property, dimension_type_property, property_order)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  e.properties.forEach((p, order) => {
    insertProperty.run(
      id,
      p.name,
      p.typeName,
      p.dataType,
      p.labelId ?? null,
      bit(p.isKey),
      bit(p.isMandatory),
      bit(p.configurationEnabled),
      bit(p.allowEdit),
      bit(p.allowEditOnCreate),
      bit(p.isDimension),
      p.dimensionRelation ?? null,
      bit(p.isDynamicDimension),
      p.dimensionLegalEntityProperty ?? null,
      p.dimensionTypeProperty ?? null,
      order,
    );
    memberIndex.run(searchRowId(id, order, "property", p.name), p.name, "", identifierWords(p.name), "");
    rows += 1;
  });
  const insertNavigation = c.stmt(
    `INSERT INTO navigation_properties (entity_id, name, related_entity, related_relation_name, cardinality,
       navigation_order) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const insertConstraint = c.stmt(
    `INSERT INTO relation_constraints (navigation_property_id, constraint_type, property_name, referenced_property,
       related_property, fixed_value, fixed_value_str, constraint_order) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  e.navigationProperties.forEach((n, order) => {
    const navigationId = Number(
      insertNavigation.run(id, n.name, n.relatedEntity, n.relatedRelationName ?? null, n.cardinality, order)
        .lastInsertRowid,
    );
    rows += 1;
    n.constraints.forEach((c, constraintOrder) => {
      switch (c.kind) {
        case "Referential":
          insertConstraint.run(
            navigationId,
            c.kind,
            c.property,
            c.referencedProperty,
            null,
            null,
            null,
            constraintOrder,
          );
          break;
        case "Fixed":
          insertConstraint.run(
            navigationId,
            c.kind,
            c.property,
            null,
            null,
            c.value ?? null,
            c.valueStr ?? null,
            constraintOrder,
          );
          break;
        case "RelatedFixed":
          insertConstraint.run(
            navigationId,
            c.kind,
            null,
            null,
            c.relatedProperty,
            c.value ?? null,
            c.valueStr ?? null,
            constraintOrder,
          );
          break;
        default:
          throw new ConfigurationError(
            `Unknown relation constraint kind ${String((c as { kind: unknown }).kind)} on ${e.name}.${n.name}`,
          );
      }
      rows += 1;
    });
  });
  const insertGroup = c.stmt("INSERT INTO property_groups (entity_id, name, group_order) VALUES (?, ?, ?)");
  const insertGroupMember = c.stmt(
    "INSERT INTO property_group_members (property_group_id, property_name, member_order) VALUES (?, ?, ?)",
  );
  e.propertyGroups.forEach((g, order) => {
    const groupId = Number(insertGroup.run(id, g.name, order).lastInsertRowid);
    rows += 1;
    g.properties.forEach((name, memberOrder) => {
      insertGroupMember.run(groupId, name, memberOrder);
      rows += 1;
    });
  });
  const insertAction = c.stmt(
    `INSERT INTO entity_actions (entity_id, name, binding_kind, field_lookup, return_type_name,
       return_is_collection, action_order) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertParameter = c.stmt(
    `INSERT INTO action_parameters (action_id, name, type_name, is_collection, parameter_order)
     VALUES (?, ?, ?, ?, ?)`,
  );
  e.actions.forEach((a, order) => {
    const actionId = Number(
      insertAction.run(
        id,
        a.name,
        a.bindingKind,
        a.fieldLookup ?? null,
        a.returnType ? a.returnType.typeName : null,
        a.returnType ? bit(a.returnType.isCollection) : null,
        order,
      ).lastInsertRowid,
    );
    memberIndex.run(searchRowId(id, order, "action", a.name), a.name, "", identifierWords(a.name), "");
    rows += 1;
    a.parameters.forEach((p, parameterOrder) => {
      insertParameter.run(actionId, p.name, p.type.typeName, bit(p.type.isCollection), parameterOrder);
      rows += 1;
    });
  });
  return { id, rows };
}

export function writeEnumerations(
  c: SqliteConnection,
  versionId: number,
  enumerations: readonly Enumeration[],
): WriteResult {
  return c.writeContent(() => {
    requireVersion(c, versionId);
    const result: WriteResult = { rowsWritten: 0, definitionsReused: 0 };
    const find = c.stmt("SELECT id FROM enumerations WHERE content_hash = ?").pluck();
    const insert = c.stmt(
      "INSERT INTO enumerations (content_hash, name, label_id, member_count) VALUES (?, ?, ?, ?)",
    );
    const insertMember = c.stmt(
      `INSERT INTO enumeration_members (enumeration_id, name, value, label_id, configuration_enabled, member_order)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    const index = c.stmt(INDEX_SQL);
    const memberIndex = c.stmt(MEMBER_INDEX_SQL);
    const member = c.stmt(
      `INSERT INTO version_enumerations (global_version_id, name, enumeration_id) VALUES (?, ?, ?)
       ON CONFLICT(global_version_id, name) DO UPDATE SET enumeration_id = excluded.enumeration_id
       WHERE enumeration_id <> excluded.enumeration_id`,
    );
    for (const e of enumerations) {
      const hash = hashEnumeration(e);
      let id = find.get(hash) as number | undefined;
      if (id === undefined) {
        checkOrdinal(e.members.length, `Enumeration ${e.name}`);
        const enumerationId = Number(
          insert.run(hash, e.name, e.labelId ?? null, e.members.length).lastInsertRowid,
        );
        id = enumerationId;
        index.run(
          searchRowId(enumerationId, 0, "enumeration", e.name),
          e.name,
          "",
          identifierWords(e.name),
          "",
        );
        result.rowsWritten += 1;
        e.members.forEach((m, order) => {
          insertMember.run(
            enumerationId,
            m.name,
            m.value,
            m.labelId ?? null,
            bit(m.configurationEnabled),
            order,
          );
          memberIndex.run(
            searchRowId(enumerationId, order, "enumMember", m.name),
            m.name,
            "",
            identifierWords(m.name),
            "",
          );
          result.rowsWritten += 1;
        });
      } else {
        result.definitionsReused += 1;
      }
      result.rowsWritten += member.run(versionId, e.name, id).changes;
    }
    return result;
  });
}

export function completeVersion(c: SqliteConnection, versionId: number): void {
  c.write(() => {
    requireVersion(c, versionId);
    const now = Date.now();
    const counts = getCounts(c, versionId);
    c.run(
      `UPDATE metadata_versions SET sync_completed_at = ?, entity_count = ?, data_entity_count = ?,
         property_count = ?, action_count = ?, enumeration_count = ?, label_count = ?
       WHERE global_version_id = ?`,
      now,
      counts.publicEntities,
      counts.dataEntities,
      counts.properties,
      counts.actions,
      counts.enumerations,
      counts.labels,
      versionId,
    );
    c.run(
      `UPDATE global_versions SET status = 'complete', completed_at = COALESCE(completed_at, ?), last_used_at = ?
       WHERE id = ?`,
      now,
      now,
      versionId,
    );
  });
}
