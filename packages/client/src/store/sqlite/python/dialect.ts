/**
 * How the two Python layouts scope a table to one version (`@v`). v2 carries `global_version_id`
 * on every metadata row; v1 carries `version_id` on the top-level tables only, so its child
 * tables are scoped through their parents. Every clause uses the table alias `t`.
 */
import type { PythonCacheLayout } from "../../../migration/types.js";

type ScopedTable =
  | "data_entities"
  | "public_entities"
  | "entity_properties"
  | "navigation_properties"
  | "relation_constraints"
  | "property_groups"
  | "property_group_members"
  | "entity_actions"
  | "action_parameters"
  | "enumerations"
  | "enumeration_members";

export interface Dialect {
  layout: PythonCacheLayout;
  scope: Record<ScopedTable, string>;
  /** Column of `property_group_members` naming its group. */
  groupColumn: string;
  /** Columns `label_id`, `language`, `label_text` of the label texts visible to version `@v`. */
  labelRows: string;
  /** Distinct lower-cased label ids the version's metadata references. */
  referencedLabelIds: string;
}

function referencedLabelIds(scope: Record<ScopedTable, string>): string {
  const tables: ScopedTable[] = [
    "data_entities",
    "public_entities",
    "entity_properties",
    "enumerations",
    "enumeration_members",
  ];
  return tables
    .map(
      (table) =>
        `SELECT lower(t.label_id) FROM ${table} t WHERE ${scope[table]} AND t.label_id IS NOT NULL AND t.label_id <> ''`,
    )
    .join(" UNION ");
}

const V2_SCOPE: Record<ScopedTable, string> = {
  data_entities: "t.global_version_id = @v",
  public_entities: "t.global_version_id = @v",
  entity_properties: "t.global_version_id = @v",
  navigation_properties: "t.global_version_id = @v",
  relation_constraints: "t.global_version_id = @v",
  property_groups: "t.global_version_id = @v",
  property_group_members: "t.global_version_id = @v",
  entity_actions: "t.global_version_id = @v",
  action_parameters: "t.global_version_id = @v",
  enumerations: "t.global_version_id = @v",
  enumeration_members: "t.global_version_id = @v",
};

const V1_ENTITIES = "SELECT id FROM public_entities WHERE version_id = @v";
const V1_SCOPE: Record<ScopedTable, string> = {
  data_entities: "t.version_id = @v",
  public_entities: "t.version_id = @v",
  entity_properties: `t.entity_id IN (${V1_ENTITIES})`,
  navigation_properties: `t.entity_id IN (${V1_ENTITIES})`,
  relation_constraints: `t.navigation_property_id IN (SELECT id FROM navigation_properties WHERE entity_id IN (${V1_ENTITIES}))`,
  property_groups: `t.entity_id IN (${V1_ENTITIES})`,
  property_group_members: `t.group_id IN (SELECT id FROM property_groups WHERE entity_id IN (${V1_ENTITIES}))`,
  entity_actions: `t.entity_id IN (${V1_ENTITIES})`,
  action_parameters: `t.action_id IN (SELECT id FROM entity_actions WHERE entity_id IN (${V1_ENTITIES}))`,
  enumerations: "t.version_id = @v",
  enumeration_members: "t.enumeration_id IN (SELECT id FROM enumerations WHERE version_id = @v)",
};

const V2: Dialect = {
  layout: "v2",
  scope: V2_SCOPE,
  groupColumn: "property_group_id",
  labelRows:
    "SELECT label_id, language, label_text FROM labels_cache WHERE global_version_id = @v AND label_text IS NOT NULL",
  referencedLabelIds: referencedLabelIds(V2_SCOPE),
};

// v1 labels are not version-scoped (one file per environment); `@v` is unused there, and SQLite
// rejects an unused named parameter, hence the always-true comparison.
const V1: Dialect = {
  layout: "v1",
  scope: V1_SCOPE,
  groupColumn: "group_id",
  labelRows:
    "SELECT label_id, language, value AS label_text FROM labels_cache WHERE value IS NOT NULL AND @v = @v",
  referencedLabelIds: referencedLabelIds(V1_SCOPE),
};

export function dialectFor(layout: PythonCacheLayout): Dialect {
  return layout === "v2" ? V2 : V1;
}
