/**
 * Search over the deduplicated index (schema.ts: `search_definitions`, `search_members`), with the
 * same tiers as SQLite: 0 = the name (or collection name) equals the concatenated terms, 1 = it
 * starts with them (closest, i.e. shortest, name first: `score` = name length), 2 = full-text
 * relevance (`score` = −ts_rank with weights name 1.0, collection 0.5, words 0.4, label text 0.2;
 * lower ranks first). When the text finds nothing at all, entity and enumeration names within
 * trigram distance of the key (`pg_trgm`, default similarity threshold) and of about its length
 * are tier-2 typo matches
 * (`score` = −similarity): `custmer` finds `Customer`, `CustomerGroupX` does not find `Customer`.
 *
 * The adapter builds both the stored `tsvector` and the query's `tsquery` itself from one
 * tokenizer (letters, digits and `_`; lowercased; diacritics removed), so user text is never
 * parsed by the database: lexemes cannot contain quotes, backslashes or operators, everything is
 * a bound parameter, and no input can raise a syntax error.
 */

import type { SearchKind, StoreSearchHit, StoreSearchQuery, StoreSearchResult } from "d365fo-client/backend";
import {
  checkSearchQuery,
  identifierIndexWords,
  meaningfulTerms,
  nameKey,
  splitIdentifierWords,
} from "d365fo-client/backend";
import type { BulkColumn, Queryable } from "./connection.js";
import {
  MEMBER_SEARCH_TABLE,
  SEARCH_KIND_CODES,
  SEARCH_TABLE,
  type SearchKindName,
  searchTableOf,
} from "./schema.js";

/** PostgreSQL refuses lexemes over 2 047 bytes; such a word cannot match anything stored either. */
const MAX_LEXEME_BYTES = 2_046;
const MAX_POSITION = 16_383;
/** Trigram typo matching needs a key of at least this many characters to mean anything. */
const MIN_FUZZY_KEY = 4;
/** Kinds whose names are typo-tolerant (the trigram index covers definition names only). */
const FUZZY_KINDS = new Set<SearchKindName>(["dataEntity", "publicEntity", "enumeration"]);
/** A typo changes a name's length by a character or two; a longer or shorter name is another name. */
const MAX_TYPO_LENGTH_DIFFERENCE = 2;

/** Words of a text as lexemes: NFKD, combining marks removed, lowercased, split on anything but letters, digits, `_`. */
export function lexemes(text: string | null | undefined): string[] {
  if (!text) return [];
  return text
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .split(/[^\p{L}\p{N}_]+/u)
    .filter((w) => w.length > 0 && Buffer.byteLength(w, "utf8") <= MAX_LEXEME_BYTES);
}

type Weight = "A" | "B" | "C" | "D";

/** A `tsvector` literal of weighted lexemes with positions (lexemes hold only letters, digits, `_`). */
export function tsvectorLiteral(parts: readonly (readonly [string | null | undefined, Weight])[]): string {
  const positions = new Map<string, string[]>();
  let position = 0;
  for (const [text, weight] of parts) {
    for (const word of lexemes(text)) {
      position = Math.min(position + 1, MAX_POSITION);
      const list = positions.get(word);
      if (list) list.push(`${position}${weight}`);
      else positions.set(word, [`${position}${weight}`]);
    }
  }
  return [...positions].map(([word, at]) => `'${word}':${at.join(",")}`).join(" ");
}

/** Columns of a search row, in `searchRow`'s order. */
export const SEARCH_COLUMNS: readonly BulkColumn[] = [
  ["kind", "int2"],
  ["owner_id", "int"],
  ["ordinal", "int"],
  ["owner_name", "text"],
  ["name", "text"],
  ["collection", "text"],
  ["label_id", "text"],
  ["name_key", "text"],
  ["document", "tsvector"],
];

/** The search row of a definition or member: name, collection and their identifier words. */
export function searchRow(
  kind: SearchKindName,
  ownerId: number,
  ordinal: number,
  ownerName: string,
  name: string,
  collection: string | null | undefined,
  labelId: string | null | undefined,
): unknown[] {
  const words = [name, collection]
    .map((n) => (n ? identifierIndexWords(n) : ""))
    .filter((w) => w !== "")
    .join(" ");
  return [
    SEARCH_KIND_CODES[kind],
    ownerId,
    ordinal,
    ownerName,
    name,
    collection ?? "",
    labelId ?? null,
    nameKey([name]),
    tsvectorLiteral([
      [name, "A"],
      [collection, "B"],
      [words, "C"],
    ]),
  ];
}

/** The search row of a label text (`owner_id` = the text's id). */
export function labelSearchRow(textId: number, labelId: string, text: string): unknown[] {
  return [SEARCH_KIND_CODES.label, textId, 0, "", "", "", labelId, "", tsvectorLiteral([[text, "D"]])];
}

/** The query's `tsquery` text: every lexeme ANDed, only the last one a prefix; null when nothing can match. */
export function buildTsQuery(terms: readonly string[], prefixLastTerm: boolean): string | null {
  const kept = meaningfulTerms(terms);
  if (kept.length === 0) return null;
  const words: string[] = [];
  for (const term of kept) {
    const normalized = term
      .normalize("NFKD")
      .replace(/\p{M}+/gu, "")
      .toLowerCase();
    const split = normalized.split(/[^\p{L}\p{N}_]+/u).filter((w) => w.length > 0);
    // A word too long to be a lexeme matches nothing: the whole (AND) query matches nothing.
    if (split.some((w) => Buffer.byteLength(w, "utf8") > MAX_LEXEME_BYTES)) return null;
    words.push(...split);
  }
  if (words.length === 0) return null;
  const last = words[words.length - 1];
  const unique = [...new Set(words.slice(0, -1))].filter((w) => w !== last || !prefixLastTerm);
  const parts = unique.map((w) => `'${w}'`);
  parts.push(prefixLastTerm ? `'${last}':*` : `'${last}'`);
  return [...new Set(parts)].join(" & ");
}

/** The name key as a lexeme (normalised like stored names), or null when it cannot be one. */
function keyLexeme(key: string): string | null {
  const [word, ...rest] = lexemes(key);
  return word !== undefined && rest.length === 0 && word.length > 0 ? word : null;
}

/** Name tiers as tsqueries over the name (A) and collection (B) lexemes: exact, and prefix. */
export function nameTierQueries(key: string): { exact: string; prefix: string } | null {
  const word = keyLexeme(key);
  return word === null ? null : { exact: `'${word}':AB`, prefix: `'${word}':*AB` };
}

const KIND_BY_CODE = new Map<number, SearchKind>(
  Object.entries(SEARCH_KIND_CODES).map(([kind, code]) => [code, kind as SearchKind]),
);

const RANK = `ts_rank('{0.2, 0.4, 0.5, 1.0}', s.document, $2::tsquery)`;

/** How the rows of one search are found: text and name tiers from the GIN index, or typos from trigrams. */
interface MatchPlan {
  text: boolean;
  named: boolean;
  fuzzy: boolean;
}

/**
 * The candidate rows of one table, ranked. Text and name tiers are one tsquery (`$2 | $3prefix`)
 * answered by one GIN bitmap scan; the tier and score of each row come from the same document.
 */
function matchesOf(table: string, plan: MatchPlan): string {
  const columns = "s.kind, s.owner_id, s.ordinal, s.owner_name, s.name, s.collection, s.label_id";
  if (plan.fuzzy) {
    return `SELECT ${columns}, 2 AS tier, -similarity(s.name_key, $12) AS score
      FROM ${table} s WHERE s.name_key % $12 AND s.name_key <> '' AND s.kind = ANY($5::int2[])
        AND abs(char_length(s.name_key) - char_length($12)) <= ${MAX_TYPO_LENGTH_DIFFERENCE}`;
  }
  const tier = plan.named
    ? "CASE WHEN s.document @@ $3::tsquery THEN 0 WHEN s.document @@ $4::tsquery THEN 1 ELSE 2 END"
    : "2";
  const score = plan.named
    ? `CASE WHEN s.document @@ $4::tsquery THEN least(char_length(s.name), 127)::float4 ELSE -${plan.text ? RANK : "0"} END`
    : `-${RANK}`;
  return `SELECT ${columns}, ${tier} AS tier, ${score} AS score
    FROM ${table} s WHERE s.document @@ $13::tsquery AND s.kind = ANY($5::int2[])`;
}

/**
 * The scoped, filtered, ranked page. `$1` version, `$2` text tsquery, `$3` exact-name tsquery,
 * `$4` name-prefix tsquery, `$5` kind codes, `$6` language, `$7`–`$9` filters (null = unset),
 * `$10` limit, `$11` offset, `$12` name key (typos), `$13` every match (text or name prefix).
 */
function searchSql(tables: readonly string[], plan: MatchPlan): string {
  const matches = tables.map((table) => matchesOf(table, plan)).join("\nUNION ALL\n");
  const categoryFilters =
    "($7::text IS NULL OR d.entity_category = $7) AND ($8::boolean IS NULL OR d.data_service_enabled = $8)";
  const dataFilters = `${categoryFilters} AND ($9::boolean IS NULL OR d.is_read_only = $9)`;
  // A public entity's category and data-service flag are those of the version's data entity exposing it.
  const publicFilters = `($9::boolean IS NULL OR p.is_read_only = $9)
    AND ($7::text IS NULL AND $8::boolean IS NULL OR EXISTS (
      SELECT 1 FROM version_data_entities vd JOIN data_entities d ON d.id = vd.data_entity_id
      WHERE vd.global_version_id = $1 AND d.public_entity_name = p.name AND ${categoryFilters}))`;
  const noFilters = "$7::text IS NULL AND $8::boolean IS NULL AND $9::boolean IS NULL";
  // `typed` is never read: it gives every parameter a type whichever arms the plan uses.
  return `
WITH typed AS (SELECT $1::int, $2::tsquery, $3::tsquery, $4::tsquery, $5::int2[], $6::text, $7::text, $8::boolean,
    $9::boolean, $10::int, $11::int, $12::text, $13::tsquery),
m AS (${matches}),
scoped AS (
  SELECT m.*, NULL::int2 AS owner_kind, m.owner_id AS def_id, NULL::text AS label_text FROM m
    JOIN version_data_entities v ON v.global_version_id = $1 AND v.data_entity_id = m.owner_id
    JOIN data_entities d ON d.id = m.owner_id
    WHERE m.kind = 1 AND ${dataFilters}
  UNION ALL
  SELECT m.*, NULL::int2, m.owner_id, NULL::text FROM m
    JOIN version_public_entities v ON v.global_version_id = $1 AND v.public_entity_id = m.owner_id
    JOIN public_entities p ON p.id = m.owner_id
    WHERE m.kind IN (2, 3, 6) AND ${publicFilters}
  UNION ALL
  SELECT m.*, NULL::int2, m.owner_id, NULL::text FROM m
    JOIN version_enumerations v ON v.global_version_id = $1 AND v.enumeration_id = m.owner_id
    WHERE m.kind IN (4, 5) AND ${noFilters}
  UNION ALL
  SELECT m.kind, m.owner_id, m.ordinal, o.name, o.name, '', lt.label_id, m.tier, m.score, o.kind, o.id, lt.label_text
    FROM m
    JOIN labels_cache lt ON lt.id = m.owner_id AND lt.language = $6
    JOIN version_labels vl ON vl.label_text_id = lt.id AND vl.global_version_id = $1
    JOIN LATERAL (
      SELECT 1::int2 AS kind, d.id, d.name FROM data_entities d
        JOIN version_data_entities v ON v.data_entity_id = d.id AND v.global_version_id = $1
        WHERE lower(d.label_id) = lt.label_key AND ${dataFilters}
      UNION ALL
      SELECT 2::int2, p.id, p.name FROM public_entities p
        JOIN version_public_entities v ON v.public_entity_id = p.id AND v.global_version_id = $1
        WHERE lower(p.label_id) = lt.label_key AND ${publicFilters}
      UNION ALL
      SELECT 4::int2, e.id, e.name FROM enumerations e
        JOIN version_enumerations v ON v.enumeration_id = e.id AND v.global_version_id = $1
        WHERE lower(e.label_id) = lt.label_key AND ${noFilters}
    ) o ON true
    WHERE m.kind = 7
)
SELECT kind, owner_name, name, collection, label_id, tier, score, owner_kind, label_text, count(*) OVER ()::int AS total
FROM scoped ORDER BY tier, score, kind, owner_id, ordinal, def_id LIMIT $10 OFFSET $11`;
}

interface HitRow {
  kind: number;
  owner_name: string;
  name: string;
  collection: string;
  label_id: string | null;
  tier: number;
  score: number;
  owner_kind: number | null;
  label_text: string | null;
  total: number;
}

const containsAll = (haystack: string, terms: readonly string[]) => terms.every((t) => haystack.includes(t));

function toHit(r: HitRow, terms: readonly string[], key: string): StoreSearchHit {
  const kind = KIND_BY_CODE.get(r.kind) as SearchKind;
  const tier = r.tier;
  const score = Number(r.score);
  if (kind === "label") {
    return {
      kind,
      ownerKind: KIND_BY_CODE.get(r.owner_kind as number),
      name: r.name,
      matchedField: "label",
      matchedText: r.label_text ?? "",
      tier,
      score,
      labelId: r.label_id,
      labelText: r.label_text,
    };
  }
  if (kind === "property" || kind === "action" || kind === "enumMember") {
    return {
      kind,
      name: r.owner_name,
      memberName: r.name,
      matchedField: kind === "enumMember" ? "member" : kind,
      matchedText: r.name,
      tier,
      score,
      labelId: r.label_id,
      labelText: null,
    };
  }
  const alt = r.collection;
  let useAlt: boolean;
  if (tier < 2) {
    useAlt = !r.name.toLowerCase().startsWith(key) && alt.toLowerCase().startsWith(key);
  } else {
    const nameText = `${r.name} ${splitIdentifierWords(r.name)}`.toLowerCase();
    const altText = `${alt} ${splitIdentifierWords(alt)}`.toLowerCase();
    useAlt = alt !== "" && !containsAll(nameText, terms) && containsAll(altText, terms);
  }
  return {
    kind,
    name: r.name,
    matchedField: useAlt ? "collection" : "name",
    matchedText: useAlt ? alt : r.name,
    tier,
    score,
    labelId: r.label_id,
    labelText: null,
  };
}

/**
 * A search statement is one of a dozen shapes (tables × match plan): each runs as a named prepared
 * statement, parsed and planned once per connection instead of on every query (the planning of
 * this statement costs more than running it). Its generic plan reads the GIN index.
 */
function runPlan(
  db: Queryable,
  tables: readonly string[],
  plan: MatchPlan,
  params: unknown[],
): Promise<HitRow[]> {
  const name = `d365fo_search_${tables.map((t) => (t === SEARCH_TABLE ? "d" : "m")).join("")}_${Number(plan.text)}${Number(plan.named)}${Number(plan.fuzzy)}`;
  return db.prepared<HitRow>(name, searchSql(tables, plan), params);
}

export async function runSearch(
  db: Queryable,
  query: StoreSearchQuery,
  resolveLabels: (ids: string[]) => Promise<Map<string, string>>,
): Promise<StoreSearchResult> {
  checkSearchQuery(query);
  const terms = query.terms;
  const tsquery = buildTsQuery(terms, query.prefixLastTerm === true);
  const key = nameKey(terms);
  const names = nameTierQueries(key);
  if (tsquery === null && names === null) return { hits: [], total: 0 };
  const kinds = (
    query.kinds && query.kinds.length > 0 ? query.kinds : (Object.keys(SEARCH_KIND_CODES) as SearchKind[])
  )
    .filter((k) => k in SEARCH_KIND_CODES)
    .map((k) => k as SearchKindName);
  if (kinds.length === 0) return { hits: [], total: 0 };
  const tables = [SEARCH_TABLE, MEMBER_SEARCH_TABLE].filter((t) => kinds.some((k) => searchTableOf(k) === t));
  const limit = Math.max(0, Math.floor(Number(query.limit) || 0));
  const offset = Math.max(0, Math.floor(Number(query.offset) || 0));
  const params = [
    query.versionId,
    tsquery,
    names?.exact ?? null,
    names?.prefix ?? null,
    kinds.map((k) => SEARCH_KIND_CODES[k]),
    (query.language ?? "en-us").toLowerCase(),
    query.entityCategory ?? null,
    query.dataServiceEnabled ?? null,
    query.isReadOnly ?? null,
    // One row at least, so the window count reports the total even for an empty page.
    Math.max(limit, 1),
    offset,
    key,
    [tsquery, names?.prefix]
      .filter((q) => q != null)
      .map((q) => `(${q})`)
      .join(" | "),
  ];
  const plan: MatchPlan = { text: tsquery !== null, named: names !== null, fuzzy: false };
  let rows = await runPlan(db, tables, plan, params);
  const fuzzyKinds = kinds.filter((k) => FUZZY_KINDS.has(k));
  if (rows.length === 0 && offset === 0 && fuzzyKinds.length > 0 && [...key].length >= MIN_FUZZY_KEY) {
    const fuzzyParams = [...params];
    fuzzyParams[4] = fuzzyKinds.map((k) => SEARCH_KIND_CODES[k]);
    rows = await runPlan(db, [SEARCH_TABLE], { ...plan, fuzzy: true }, fuzzyParams);
  }
  let total = rows.length > 0 ? rows[0].total : 0;
  if (rows.length === 0 && offset > 0) {
    // Past the end: the total still counts every hit.
    const counted = await runPlan(db, tables, plan, [...params.slice(0, 9), 1, 0, ...params.slice(11)]);
    total = counted.length > 0 ? counted[0].total : 0;
  }
  const page = limit === 0 ? [] : rows;
  const lowered = meaningfulTerms(terms).map((t) => t.toLowerCase());
  const hits = page.map((r) => toHit(r, lowered, key));
  const missing = [
    ...new Set(hits.filter((h) => h.labelId && h.labelText === null).map((h) => h.labelId as string)),
  ];
  if (missing.length > 0) {
    const texts = await resolveLabels(missing);
    for (const hit of hits)
      if (hit.labelId && hit.labelText === null) hit.labelText = texts.get(hit.labelId) ?? null;
  }
  return { hits, total };
}
