/**
 * Which Python cache layout a database has, from its tables and columns (the files carry no
 * schema version: `user_version` is 0). A database with the Python tool's tables but neither
 * known column set is a newer, unknown layout, refused rather than guessed at.
 */
import type { PythonCacheLayout } from "../../../migration/types.js";

export type TableColumns = ReadonlyMap<string, ReadonlySet<string>>;

const COMMON_TABLES = [
  "metadata_environments",
  "metadata_versions",
  "data_entities",
  "public_entities",
  "entity_properties",
  "navigation_properties",
  "relation_constraints",
  "property_groups",
  "property_group_members",
  "entity_actions",
  "action_parameters",
  "enumerations",
  "enumeration_members",
  "labels_cache",
] as const;

/** Columns the v2 reader selects, per table. */
export const V2_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  metadata_environments: [
    "id",
    "base_url",
    "environment_name",
    "created_at",
    "last_sync_at",
    "last_version_check",
  ],
  global_versions: ["id", "version_hash", "modules_hash", "first_seen_at"],
  environment_versions: ["environment_id", "global_version_id", "detected_at", "is_active", "sync_status"],
  global_version_modules: [
    "global_version_id",
    "module_id",
    "module_name",
    "version",
    "publisher",
    "display_name",
    "sort_order",
  ],
  metadata_versions: [
    "global_version_id",
    "created_at",
    "sync_completed_at",
    "entity_count",
    "action_count",
    "enumeration_count",
    "label_count",
  ],
  data_entities: [
    "global_version_id",
    "name",
    "public_entity_name",
    "public_collection_name",
    "label_id",
    "entity_category",
    "data_service_enabled",
    "data_management_enabled",
    "is_read_only",
  ],
  public_entities: ["id", "global_version_id", "name", "entity_set_name", "label_id", "is_read_only"],
  entity_properties: ["entity_id", "global_version_id", "name", "type_name", "data_type", "property_order"],
  navigation_properties: ["id", "entity_id", "global_version_id", "name", "related_entity", "cardinality"],
  relation_constraints: ["navigation_property_id", "global_version_id", "constraint_type", "property_name"],
  property_groups: ["id", "entity_id", "global_version_id", "name"],
  property_group_members: ["property_group_id", "global_version_id", "property_name"],
  entity_actions: ["id", "entity_id", "global_version_id", "name", "binding_kind", "return_type_name"],
  action_parameters: ["action_id", "global_version_id", "name", "type_name", "parameter_order"],
  enumerations: ["id", "global_version_id", "name", "label_id"],
  enumeration_members: ["enumeration_id", "global_version_id", "name", "value", "member_order"],
  labels_cache: ["global_version_id", "label_id", "language", "label_text"],
};

/** Columns the v1 reader selects, per table. */
export const V1_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  metadata_environments: ["id", "base_url", "environment_name", "created_at", "last_sync_at"],
  metadata_versions: [
    "id",
    "environment_id",
    "version_hash",
    "application_version",
    "platform_version",
    "created_at",
    "is_active",
  ],
  data_entities: ["version_id", "name", "public_entity_name", "data_service_enabled"],
  public_entities: ["id", "version_id", "name", "entity_set_name", "label_id"],
  entity_properties: ["entity_id", "name", "type_name", "data_type", "property_order"],
  navigation_properties: ["id", "entity_id", "name", "related_entity"],
  relation_constraints: ["navigation_property_id", "constraint_type", "property_name"],
  property_groups: ["id", "entity_id", "name"],
  property_group_members: ["group_id", "property_name", "member_order"],
  entity_actions: ["id", "entity_id", "name", "binding_kind"],
  action_parameters: ["action_id", "name", "type_name", "parameter_order"],
  enumerations: ["id", "version_id", "name", "label_id"],
  enumeration_members: ["enumeration_id", "name", "value", "member_order"],
  labels_cache: ["label_id", "language", "value"],
};

export type LayoutVerdict =
  | { kind: "layout"; layout: PythonCacheLayout }
  | { kind: "notPythonCache" }
  | { kind: "unknownLayout"; reason: string };

function missingColumns(tables: TableColumns, wanted: Readonly<Record<string, readonly string[]>>): string[] {
  const missing: string[] = [];
  for (const [table, columns] of Object.entries(wanted)) {
    const have = tables.get(table);
    if (!have) {
      missing.push(table);
      continue;
    }
    for (const column of columns) if (!have.has(column)) missing.push(`${table}.${column}`);
  }
  return missing;
}

export function detectLayout(tables: TableColumns): LayoutVerdict {
  const known = COMMON_TABLES.filter((t) => tables.has(t)).length;
  if (!tables.has("metadata_environments") || known < COMMON_TABLES.length / 2) {
    return { kind: "notPythonCache" };
  }
  const v2Missing = missingColumns(tables, V2_COLUMNS);
  if (v2Missing.length === 0) return { kind: "layout", layout: "v2" };
  const v1Missing = missingColumns(tables, V1_COLUMNS);
  if (v1Missing.length === 0 && !tables.has("global_versions")) return { kind: "layout", layout: "v1" };
  const closest = tables.has("global_versions") ? v2Missing : v1Missing;
  return {
    kind: "unknownLayout",
    reason: `missing ${closest.slice(0, 8).join(", ")}${closest.length > 8 ? ", …" : ""}`,
  };
}
