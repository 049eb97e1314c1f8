/**
 * Consistency checks (SQLite's own integrity and foreign-key checks, the search indexes, reference
 * counts) and the row count the tests use to assert that a shared sync wrote nothing.
 */
import Database from "better-sqlite3";
import type { IntegrityReport } from "../types.js";
import type { SqliteConnection } from "./connection.js";
import { MEMBER_SEARCH_TABLE, SEARCH_TABLE } from "./search-index.js";

export function countMetadataRows(c: SqliteConnection): number {
  const tables = [
    "data_entities",
    "version_data_entities",
    "public_entities",
    "version_public_entities",
    "entity_properties",
    "navigation_properties",
    "relation_constraints",
    "property_groups",
    "property_group_members",
    "entity_actions",
    "action_parameters",
    "enumerations",
    "version_enumerations",
    "enumeration_members",
    "labels_cache",
    "version_labels",
  ];
  return c
    .stmt(`SELECT ${tables.map((t) => `(SELECT COUNT(*) FROM ${t})`).join(" + ")}`)
    .pluck()
    .get() as number;
}

export function checkIntegrity(c: SqliteConnection): IntegrityReport {
  c.assertOpen();
  const messages: string[] = [];
  for (const r of c.db.pragma("integrity_check") as { integrity_check: string }[]) {
    if (r.integrity_check !== "ok") messages.push(r.integrity_check);
  }
  for (const r of c.db.pragma("foreign_key_check") as {
    table: string;
    rowid: number;
    parent: string;
  }[]) {
    messages.push(`foreign key violation: ${r.table} row ${r.rowid} -> ${r.parent}`);
  }
  // Every definition, label text and member has exactly one row in its index.
  const expected: [string, string][] = [
    [
      SEARCH_TABLE,
      `SELECT (SELECT COUNT(*) FROM data_entities) + (SELECT COUNT(*) FROM public_entities)
        + (SELECT COUNT(*) FROM enumerations) + (SELECT COUNT(*) FROM labels_cache)`,
    ],
    [
      MEMBER_SEARCH_TABLE,
      `SELECT (SELECT COUNT(*) FROM entity_properties) + (SELECT COUNT(*) FROM entity_actions)
        + (SELECT COUNT(*) FROM enumeration_members)`,
    ],
  ];
  for (const [table, countSql] of expected) {
    // FTS5's integrity check is issued as a write: not possible on a read-only store.
    if (!c.readOnly) {
      try {
        c.db.exec(`INSERT INTO ${table}(${table}) VALUES ('integrity-check')`);
      } catch (error) {
        messages.push(`search index ${table}: ${(error as Error).message}`);
      }
    }
    const indexed = c.stmt(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
    const indexable = c.stmt(countSql).pluck().get() as number;
    if (indexed !== indexable)
      messages.push(`search index ${table} has ${indexed} rows for ${indexable} items`);
  }
  const badCounts = c.all<{ id: number; reference_count: number; linked: number }>(
    `SELECT g.id, g.reference_count, (SELECT COUNT(*) FROM environment_versions ev
       WHERE ev.global_version_id = g.id AND ev.is_active = 1) AS linked
     FROM global_versions g WHERE g.reference_count <> linked`,
  );
  for (const r of badCounts) {
    messages.push(
      `global version ${r.id}: reference_count ${r.reference_count} but ${r.linked} linked environments`,
    );
  }
  return { ok: messages.length === 0, messages };
}

/**
 * Whether this process's SQLite has FTS5 (the search index needs it): creates and queries an FTS5
 * table in a private in-memory database.
 */
export function probeSqliteFts5(): { ok: boolean; detail: string } {
  let db: Database.Database | undefined;
  try {
    db = new Database(":memory:");
    const version = db.prepare("SELECT sqlite_version()").pluck().get() as string;
    db.exec("CREATE VIRTUAL TABLE probe USING fts5(body)");
    db.prepare("INSERT INTO probe(body) VALUES (?)").run("customer account");
    const hits = db.prepare("SELECT COUNT(*) FROM probe WHERE probe MATCH ?").pluck().get('"customer"');
    if (hits !== 1) return { ok: false, detail: `SQLite ${version}: an FTS5 query returned no row` };
    return { ok: true, detail: `SQLite ${version}, FTS5 works` };
  } catch (error) {
    return { ok: false, detail: `better-sqlite3 / FTS5 unavailable: ${(error as Error).message}` };
  } finally {
    db?.close();
  }
}
