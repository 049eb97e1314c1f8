/** Row shapes of the SQLite tables and their mapping to the store's records. */
import type { RelationConstraint } from "../../metadata/models.js";
import type { EnvironmentRecord, GlobalVersionRecord, VersionStatus, VersionTrust } from "../types.js";

export interface EnvironmentRow {
  id: number;
  base_url: string;
  environment_name: string | null;
  created_at: number;
  last_sync_at: number | null;
  last_version_check: number | null;
  version_id: number | null;
}

export interface GlobalVersionRow {
  id: number;
  version_hash: string;
  modules_hash: string;
  status: string;
  first_seen_at: number;
  last_used_at: number;
  completed_at: number | null;
  reference_count: number;
  module_count: number;
  application_version: string | null;
  application_build_version: string | null;
  platform_version: string | null;
  created_by_environment_id: number | null;
  trust: string;
}

const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

export function toEnvironmentRecord(row: EnvironmentRow): EnvironmentRecord {
  return {
    id: row.id,
    baseUrl: row.base_url,
    name: row.environment_name ?? row.base_url,
    createdAt: new Date(row.created_at),
    lastSyncAt: date(row.last_sync_at),
    lastVersionCheckAt: date(row.last_version_check),
    versionId: row.version_id,
  };
}

export function toVersionRecord(row: GlobalVersionRow): GlobalVersionRecord {
  return {
    id: row.id,
    versionHash: row.version_hash,
    modulesHash: row.modules_hash,
    status: row.status as VersionStatus,
    firstSeenAt: new Date(row.first_seen_at),
    lastUsedAt: new Date(row.last_used_at),
    completedAt: date(row.completed_at),
    referenceCount: row.reference_count,
    moduleCount: row.module_count,
    applicationVersion: row.application_version,
    applicationBuildVersion: row.application_build_version,
    platformVersion: row.platform_version,
    createdByEnvironmentId: row.created_by_environment_id,
    trust: row.trust as VersionTrust,
  };
}

export const bit = (value: boolean): number => (value ? 1 : 0);

export interface PublicEntityRow {
  id: number;
  name: string;
  entity_set_name: string;
  label_id: string | null;
  is_read_only: number;
  configuration_enabled: number;
  property_count: number;
  navigation_count: number;
  action_count: number;
  /** The entity's canonical document, packed (schema 5 on); null only if a back-fill never ran. */
  document: Uint8Array | string | null;
}

export interface ConstraintRow {
  navigation_property_id: number;
  constraint_type: string;
  property_name: string | null;
  referenced_property: string | null;
  related_property: string | null;
  fixed_value: number | null;
  fixed_value_str: string | null;
}

export function toConstraint(c: ConstraintRow): RelationConstraint {
  switch (c.constraint_type) {
    case "Referential":
      return {
        kind: "Referential",
        property: c.property_name ?? "",
        referencedProperty: c.referenced_property ?? "",
      };
    case "Fixed":
      return {
        kind: "Fixed",
        property: c.property_name ?? "",
        value: c.fixed_value,
        valueStr: c.fixed_value_str,
      };
    default:
      return {
        kind: "RelatedFixed",
        relatedProperty: c.related_property ?? "",
        value: c.fixed_value,
        valueStr: c.fixed_value_str,
      };
  }
}
