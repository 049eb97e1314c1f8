/** Row shapes of the PostgreSQL tables and their mapping to the store's records. */
import type {
  EnvironmentRecord,
  GlobalVersionRecord,
  VersionStatus,
  VersionTrust,
} from "d365fo-client/backend";
import type { BulkColumn } from "./connection.js";

export interface EnvironmentRow {
  id: number;
  base_url: string;
  environment_name: string | null;
  created_at: Date;
  last_sync_at: Date | null;
  last_version_check: Date | null;
  version_id: number | null;
}

export const ENVIRONMENT_SELECT = `
  SELECT e.id, e.base_url, e.environment_name, e.created_at, e.last_sync_at, e.last_version_check,
         ev.global_version_id AS version_id
  FROM metadata_environments e
  LEFT JOIN environment_versions ev ON ev.environment_id = e.id AND ev.is_active`;

export interface GlobalVersionRow {
  id: number;
  version_hash: string;
  modules_hash: string;
  status: string;
  first_seen_at: Date;
  last_used_at: Date;
  completed_at: Date | null;
  reference_count: number;
  module_count: number;
  application_version: string | null;
  application_build_version: string | null;
  platform_version: string | null;
  created_by_environment_id: number | null;
  trust: string;
}

export const VERSION_SELECT = `
  SELECT id, version_hash, modules_hash, status, first_seen_at, last_used_at, completed_at, reference_count,
         module_count, application_version, application_build_version, platform_version, created_by_environment_id,
         trust
  FROM global_versions`;

export function toEnvironmentRecord(row: EnvironmentRow): EnvironmentRecord {
  return {
    id: row.id,
    baseUrl: row.base_url,
    name: row.environment_name ?? row.base_url,
    createdAt: row.created_at,
    lastSyncAt: row.last_sync_at,
    lastVersionCheckAt: row.last_version_check,
    versionId: row.version_id,
  };
}

export function toVersionRecord(row: GlobalVersionRow): GlobalVersionRecord {
  return {
    id: row.id,
    versionHash: row.version_hash,
    modulesHash: row.modules_hash,
    status: row.status as VersionStatus,
    firstSeenAt: row.first_seen_at,
    lastUsedAt: row.last_used_at,
    completedAt: row.completed_at,
    referenceCount: row.reference_count,
    moduleCount: row.module_count,
    applicationVersion: row.application_version,
    applicationBuildVersion: row.application_build_version,
    platformVersion: row.platform_version,
    createdByEnvironmentId: row.created_by_environment_id,
    trust: row.trust as VersionTrust,
  };
}

/** Columns of the bulk inserts (name, PostgreSQL type), in the order the writers build rows. */
/** Definition columns after `content_hash`. */
export const DATA_ENTITY_COLUMNS: readonly BulkColumn[] = [
  ["name", "text"],
  ["public_entity_name", "text"],
  ["public_collection_name", "text"],
  ["label_id", "text"],
  ["entity_category", "text"],
  ["data_service_enabled", "boolean"],
  ["data_management_enabled", "boolean"],
  ["is_read_only", "boolean"],
];

export const PUBLIC_ENTITY_COLUMNS: readonly BulkColumn[] = [
  ["document", "text"],
  ["name", "text"],
  ["entity_set_name", "text"],
  ["label_id", "text"],
  ["is_read_only", "boolean"],
  ["configuration_enabled", "boolean"],
  ["property_count", "int"],
  ["navigation_count", "int"],
  ["action_count", "int"],
  ["group_count", "int"],
];

export const ENUMERATION_COLUMNS: readonly BulkColumn[] = [
  ["name", "text"],
  ["label_id", "text"],
  ["member_count", "int"],
];

export const PROPERTY_COLUMNS: readonly BulkColumn[] = [
  ["entity_id", "int"],
  ["property_order", "int"],
  ["name", "text"],
  ["type_name", "text"],
  ["data_type", "text"],
  ["label_id", "text"],
  ["is_key", "boolean"],
  ["is_mandatory", "boolean"],
  ["configuration_enabled", "boolean"],
  ["allow_edit", "boolean"],
  ["allow_edit_on_create", "boolean"],
  ["is_dimension", "boolean"],
  ["dimension_relation", "text"],
  ["is_dynamic_dimension", "boolean"],
  ["dimension_legal_entity_property", "text"],
  ["dimension_type_property", "text"],
];

export const NAVIGATION_COLUMNS: readonly BulkColumn[] = [
  ["entity_id", "int"],
  ["navigation_order", "int"],
  ["name", "text"],
  ["related_entity", "text"],
  ["related_relation_name", "text"],
  ["cardinality", "text"],
];

export const CONSTRAINT_COLUMNS: readonly BulkColumn[] = [
  ["entity_id", "int"],
  ["navigation_order", "int"],
  ["constraint_order", "int"],
  ["constraint_type", "text"],
  ["property_name", "text"],
  ["referenced_property", "text"],
  ["related_property", "text"],
  ["fixed_value", "bigint"],
  ["fixed_value_str", "text"],
];

export const GROUP_COLUMNS: readonly BulkColumn[] = [
  ["entity_id", "int"],
  ["group_order", "int"],
  ["name", "text"],
];

export const GROUP_MEMBER_COLUMNS: readonly BulkColumn[] = [
  ["entity_id", "int"],
  ["group_order", "int"],
  ["member_order", "int"],
  ["property_name", "text"],
];

export const ACTION_COLUMNS: readonly BulkColumn[] = [
  ["entity_id", "int"],
  ["action_order", "int"],
  ["name", "text"],
  ["binding_kind", "text"],
  ["field_lookup", "text"],
  ["return_type_name", "text"],
  ["return_is_collection", "boolean"],
];

export const PARAMETER_COLUMNS: readonly BulkColumn[] = [
  ["entity_id", "int"],
  ["action_order", "int"],
  ["parameter_order", "int"],
  ["name", "text"],
  ["type_name", "text"],
  ["is_collection", "boolean"],
];

export const ENUMERATION_MEMBER_COLUMNS: readonly BulkColumn[] = [
  ["enumeration_id", "int"],
  ["member_order", "int"],
  ["name", "text"],
  ["value", "bigint"],
  ["label_id", "text"],
  ["configuration_enabled", "boolean"],
];
