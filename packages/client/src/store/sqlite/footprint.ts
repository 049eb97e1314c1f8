/**
 * Real storage sizes: bytes per table (indexes and FTS shadow tables attributed to their table)
 * from the `dbstat` virtual table, counting used bytes of each page (page size minus unused) so
 * that a nearly empty table does not weigh a whole page, and what per-environment copies would take (each linked
 * environment holding its own rows for its version's content, at the measured bytes per row).
 */
import { statSync } from "node:fs";
import type { StorageFootprint } from "../types.js";
import type { SqliteConnection, SqliteDatabase } from "./connection.js";

type Prepare = (sql: string) => {
  all(...params: unknown[]): unknown[];
  get(...params: unknown[]): unknown;
};

const FTS_TABLE = "metadata_search_v2";

/** Metadata tables and how many of their rows one version's content accounts for. */
const VERSION_ROWS: Record<string, string> = {
  data_entities: "SELECT COUNT(*) FROM version_data_entities WHERE global_version_id = @v",
  version_data_entities: "SELECT COUNT(*) FROM version_data_entities WHERE global_version_id = @v",
  public_entities: "SELECT COUNT(*) FROM version_public_entities WHERE global_version_id = @v",
  version_public_entities: "SELECT COUNT(*) FROM version_public_entities WHERE global_version_id = @v",
  entity_properties: `SELECT COALESCE(SUM(p.property_count), 0) FROM version_public_entities v
    JOIN public_entities p ON p.id = v.public_entity_id WHERE v.global_version_id = @v`,
  navigation_properties: `SELECT COALESCE(SUM(p.navigation_count), 0) FROM version_public_entities v
    JOIN public_entities p ON p.id = v.public_entity_id WHERE v.global_version_id = @v`,
  relation_constraints: `SELECT COUNT(*) FROM version_public_entities v
    JOIN navigation_properties n ON n.entity_id = v.public_entity_id
    JOIN relation_constraints c ON c.navigation_property_id = n.id WHERE v.global_version_id = @v`,
  property_groups: `SELECT COUNT(*) FROM version_public_entities v
    JOIN property_groups g ON g.entity_id = v.public_entity_id WHERE v.global_version_id = @v`,
  property_group_members: `SELECT COUNT(*) FROM version_public_entities v
    JOIN property_groups g ON g.entity_id = v.public_entity_id
    JOIN property_group_members m ON m.property_group_id = g.id WHERE v.global_version_id = @v`,
  entity_actions: `SELECT COALESCE(SUM(p.action_count), 0) FROM version_public_entities v
    JOIN public_entities p ON p.id = v.public_entity_id WHERE v.global_version_id = @v`,
  action_parameters: `SELECT COUNT(*) FROM version_public_entities v
    JOIN entity_actions a ON a.entity_id = v.public_entity_id
    JOIN action_parameters ap ON ap.action_id = a.id WHERE v.global_version_id = @v`,
  enumerations: "SELECT COUNT(*) FROM version_enumerations WHERE global_version_id = @v",
  version_enumerations: "SELECT COUNT(*) FROM version_enumerations WHERE global_version_id = @v",
  enumeration_members: `SELECT COALESCE(SUM(e.member_count), 0) FROM version_enumerations v
    JOIN enumerations e ON e.id = v.enumeration_id WHERE v.global_version_id = @v`,
  labels_cache: "SELECT COUNT(*) FROM version_labels WHERE global_version_id = @v",
  version_labels: "SELECT COUNT(*) FROM version_labels WHERE global_version_id = @v",
};

/** Rows of the full-text index are one per definition, property, action, member and label text. */
const FTS_SOURCES = [
  "data_entities",
  "public_entities",
  "entity_properties",
  "entity_actions",
  "enumerations",
  "enumeration_members",
  "labels_cache",
];

function bytesPerTable(db: SqliteDatabase, prepare: Prepare): Map<string, number> | null {
  let rows: { name: string; bytes: number }[];
  try {
    rows = prepare(
      "SELECT name, SUM(pgsize - unused) AS bytes FROM dbstat GROUP BY name",
    ).all() as typeof rows;
  } catch {
    return null;
  }
  const owner = new Map<string, string>();
  for (const r of db.prepare("SELECT name, tbl_name FROM sqlite_schema WHERE type = 'index'").all() as {
    name: string;
    tbl_name: string;
  }[]) {
    owner.set(r.name, r.tbl_name);
  }
  const bytes = new Map<string, number>();
  for (const r of rows) {
    let table = owner.get(r.name) ?? r.name;
    // Both full-text tables (definitions, members) and their shadow tables count as the index.
    if (table.startsWith("metadata_search_")) table = FTS_TABLE;
    else if (table.startsWith("sqlite_autoindex_"))
      table = table.replace(/^sqlite_autoindex_(.*)_\d+$/, "$1");
    bytes.set(table, (bytes.get(table) ?? 0) + r.bytes);
  }
  return bytes;
}

export function computeFootprint(db: SqliteDatabase, prepare: Prepare, totalBytes: number): StorageFootprint {
  const tables = Object.keys(VERSION_ROWS);
  const rowCounts = new Map<string, number>();
  for (const table of tables) {
    rowCounts.set(table, (prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n);
  }
  const ftsRows = FTS_SOURCES.reduce((sum, t) => sum + (rowCounts.get(t) ?? 0), 0);
  const measured = bytesPerTable(db, prepare);
  let tableBytes: Map<string, number>;
  if (measured) {
    tableBytes = measured;
  } else {
    // No dbstat: spread the file over the metadata tables by row share.
    const allRows = tables.reduce((sum, t) => sum + (rowCounts.get(t) ?? 0), 0) + ftsRows;
    tableBytes = new Map(
      tables.map((t) => [t, allRows === 0 ? 0 : (totalBytes * (rowCounts.get(t) ?? 0)) / allRows]),
    );
    tableBytes.set(FTS_TABLE, allRows === 0 ? 0 : (totalBytes * ftsRows) / allRows);
  }
  const metadataBytes = [...tables, FTS_TABLE].reduce((sum, t) => sum + (tableBytes.get(t) ?? 0), 0);
  const perRow = (table: string, rows: number) => (rows === 0 ? 0 : (tableBytes.get(table) ?? 0) / rows);

  const versionBytes = new Map<number, number>();
  const bytesOfVersion = (versionId: number): number => {
    const cached = versionBytes.get(versionId);
    if (cached !== undefined) return cached;
    let bytes = 0;
    const rowsOf = new Map<string, number>();
    for (const table of tables) {
      const n = (prepare(VERSION_ROWS[table]).get({ v: versionId }) as Record<string, number>) ?? {};
      const rows = Object.values(n)[0] ?? 0;
      rowsOf.set(table, rows);
      bytes += perRow(table, rowCounts.get(table) ?? 0) * rows;
    }
    const versionFtsRows = FTS_SOURCES.reduce((sum, t) => sum + (rowsOf.get(t) ?? 0), 0);
    bytes += perRow(FTS_TABLE, ftsRows) * versionFtsRows;
    versionBytes.set(versionId, bytes);
    return bytes;
  };
  let perEnvironmentCopyBytes = 0;
  for (const r of prepare(
    "SELECT global_version_id AS v FROM environment_versions WHERE is_active = 1",
  ).all() as { v: number }[]) {
    perEnvironmentCopyBytes += bytesOfVersion(r.v);
  }
  return {
    totalBytes,
    metadataBytes: Math.round(metadataBytes),
    perEnvironmentCopyBytes: Math.round(perEnvironmentCopyBytes),
  };
}

/** The store's footprint: the file plus its WAL on disk, attributed to metadata as above. */
export function getStorageFootprint(c: SqliteConnection): StorageFootprint {
  c.assertOpen();
  let totalBytes = 0;
  for (const suffix of ["", "-wal"]) {
    try {
      totalBytes += statSync(c.location + suffix).size;
    } catch {
      // No WAL file (checkpointed and removed): nothing to add.
    }
  }
  return computeFootprint(c.db, (sql) => c.stmt(sql), totalBytes);
}
