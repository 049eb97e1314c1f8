/**
 * Full-text search over the deduplicated index: the FTS5 table holds each definition and label
 * text once; a hit belongs to the queried version only if its definition (or label text) is a
 * member of that version. One statement per query shape (cached by SQL text): match, scope to the
 * version, filter, rank (exact name, name prefix, bm25) and page, with the total in a window count.
 */

import { buildFtsMatch, meaningfulTerms, nameKey, splitIdentifierWords } from "../search-terms.js";
import type { SearchKind, StoreSearchHit, StoreSearchQuery, StoreSearchResult } from "../types.js";
import { SEARCH_KIND_CODES } from "./schema.js";

type Prepare = (sql: string) => {
  all(...params: unknown[]): unknown[];
  get(...params: unknown[]): unknown;
};

const ALL_KINDS: readonly SearchKind[] = [
  "dataEntity",
  "publicEntity",
  "property",
  "enumeration",
  "enumMember",
  "action",
  "label",
];

interface HitRow {
  kind: SearchKind;
  owner_kind: SearchKind | null;
  name: string;
  member_name: string | null;
  match_name: string | null;
  alt_name: string | null;
  label_id: string | null;
  label_text: string | null;
  score: number;
  tier: number;
  total: number;
}

/** Data entity of a public entity within the version (for category / OData-enabled filters). */
const dataEntityOf = (
  publicAlias: string,
) => `LEFT JOIN data_entities de ON de.public_entity_name = ${publicAlias}.name
  AND EXISTS (SELECT 1 FROM version_data_entities vd WHERE vd.data_entity_id = de.id AND vd.global_version_id = @v)`;

function branches(kinds: ReadonlySet<SearchKind>, needDataEntity: boolean): string[] {
  const code = SEARCH_KIND_CODES;
  const deCols = needDataEntity ? "de.entity_category, de.data_service_enabled" : "NULL, NULL";
  const out: string[] = [];
  if (kinds.has("dataEntity")) {
    out.push(`SELECT 'dataEntity' AS kind, NULL AS owner_kind, d.name AS name, NULL AS member_name,
        d.name AS match_name, d.public_collection_name AS alt_name, d.label_id AS label_id, NULL AS label_text,
        m.score AS score, d.entity_category AS category, d.data_service_enabled AS dse, d.is_read_only AS ro
      FROM m JOIN data_entities d ON d.id = (m.r >> 3)
      JOIN version_data_entities v ON v.global_version_id = @v AND v.name = d.name AND v.data_entity_id = d.id
      WHERE (m.r & 7) = ${code.dataEntity}`);
  }
  if (kinds.has("publicEntity")) {
    out.push(`SELECT 'publicEntity', NULL, p.name, NULL, p.name, p.entity_set_name, p.label_id, NULL, m.score,
        ${deCols}, p.is_read_only
      FROM m JOIN public_entities p ON p.id = (m.r >> 3)
      JOIN version_public_entities v ON v.global_version_id = @v AND v.name = p.name AND v.public_entity_id = p.id
      ${needDataEntity ? dataEntityOf("p") : ""}
      WHERE (m.r & 7) = ${code.publicEntity}`);
  }
  if (kinds.has("property")) {
    out.push(`SELECT 'property', NULL, p.name, ep.name, ep.name, NULL, ep.label_id, NULL, m.score,
        ${deCols}, p.is_read_only
      FROM m JOIN entity_properties ep ON ep.id = (m.r >> 3)
      JOIN public_entities p ON p.id = ep.entity_id
      JOIN version_public_entities v ON v.global_version_id = @v AND v.name = p.name AND v.public_entity_id = p.id
      ${needDataEntity ? dataEntityOf("p") : ""}
      WHERE (m.r & 7) = ${code.property}`);
  }
  if (kinds.has("action")) {
    out.push(`SELECT 'action', NULL, p.name, a.name, a.name, NULL, NULL, NULL, m.score,
        ${deCols}, p.is_read_only
      FROM m JOIN entity_actions a ON a.id = (m.r >> 3)
      JOIN public_entities p ON p.id = a.entity_id
      JOIN version_public_entities v ON v.global_version_id = @v AND v.name = p.name AND v.public_entity_id = p.id
      ${needDataEntity ? dataEntityOf("p") : ""}
      WHERE (m.r & 7) = ${code.action}`);
  }
  if (kinds.has("enumeration")) {
    out.push(`SELECT 'enumeration', NULL, e.name, NULL, e.name, NULL, e.label_id, NULL, m.score, NULL, NULL, NULL
      FROM m JOIN enumerations e ON e.id = (m.r >> 3)
      JOIN version_enumerations v ON v.global_version_id = @v AND v.name = e.name AND v.enumeration_id = e.id
      WHERE (m.r & 7) = ${code.enumeration}`);
  }
  if (kinds.has("enumMember")) {
    out.push(`SELECT 'enumMember', NULL, e.name, em.name, em.name, NULL, em.label_id, NULL, m.score, NULL, NULL, NULL
      FROM m JOIN enumeration_members em ON em.id = (m.r >> 3)
      JOIN enumerations e ON e.id = em.enumeration_id
      JOIN version_enumerations v ON v.global_version_id = @v AND v.name = e.name AND v.enumeration_id = e.id
      WHERE (m.r & 7) = ${code.enumMember}`);
  }
  if (kinds.has("label")) {
    const labelFrom = `FROM m JOIN labels_cache lt ON lt.id = (m.r >> 3) AND lt.language = @lang
      JOIN version_labels vl ON vl.global_version_id = @v AND vl.label_text_id = lt.id`;
    out.push(`SELECT 'label', 'dataEntity', d.name, NULL, NULL, NULL, lt.label_id, lt.label_text, m.score,
        d.entity_category, d.data_service_enabled, d.is_read_only
      ${labelFrom}
      JOIN data_entities d ON d.label_id = lt.label_id
      JOIN version_data_entities v ON v.global_version_id = @v AND v.name = d.name AND v.data_entity_id = d.id
      WHERE (m.r & 7) = ${code.label}`);
    out.push(`SELECT 'label', 'publicEntity', p.name, NULL, NULL, NULL, lt.label_id, lt.label_text, m.score,
        ${deCols}, p.is_read_only
      ${labelFrom}
      JOIN public_entities p ON p.label_id = lt.label_id
      JOIN version_public_entities v ON v.global_version_id = @v AND v.name = p.name AND v.public_entity_id = p.id
      ${needDataEntity ? dataEntityOf("p") : ""}
      WHERE (m.r & 7) = ${code.label}`);
    out.push(`SELECT 'label', 'enumeration', e.name, NULL, NULL, NULL, lt.label_id, lt.label_text, m.score,
        NULL, NULL, NULL
      ${labelFrom}
      JOIN enumerations e ON e.label_id = lt.label_id
      JOIN version_enumerations v ON v.global_version_id = @v AND v.name = e.name AND v.enumeration_id = e.id
      WHERE (m.r & 7) = ${code.label}`);
  }
  return out;
}

function buildSql(kinds: ReadonlySet<SearchKind>, query: StoreSearchQuery): { page: string; count: string } {
  const needDataEntity = query.entityCategory !== undefined || query.dataServiceEnabled !== undefined;
  const filters: string[] = [];
  if (query.entityCategory !== undefined) filters.push("category = @cat");
  if (query.dataServiceEnabled !== undefined) filters.push("dse = @dse");
  if (query.isReadOnly !== undefined) filters.push("ro = @ro");
  const where = filters.length > 0 ? `WHERE ${filters.join(" AND ")}` : "";
  const head = `WITH m AS MATERIALIZED (
      SELECT rowid AS r, bm25(metadata_search_v2, 10.0, 4.0) AS score
      FROM metadata_search_v2 WHERE metadata_search_v2 MATCH @match),
    h (kind, owner_kind, name, member_name, match_name, alt_name, label_id, label_text, score, category, dse, ro)
      AS (${branches(kinds, needDataEntity).join("\nUNION ALL\n")})`;
  const tier = `CASE
      WHEN lower(match_name) = @key OR lower(alt_name) = @key THEN 0
      WHEN substr(lower(match_name), 1, @keylen) = @key OR substr(lower(alt_name), 1, @keylen) = @key THEN 1
      ELSE 2 END`;
  return {
    page: `${head}
      SELECT kind, owner_kind, name, member_name, match_name, alt_name, label_id, label_text, score,
        ${tier} AS tier, COUNT(*) OVER () AS total
      FROM h ${where}
      ORDER BY tier, score, name, member_name
      LIMIT @limit OFFSET @offset`,
    count: `${head} SELECT COUNT(*) AS total FROM h ${where}`,
  };
}

function containsAll(haystack: string, terms: readonly string[]): boolean {
  return terms.every((t) => haystack.includes(t));
}

function toHit(row: HitRow, terms: readonly string[], labels: ReadonlyMap<string, string>): StoreSearchHit {
  let matchedField: string;
  let matchedText: string;
  switch (row.kind) {
    case "label":
      matchedField = "label";
      matchedText = row.label_text ?? "";
      break;
    case "property":
      matchedField = "property";
      matchedText = row.member_name ?? "";
      break;
    case "enumMember":
      matchedField = "member";
      matchedText = row.member_name ?? "";
      break;
    case "action":
      matchedField = "action";
      matchedText = row.member_name ?? "";
      break;
    default: {
      const name = row.match_name ?? row.name;
      const nameText = `${name} ${splitIdentifierWords(name)}`.toLowerCase();
      const alt = row.alt_name ?? "";
      const altText = `${alt} ${splitIdentifierWords(alt)}`.toLowerCase();
      const useAlt = alt !== "" && !containsAll(nameText, terms) && containsAll(altText, terms);
      matchedField = useAlt ? "collection" : "name";
      matchedText = useAlt ? alt : name;
    }
  }
  const hit: StoreSearchHit = {
    kind: row.kind,
    name: row.name,
    matchedField,
    matchedText,
    tier: row.tier,
    score: row.score,
    labelId: row.label_id,
    labelText: row.label_text ?? (row.label_id ? (labels.get(row.label_id) ?? null) : null),
  };
  if (row.member_name !== null) hit.memberName = row.member_name;
  if (row.owner_kind !== null) hit.ownerKind = row.owner_kind;
  return hit;
}

export function runSearch(
  prepare: Prepare,
  query: StoreSearchQuery,
  resolveLabels: (ids: string[]) => Map<string, string>,
): StoreSearchResult {
  const match = buildFtsMatch(query.terms ?? [], query.prefixLastTerm === true);
  const limit = Math.max(0, Math.floor(Number(query.limit) || 0));
  const offset = Math.max(0, Math.floor(Number(query.offset) || 0));
  if (match === null) return { hits: [], total: 0 };
  const kinds = new Set<SearchKind>(
    query.kinds && query.kinds.length > 0 ? query.kinds.filter((k) => ALL_KINDS.includes(k)) : ALL_KINDS,
  );
  if (kinds.size === 0) return { hits: [], total: 0 };
  const key = nameKey(query.terms);
  const params: Record<string, unknown> = {
    match,
    v: query.versionId,
    lang: (query.language ?? "en-us").toLowerCase(),
    key,
    keylen: key.length,
    limit,
    offset,
  };
  if (query.entityCategory !== undefined) params.cat = query.entityCategory;
  if (query.dataServiceEnabled !== undefined) params.dse = query.dataServiceEnabled ? 1 : 0;
  if (query.isReadOnly !== undefined) params.ro = query.isReadOnly ? 1 : 0;
  const sql = buildSql(kinds, query);
  const countParams = { ...params };
  delete countParams.limit;
  delete countParams.offset;
  delete countParams.key;
  delete countParams.keylen;
  if (!kinds.has("label")) delete countParams.lang;
  if (!kinds.has("label")) delete params.lang;
  const rows = limit === 0 ? [] : (prepare(sql.page).all(params) as HitRow[]);
  const total =
    rows.length > 0 ? rows[0].total : ((prepare(sql.count).get(countParams) as { total: number }).total ?? 0);
  const labelIds = [
    ...new Set(rows.filter((r) => r.label_id && r.label_text === null).map((r) => r.label_id!)),
  ];
  const labels = labelIds.length > 0 ? resolveLabels(labelIds) : new Map<string, string>();
  const terms = meaningfulTerms(query.terms).map((t) => t.toLowerCase());
  return { hits: rows.map((r) => toHit(r, terms, labels)), total };
}
