/**
 * Storage sizes as the server reports them (`pg_total_relation_size`: table, TOAST and indexes;
 * `totalBytes` every table of the schema, `metadataBytes` the non-empty metadata and search
 * tables), and what per-environment copies would take: each linked environment holding its own rows of
 * its version's content at the measured bytes per row (the same model as SQLite's footprint).
 */
import type { StorageFootprint } from "d365fo-client/backend";
import type { Queryable } from "./connection.js";
import { MEMBER_SEARCH_TABLE, METADATA_TABLES, SEARCH_TABLE } from "./schema.js";

/** Rows of each metadata table one version's content accounts for (`$1` = version). */
const VERSION_ROWS: Record<(typeof METADATA_TABLES)[number], string> = {
  data_entities: "SELECT count(*) FROM version_data_entities WHERE global_version_id = $1",
  version_data_entities: "SELECT count(*) FROM version_data_entities WHERE global_version_id = $1",
  public_entities: "SELECT count(*) FROM version_public_entities WHERE global_version_id = $1",
  version_public_entities: "SELECT count(*) FROM version_public_entities WHERE global_version_id = $1",
  entity_properties: `SELECT COALESCE(sum(p.property_count), 0) FROM version_public_entities v
    JOIN public_entities p ON p.id = v.public_entity_id WHERE v.global_version_id = $1`,
  navigation_properties: `SELECT COALESCE(sum(p.navigation_count), 0) FROM version_public_entities v
    JOIN public_entities p ON p.id = v.public_entity_id WHERE v.global_version_id = $1`,
  relation_constraints: `SELECT count(*) FROM version_public_entities v
    JOIN relation_constraints c ON c.entity_id = v.public_entity_id WHERE v.global_version_id = $1`,
  property_groups: `SELECT COALESCE(sum(p.group_count), 0) FROM version_public_entities v
    JOIN public_entities p ON p.id = v.public_entity_id WHERE v.global_version_id = $1`,
  property_group_members: `SELECT count(*) FROM version_public_entities v
    JOIN property_group_members m ON m.entity_id = v.public_entity_id WHERE v.global_version_id = $1`,
  entity_actions: `SELECT COALESCE(sum(p.action_count), 0) FROM version_public_entities v
    JOIN public_entities p ON p.id = v.public_entity_id WHERE v.global_version_id = $1`,
  action_parameters: `SELECT count(*) FROM version_public_entities v
    JOIN action_parameters ap ON ap.entity_id = v.public_entity_id WHERE v.global_version_id = $1`,
  enumerations: "SELECT count(*) FROM version_enumerations WHERE global_version_id = $1",
  version_enumerations: "SELECT count(*) FROM version_enumerations WHERE global_version_id = $1",
  enumeration_members: `SELECT COALESCE(sum(e.member_count), 0) FROM version_enumerations v
    JOIN enumerations e ON e.id = v.enumeration_id WHERE v.global_version_id = $1`,
  labels_cache: "SELECT count(*) FROM version_labels WHERE global_version_id = $1",
  version_labels: "SELECT count(*) FROM version_labels WHERE global_version_id = $1",
};

/** Which tables' rows have a search row each, per search table. */
const SEARCH_SOURCES: Record<string, readonly string[]> = {
  [SEARCH_TABLE]: ["data_entities", "public_entities", "enumerations", "labels_cache"],
  [MEMBER_SEARCH_TABLE]: ["entity_properties", "entity_actions", "enumeration_members"],
};

export async function getStorageFootprint(db: Queryable): Promise<StorageFootprint> {
  const tables = [...METADATA_TABLES, SEARCH_TABLE, MEMBER_SEARCH_TABLE];
  // Table names are this module's constants, never input.
  const [counts] = await db.query<Record<string, number>>(
    `SELECT ${tables.map((t) => `(SELECT count(*)::float8 FROM ${t}) AS ${t}`).join(", ")}`,
  );
  const sizes = await db.query<{ table_name: string; bytes: number }>(
    `SELECT t.table_name, pg_total_relation_size(to_regclass(t.table_name))::float8 AS bytes
     FROM unnest($1::text[]) AS t(table_name)`,
    [tables],
  );
  const bytes = new Map(sizes.map((s) => [s.table_name, s.bytes]));
  const rows = new Map(tables.map((t) => [t, counts[t]]));
  const [{ total }] = await db.query<{ total: number }>(
    `SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0)::float8 AS total FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm', 'p')`,
  );
  // An empty table's pages and index metapages hold no content: not counted as metadata bytes.
  const metadataBytes = tables.reduce(
    (sum, t) => sum + ((rows.get(t) ?? 0) > 0 ? (bytes.get(t) ?? 0) : 0),
    0,
  );
  const perRow = (table: string) => {
    const n = rows.get(table) ?? 0;
    return n === 0 ? 0 : (bytes.get(table) ?? 0) / n;
  };
  const versionBytes = new Map<number, number>();
  let perEnvironmentCopyBytes = 0;
  for (const { v } of await db.query<{ v: number }>(
    "SELECT global_version_id AS v FROM environment_versions WHERE is_active",
  )) {
    let versionTotal = versionBytes.get(v);
    if (versionTotal === undefined) {
      versionTotal = 0;
      const versionRows = new Map<string, number>();
      for (const table of METADATA_TABLES) {
        const [row] = await db.query<Record<string, unknown>>(VERSION_ROWS[table], [v]);
        const n = Number(Object.values(row)[0] ?? 0);
        versionRows.set(table, n);
        versionTotal += perRow(table) * n;
      }
      for (const [searchTable, sources] of Object.entries(SEARCH_SOURCES)) {
        const n = sources.reduce((sum, t) => sum + (versionRows.get(t) ?? 0), 0);
        versionTotal += perRow(searchTable) * n;
      }
      versionBytes.set(v, versionTotal);
    }
    perEnvironmentCopyBytes += versionTotal;
  }
  return {
    totalBytes: Number(total),
    metadataBytes: Math.round(metadataBytes),
    perEnvironmentCopyBytes: Math.round(perEnvironmentCopyBytes),
  };
}
