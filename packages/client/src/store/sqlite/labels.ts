/**
 * Label texts: synced texts (`writeLabels`, part of the version's content), texts fetched on
 * demand (`storeFetchedLabels`, in `fetched_labels`, outside the content hash, counts and search
 * index), lookups and the ids still missing. Label ids are compared without case, as D365 does.
 */
import { ConfigurationError } from "../../errors.js";
import type { Label } from "../../metadata/models.js";
import type { WriteResult } from "../types.js";
import type { SqliteConnection } from "./connection.js";
import { requireVersion } from "./environments.js";
import { INDEX_SQL, searchRowId } from "./search-index.js";

export function writeLabels(c: SqliteConnection, versionId: number, labels: readonly Label[]): WriteResult {
  return c.writeContent(() => {
    requireVersion(c, versionId);
    const result: WriteResult = { rowsWritten: 0, definitionsReused: 0 };
    const find = c
      .stmt("SELECT id FROM labels_cache WHERE label_id = ? AND language = ? AND label_text = ?")
      .pluck();
    const findOtherCase = c
      .stmt(
        "SELECT id FROM labels_cache WHERE label_id = ? COLLATE NOCASE AND language = ? AND label_text = ?",
      )
      .pluck();
    const insert = c.stmt(
      "INSERT INTO labels_cache (label_id, language, label_text, created_at) VALUES (?, ?, ?, ?)",
    );
    const index = c.stmt(INDEX_SQL);
    const current = c
      .stmt(
        `SELECT vl.label_text_id FROM labels_cache lt
       CROSS JOIN version_labels vl ON vl.global_version_id = ? AND vl.label_text_id = lt.id
       WHERE lt.label_id = ? COLLATE NOCASE AND lt.language = ?`,
      )
      .pluck();
    const unlink = c.stmt("DELETE FROM version_labels WHERE global_version_id = ? AND label_text_id = ?");
    const link = c.stmt("INSERT INTO version_labels (global_version_id, label_text_id) VALUES (?, ?)");
    const now = Date.now();
    for (const label of labels) {
      if (
        typeof label.id !== "string" ||
        typeof label.value !== "string" ||
        typeof label.language !== "string"
      ) {
        throw new ConfigurationError("A label needs a string id, language and value");
      }
      const language = label.language.toLowerCase();
      // Label ids are case-insensitive: an identical text under another case is the same label.
      let textId = (find.get(label.id, language, label.value) ??
        findOtherCase.get(label.id, language, label.value)) as number | undefined;
      if (textId === undefined) {
        textId = Number(insert.run(label.id, language, label.value, now).lastInsertRowid);
        index.run(searchRowId(textId, 0, "label"), "", "", "", label.value);
        result.rowsWritten += 1;
      } else {
        result.definitionsReused += 1;
      }
      const linked = current.get(versionId, label.id, language) as number | undefined;
      if (linked === textId) continue;
      if (linked !== undefined) unlink.run(versionId, linked);
      link.run(versionId, textId);
      result.rowsWritten += 1;
    }
    return result;
  });
}

/** Distinct label ids used by the version's definitions (entities, properties, enumerations, members). */
const REFERENCED_LABELS = `
  SELECT d.label_id FROM version_data_entities v JOIN data_entities d ON d.id = v.data_entity_id
    WHERE v.global_version_id = @v AND d.label_id IS NOT NULL
  UNION SELECT p.label_id FROM version_public_entities v JOIN public_entities p ON p.id = v.public_entity_id
    WHERE v.global_version_id = @v AND p.label_id IS NOT NULL
  UNION SELECT ep.label_id FROM version_public_entities v JOIN entity_properties ep ON ep.entity_id = v.public_entity_id
    WHERE v.global_version_id = @v AND ep.label_id IS NOT NULL
  UNION SELECT e.label_id FROM version_enumerations v JOIN enumerations e ON e.id = v.enumeration_id
    WHERE v.global_version_id = @v AND e.label_id IS NOT NULL
  UNION SELECT m.label_id FROM version_enumerations v JOIN enumeration_members m ON m.enumeration_id = v.enumeration_id
    WHERE v.global_version_id = @v AND m.label_id IS NOT NULL`;

export function listMissingLabelIds(c: SqliteConnection, versionId: number, language: string): string[] {
  // One id per case-insensitive label (the smallest spelling), as D365 treats them as one.
  return c
    .stmt(
      `SELECT MIN(r.label_id) FROM (${REFERENCED_LABELS}) r
     WHERE r.label_id <> '' AND NOT EXISTS (
       SELECT 1 FROM labels_cache lt CROSS JOIN version_labels vl ON vl.global_version_id = @v AND vl.label_text_id = lt.id
       WHERE lt.label_id = r.label_id COLLATE NOCASE AND lt.language = @lang)
     GROUP BY r.label_id COLLATE NOCASE ORDER BY 1`,
    )
    .pluck()
    .all({ v: versionId, lang: language.toLowerCase() }) as string[];
}

export function listReferencedLabelIds(c: SqliteConnection, versionId: number): string[] {
  return c
    .stmt(`SELECT label_id FROM (${REFERENCED_LABELS}) ORDER BY label_id`)
    .pluck()
    .all({ v: versionId }) as string[];
}

/** Lookup passes, cheapest first: the exact id (most ids are asked as the metadata spells them). */
const LOOKUPS = [
  `SELECT j.value, lt.label_text FROM (SELECT DISTINCT value FROM json_each(@ids)) j
   CROSS JOIN labels_cache lt ON lt.label_id = j.value AND lt.language = @lang
   CROSS JOIN version_labels vl ON vl.global_version_id = @v AND vl.label_text_id = lt.id`,
  // Then without case (`@sys7149` for `@SYS7149`).
  `SELECT j.value, lt.label_text FROM (SELECT DISTINCT value FROM json_each(@ids)) j
   CROSS JOIN labels_cache lt ON lt.label_id = j.value COLLATE NOCASE AND lt.language = @lang
   CROSS JOIN version_labels vl ON vl.global_version_id = @v AND vl.label_text_id = lt.id`,
  // Then texts fetched on demand (NOCASE column).
  `SELECT j.value, f.label_text FROM (SELECT DISTINCT value FROM json_each(@ids)) j
   CROSS JOIN fetched_labels f ON f.global_version_id = @v AND f.language = @lang AND f.label_id = j.value`,
];

/**
 * Synced texts (`version_labels`) first, then texts fetched on demand; ids compared without case.
 * Each pass asks only for the ids the previous ones did not find, so the common case is one join.
 */
export function getLabels(
  c: SqliteConnection,
  versionId: number,
  ids: readonly string[],
  language: string,
): Map<string, string> {
  const result = new Map<string, string>();
  let remaining = [...new Set(ids.filter((id) => typeof id === "string"))];
  const lang = language.toLowerCase();
  for (const sql of LOOKUPS) {
    if (remaining.length === 0) break;
    for (const [id, text] of c.allRaw(sql, { ids: JSON.stringify(remaining), v: versionId, lang })) {
      if (!result.has(id as string)) result.set(id as string, text as string);
    }
    if (result.size > 0) remaining = remaining.filter((id) => !result.has(id));
  }
  return result;
}

export function getLabel(
  c: SqliteConnection,
  versionId: number,
  id: string,
  language: string,
): string | undefined {
  if (typeof id !== "string") return undefined;
  return getLabels(c, versionId, [id], language).get(id);
}

export function storeFetchedLabels(c: SqliteConnection, versionId: number, labels: readonly Label[]): void {
  for (const label of labels) {
    if (
      typeof label?.id !== "string" ||
      typeof label.value !== "string" ||
      typeof label.language !== "string" ||
      label.id === ""
    ) {
      throw new ConfigurationError("A label needs a string id, language and value");
    }
  }
  if (labels.length === 0) return;
  // Not a metadata write: no search scope depends on fetched texts, so none is dropped.
  c.write(() => {
    requireVersion(c, versionId);
    const upsert = c.stmt(
      `INSERT INTO fetched_labels (global_version_id, language, label_id, label_text, fetched_at)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(global_version_id, language, label_id) DO UPDATE SET label_text = excluded.label_text,
         fetched_at = excluded.fetched_at`,
    );
    const now = Date.now();
    for (const l of labels) upsert.run(versionId, l.language.toLowerCase(), l.id, l.value, now);
  });
}
