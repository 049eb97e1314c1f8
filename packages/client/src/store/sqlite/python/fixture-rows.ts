/**
 * The metadata rows of one version in a Python-format cache, as the Python tool inserted them
 * (fixture-writer.ts uses it for both layouts): v2 rows carry `global_version_id` and NULL
 * `label_text`; v1 rows scope through `version_id` and their parents.
 */
import Database from "better-sqlite3";
import type { PublicEntity } from "../../../metadata/models.js";
import type { PythonVersionContent } from "../../../migration/types.js";

const b = (v: boolean) => (v ? 1 : 0);

export function create(path: string, ddl: readonly string[]): Database.Database {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("foreign_keys = OFF");
  for (const statement of ddl) db.exec(statement);
  return db;
}

export function finish(db: Database.Database): void {
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
}

export type Layout = "v2" | "v1";

/** Inserts a version's metadata; `scope` is its `global_version_id` (v2) or `version_id` (v1). */
export function insertContent(
  db: Database.Database,
  layout: Layout,
  scope: number,
  content: PythonVersionContent,
  duplicateFixed: boolean,
): void {
  const v2 = layout === "v2";
  const col = v2 ? "global_version_id" : "version_id";
  const gv = v2 ? ", global_version_id" : "";
  const gvp = v2 ? ", ?" : "";
  const lt = v2 ? ", label_text" : "";
  const ltp = v2 ? ", NULL" : "";
  const de = db.prepare(
    `INSERT INTO data_entities (${col}, name, public_entity_name, public_collection_name, label_id${lt}, entity_category,
       data_service_enabled, data_management_enabled, is_read_only) VALUES (?, ?, ?, ?, ?${ltp}, ?, ?, ?, ?)`,
  );
  for (const d of content.dataEntities) {
    de.run(
      scope,
      d.name,
      d.publicEntityName,
      d.publicCollectionName,
      d.labelId,
      d.entityCategory,
      b(d.dataServiceEnabled),
      b(d.dataManagementEnabled),
      b(d.isReadOnly),
    );
  }
  const pe = db.prepare(
    `INSERT INTO public_entities (${col}, name, entity_set_name, label_id${lt}, is_read_only, configuration_enabled)
     VALUES (?, ?, ?, ?${ltp}, ?, ?)`,
  );
  const prop = db.prepare(
    `INSERT INTO entity_properties (entity_id${gv}, name, type_name, data_type, odata_xpp_type, label_id${lt}, is_key,
       is_mandatory, configuration_enabled, allow_edit, allow_edit_on_create, is_dimension, dimension_relation,
       is_dynamic_dimension, dimension_legal_entity_property, dimension_type_property, property_order)
     VALUES (?${gvp}, ?, ?, ?, ?, ?${ltp}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const nav = db.prepare(
    `INSERT INTO navigation_properties (entity_id${gv}, name, related_entity, related_relation_name, cardinality)
     VALUES (?${gvp}, ?, ?, ?, ?)`,
  );
  const rc = db.prepare(
    `INSERT INTO relation_constraints (navigation_property_id${gv}, constraint_type, property_name, referenced_property,
       related_property, fixed_value, fixed_value_str) VALUES (?${gvp}, ?, ?, ?, ?, ?, ?)`,
  );
  const pg = db.prepare(
    v2
      ? "INSERT INTO property_groups (entity_id, global_version_id, name) VALUES (?, ?, ?)"
      : "INSERT INTO property_groups (entity_id, name, group_order) VALUES (?, ?, ?)",
  );
  const pgm = db.prepare(
    v2
      ? "INSERT INTO property_group_members (property_group_id, global_version_id, property_name, member_order) VALUES (?, ?, ?, 0)"
      : "INSERT INTO property_group_members (group_id, property_name, member_order) VALUES (?, ?, ?)",
  );
  const act = db.prepare(
    v2
      ? `INSERT INTO entity_actions (entity_id, global_version_id, name, binding_kind, entity_name, entity_set_name,
           return_type_name, return_is_collection, return_odata_xpp_type, field_lookup) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
      : `INSERT INTO entity_actions (entity_id, name, binding_kind, return_type_name, return_is_collection,
           return_odata_xpp_type, field_lookup) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const par = db.prepare(
    `INSERT INTO action_parameters (action_id${gv}, name, type_name, is_collection, odata_xpp_type, parameter_order)
     VALUES (?${gvp}, ?, ?, ?, ?, ?)`,
  );
  const insertEntity = (e: PublicEntity) => {
    const id = Number(
      pe.run(scope, e.name, e.entitySetName, e.labelId, b(e.isReadOnly), b(e.configurationEnabled))
        .lastInsertRowid,
    );
    e.properties.forEach((p, i) => {
      prop.run(
        ...withScopeAfterFirst(id, [
          p.name,
          p.typeName,
          p.dataType,
          p.dataType,
          p.labelId,
          b(p.isKey),
          b(p.isMandatory),
          b(p.configurationEnabled),
          b(p.allowEdit),
          b(p.allowEditOnCreate),
          b(p.isDimension),
          p.dimensionRelation,
          b(p.isDynamicDimension),
          p.dimensionLegalEntityProperty,
          p.dimensionTypeProperty,
          i + 1,
        ]),
      );
    });
    for (const n of e.navigationProperties) {
      const navId = Number(
        nav.run(...withScopeAfterFirst(id, [n.name, n.relatedEntity, n.relatedRelationName, n.cardinality]))
          .lastInsertRowid,
      );
      for (const c of n.constraints) {
        const row =
          c.kind === "Referential"
            ? ["Referential", c.property, c.referencedProperty, null, null, null]
            : c.kind === "Fixed"
              ? ["Fixed", c.property, null, null, c.value, c.valueStr]
              : ["RelatedFixed", null, null, c.relatedProperty, c.value, c.valueStr];
        rc.run(...withScopeAfterFirst(navId, row));
        if (c.kind === "Fixed" && duplicateFixed) rc.run(...withScopeAfterFirst(navId, row));
      }
    }
    e.propertyGroups.forEach((g, gi) => {
      const groupId = Number((v2 ? pg.run(id, scope, g.name) : pg.run(id, g.name, gi)).lastInsertRowid);
      g.properties.forEach((name, mi) => {
        if (v2) pgm.run(groupId, scope, name);
        else pgm.run(groupId, name, mi);
      });
    });
    for (const a of e.actions) {
      const rt = a.returnType;
      const actionId = Number(
        (v2
          ? act.run(
              id,
              scope,
              a.name,
              a.bindingKind,
              e.name,
              e.entitySetName,
              rt?.typeName ?? null,
              b(rt?.isCollection ?? false),
              rt?.typeName ?? null,
              a.fieldLookup,
            )
          : act.run(
              id,
              a.name,
              a.bindingKind,
              rt?.typeName ?? null,
              b(rt?.isCollection ?? false),
              rt?.typeName ?? null,
              a.fieldLookup,
            )
        ).lastInsertRowid,
      );
      a.parameters.forEach((p, i) => {
        par.run(
          ...withScopeAfterFirst(actionId, [
            p.name,
            p.type.typeName,
            b(p.type.isCollection),
            p.type.typeName,
            i + 1,
          ]),
        );
      });
    }
  };
  function withScopeAfterFirst(first: number, rest: unknown[]): unknown[] {
    return v2 ? [first, scope, ...rest] : [first, ...rest];
  }
  for (const e of content.publicEntities) insertEntity(e);
  const en = db.prepare(`INSERT INTO enumerations (${col}, name, label_id${lt}) VALUES (?, ?, ?${ltp})`);
  const em = db.prepare(
    `INSERT INTO enumeration_members (enumeration_id${gv}, name, value, label_id${lt}, configuration_enabled, member_order)
     VALUES (?${gvp}, ?, ?, ?${ltp}, ?, ?)`,
  );
  for (const e of content.enumerations) {
    const id = Number(en.run(scope, e.name, e.labelId).lastInsertRowid);
    e.members.forEach((m, i) => {
      em.run(...withScopeAfterFirst(id, [m.name, m.value, m.labelId, b(m.configurationEnabled), i + 1]));
    });
  }
}
