/**
 * Label texts. A text is stored once per (label id, language, text) in `labels_cache` and a version
 * lists the texts it contains in `version_labels` (keyed by label key and language: one each). Label ids are
 * case-insensitive: every comparison goes through `label_key = lower(label_id)`, computed by the
 * database on both sides so the two can never disagree. Texts fetched on demand live apart, in
 * `fetched_labels`: not version content, no lease needed, no search index row, nothing invalidated.
 */

import type { Label } from "d365fo-client";
import { ConfigurationError } from "d365fo-client";
import type { WriteResult } from "d365fo-client/backend";
import { bulkInsert, type PgConnection, type Queryable } from "./connection.js";
import { unknownReference } from "./errors.js";
import { SEARCH_TABLE } from "./schema.js";
import { labelSearchRow, SEARCH_COLUMNS } from "./search.js";
import { beginMetadataWrite } from "./writes.js";

interface NormalizedLabel {
  id: string;
  language: string;
  text: string;
}

/** Validated, languages lowercased; the last text of one id and language wins (as sequential writes). */
function normalize(labels: readonly Label[]): NormalizedLabel[] {
  const byKey = new Map<string, NormalizedLabel>();
  for (const label of labels) {
    if (
      typeof label?.id !== "string" ||
      typeof label.value !== "string" ||
      typeof label.language !== "string"
    ) {
      throw new ConfigurationError("A label needs a string id, language and value");
    }
    const language = label.language.toLowerCase();
    const key = `${label.id.toLowerCase()}\u0000${language}`;
    byKey.delete(key);
    byKey.set(key, { id: label.id, language, text: label.value });
  }
  // Sorted, so two machines inserting overlapping texts take their locks in the same order.
  return [...byKey.values()].sort((a, b) =>
    a.id < b.id ? -1 : a.id > b.id ? 1 : a.language < b.language ? -1 : a.language > b.language ? 1 : 0,
  );
}

const INPUT = `unnest($1::text[], $2::text[], $3::text[]) AS u(label_id, language, label_text)`;

export async function writeLabels(
  db: PgConnection,
  versionId: number,
  labels: readonly Label[],
): Promise<WriteResult> {
  const items = normalize(labels);
  const arrays = [items.map((l) => l.id), items.map((l) => l.language), items.map((l) => l.text)];
  return db.transaction(async (tx) => {
    await beginMetadataWrite(tx, versionId);
    if (items.length === 0) return { rowsWritten: 0, definitionsReused: 0 };
    const inserted = await tx.query<{ id: number; label_id: string; label_text: string }>(
      `INSERT INTO labels_cache (label_id, label_key, language, label_text)
       SELECT u.label_id, lower(u.label_id), u.language, u.label_text FROM ${INPUT}
       ON CONFLICT (label_key, language, md5(label_text)) DO NOTHING
       RETURNING id, label_id, label_text`,
      arrays,
    );
    await bulkInsert(
      tx,
      SEARCH_TABLE,
      SEARCH_COLUMNS,
      inserted.map((r) => labelSearchRow(r.id, r.label_id, r.label_text)),
    );
    // The version's text per id and language (its primary key): linked, or replaced when it differs.
    const linked = await tx.execute(
      `INSERT INTO version_labels (global_version_id, label_key, language, label_text_id)
       SELECT $4, lt.label_key, lt.language, lt.id FROM ${INPUT}
       -- One unique-index probe per label (LIMIT keeps it a per-row lookup, never a hash of every text).
       CROSS JOIN LATERAL (
         SELECT id, label_key, language FROM labels_cache
         WHERE label_key = lower(u.label_id) AND language = u.language
           AND md5(label_text) = md5(u.label_text) AND label_text = u.label_text
         LIMIT 1) lt
       ON CONFLICT (global_version_id, label_key, language) DO UPDATE SET label_text_id = excluded.label_text_id
       WHERE version_labels.label_text_id <> excluded.label_text_id`,
      [...arrays, versionId],
    );
    return { rowsWritten: inserted.length + linked, definitionsReused: labels.length - inserted.length };
  });
}

export async function storeFetchedLabels(
  db: PgConnection,
  versionId: number,
  labels: readonly Label[],
): Promise<void> {
  const items = normalize(labels);
  if (items.length === 0) return;
  try {
    await db.execute(
      `INSERT INTO fetched_labels (global_version_id, label_key, language, label_id, label_text)
       SELECT $4, lower(u.label_id), u.language, u.label_id, u.label_text FROM ${INPUT}
       ON CONFLICT (global_version_id, label_key, language)
       DO UPDATE SET label_id = excluded.label_id, label_text = excluded.label_text, fetched_at = now()`,
      [items.map((l) => l.id), items.map((l) => l.language), items.map((l) => l.text), versionId],
    );
  } catch (error) {
    throw (
      unknownReference((error as { cause?: unknown }).cause, `Unknown global version id ${versionId}`) ??
      error
    );
  }
}

/** Distinct label ids used by the version's definitions (entities, properties, enumerations, members). */
const REFERENCED_LABELS = `
  SELECT d.label_id FROM version_data_entities v JOIN data_entities d ON d.id = v.data_entity_id
    WHERE v.global_version_id = $1 AND d.label_id IS NOT NULL
  UNION SELECT p.label_id FROM version_public_entities v JOIN public_entities p ON p.id = v.public_entity_id
    WHERE v.global_version_id = $1 AND p.label_id IS NOT NULL
  UNION SELECT ep.label_id FROM version_public_entities v JOIN entity_properties ep ON ep.entity_id = v.public_entity_id
    WHERE v.global_version_id = $1 AND ep.label_id IS NOT NULL
  UNION SELECT e.label_id FROM version_enumerations v JOIN enumerations e ON e.id = v.enumeration_id
    WHERE v.global_version_id = $1 AND e.label_id IS NOT NULL
  UNION SELECT m.label_id FROM version_enumerations v JOIN enumeration_members m ON m.enumeration_id = v.enumeration_id
    WHERE v.global_version_id = $1 AND m.label_id IS NOT NULL`;

/** The version's own text (written by a sync) for label key `$2` in language `$3`. */
const VERSION_TEXT = `SELECT lt.label_text FROM version_labels vl JOIN labels_cache lt ON lt.id = vl.label_text_id
  WHERE vl.global_version_id = $1 AND vl.label_key = lower($2) AND vl.language = $3`;

export async function listMissingLabelIds(
  db: Queryable,
  versionId: number,
  language: string,
): Promise<string[]> {
  const rows = await db.query<{ label_id: string }>(
    `SELECT r.label_id FROM (${REFERENCED_LABELS}) r
     WHERE r.label_id <> '' AND NOT EXISTS (
       SELECT 1 FROM version_labels vl
       WHERE vl.global_version_id = $1 AND vl.label_key = lower(r.label_id) AND vl.language = $2)
     ORDER BY r.label_id COLLATE "C"`,
    [versionId, language.toLowerCase()],
  );
  return rows.map((r) => r.label_id);
}

export async function listReferencedLabelIds(db: Queryable, versionId: number): Promise<string[]> {
  const rows = await db.query<{ label_id: string }>(
    `SELECT label_id FROM (${REFERENCED_LABELS}) r ORDER BY label_id COLLATE "C"`,
    [versionId],
  );
  return rows.map((r) => r.label_id);
}

export async function getLabel(
  db: Queryable,
  versionId: number,
  id: string,
  language: string,
): Promise<string | undefined> {
  const [row] = await db.query<{ text: string | null }>(
    `SELECT COALESCE((${VERSION_TEXT}),
       (SELECT label_text FROM fetched_labels WHERE global_version_id = $1 AND label_key = lower($2) AND language = $3)) AS text`,
    [versionId, id, language.toLowerCase()],
  );
  return row?.text ?? undefined;
}

export async function getLabels(
  db: Queryable,
  versionId: number,
  ids: readonly string[],
  language: string,
): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  const asked = [...new Set(ids.filter((id) => typeof id === "string"))];
  if (asked.length === 0) return result;
  const rows = await db.query<{ id: string; text: string }>(
    `SELECT u.id, COALESCE(w.label_text, f.label_text) AS text
     FROM unnest($2::text[]) AS u(id)
     LEFT JOIN version_labels vl ON vl.global_version_id = $1 AND vl.label_key = lower(u.id) AND vl.language = $3
     LEFT JOIN labels_cache w ON w.id = vl.label_text_id
     LEFT JOIN fetched_labels f ON f.global_version_id = $1 AND f.label_key = lower(u.id) AND f.language = $3
     WHERE w.label_text IS NOT NULL OR f.label_text IS NOT NULL`,
    [versionId, asked, language.toLowerCase()],
  );
  for (const r of rows) result.set(r.id, r.text);
  return result;
}
