/**
 * Full-text search over the deduplicated index. The FTS5 table holds each definition and label
 * text once; a hit belongs to the queried version when its owning definition (decoded from the
 * rowid) is a member of the version. Scoping and filtering run in memory against a per-version
 * `VersionScope` (definition ids and their filter attributes, label texts and their owners), built
 * once per version and process; the database does only what it is fast at:
 *
 * 1. the name tier queries `{name collection} : ^ "key"*` (tier 1) and `^ "key"` (tier 0), rowids
 *    only: within these tiers hits rank by name length (closest first), encoded in the rowid,
 * 2. the full query's rowids (tier 2 and `total`),
 * 3. bm25 of the full query only when the requested page reaches tier 2 (bm25 costs ~2 µs a row),
 * 4. details (names, label ids) for the page's hits only.
 */

import { checkSearchQuery, meaningfulTerms, nameKey, splitIdentifierWords } from "../search-terms.js";
import type { SearchKind, StoreSearchHit, StoreSearchQuery, StoreSearchResult } from "../types.js";
import type { SqliteConnection } from "./connection.js";
import { isFtsQueryError } from "./errors.js";
import { getLabels } from "./labels.js";
import {
  MAX_SEARCH_ORDINAL,
  MEMBER_SEARCH_TABLE,
  SEARCH_KIND_CODES,
  SEARCH_TABLE,
  searchTableOf,
} from "./search-index.js";
import {
  attributesOf,
  type Candidate,
  type Filters,
  labelTextsOf,
  NO_ATTRIBUTES,
  type Prepare,
  passes,
  topHits,
  type VersionScope,
  type VersionScopeCache,
} from "./search-scope.js";

const KIND_BY_CODE: Record<number, SearchKind> = Object.fromEntries(
  Object.entries(SEARCH_KIND_CODES).map(([kind, code]) => [code, kind as SearchKind]),
);

/** bm25 with column weights: name, collection, words, label text. */
const bm25 = (table: string) => `bm25(${table}, 10.0, 5.0, 4.0, 2.0)`;
const rowidsSql = (table: string) => `SELECT rowid FROM ${table} WHERE ${table} MATCH ?`;

/**
 * FTS5 MATCH expression: every term a double-quoted string (embedded quotes doubled), implicitly
 * ANDed; `*` only after the last one when `prefixLastTerm`. Operators such as NEAR, AND, `-` or
 * `*` inside a term are therefore plain text. Returns `null` when no term is meaningful.
 */
export function buildFtsMatch(terms: readonly string[], prefixLastTerm: boolean): string | null {
  const kept = meaningfulTerms(terms);
  if (kept.length === 0) return null;
  return kept
    .map((term, i) => {
      const quoted = quote(term);
      return prefixLastTerm && i === kept.length - 1 ? `${quoted}*` : quoted;
    })
    .join(" ");
}

function quote(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

export function runSearch(
  prepare: Prepare,
  scopeOf: (versionId: number) => VersionScope,
  query: StoreSearchQuery,
  resolveLabels: (ids: string[]) => Map<string, string>,
): StoreSearchResult {
  const match = buildFtsMatch(query.terms ?? [], query.prefixLastTerm === true);
  if (match === null) return { hits: [], total: 0 };
  const kinds = new Set<SearchKind>(
    query.kinds && query.kinds.length > 0 ? query.kinds : (Object.keys(SEARCH_KIND_CODES) as SearchKind[]),
  );
  const limit = Math.max(0, Math.floor(Number(query.limit) || 0));
  const offset = Math.max(0, Math.floor(Number(query.offset) || 0));
  const language = (query.language ?? "en-us").toLowerCase();
  const filters: Filters = {
    category: query.entityCategory,
    dataServiceEnabled: query.dataServiceEnabled,
    readOnly: query.isReadOnly,
  };
  const scope = scopeOf(query.versionId);
  const key = nameKey(query.terms);

  // Tier 0/1 from the name and collection columns (ordered by name length, from the rowid);
  // tier 2 from the full query (ordered by bm25, computed only if the page reaches tier 2).
  const tierOf = new Map<number, number>();
  // Kind per rowid code, or undefined when the query does not want that kind.
  const wanted: (SearchKind | undefined)[] = Array.from({ length: 8 }, (_, code) =>
    KIND_BY_CODE[code] && kinds.has(KIND_BY_CODE[code]) ? KIND_BY_CODE[code] : undefined,
  );
  const filtered =
    filters.category !== undefined ||
    filters.dataServiceEnabled !== undefined ||
    filters.readOnly !== undefined;
  // Only the index tables holding wanted kinds are read (members are ~30x more rows than definitions).
  const tables = [SEARCH_TABLE, MEMBER_SEARCH_TABLE].filter((table) =>
    [...kinds].some((k) => k in SEARCH_KIND_CODES && searchTableOf(k) === table),
  );
  const fullRowids: number[] = [];
  const matchesIn = new Map<string, number>();
  for (const table of tables) {
    if (key !== "") {
      const prefixed = prepare(rowidsSql(table))
        .pluck()
        .all(`{name collection} : ^ ${quote(key)}*`) as number[];
      for (const rowid of prefixed) tierOf.set(rowid, 1);
      if (prefixed.length > 0) {
        for (const rowid of prepare(rowidsSql(table))
          .pluck()
          .all(`{name collection} : ^ ${quote(key)}`) as number[]) {
          tierOf.set(rowid, 0);
        }
      }
    }
    const matched = prepare(rowidsSql(table)).pluck().all(match) as number[];
    matchesIn.set(table, matched.length);
    for (const rowid of matched) fullRowids.push(rowid);
  }

  const candidates: Candidate[] = [];
  let labels: Map<number, string> | undefined;
  const consider = (rowid: number, tier: number) => {
    // decodeSearchRowId, inlined: this loop runs once per matching row.
    const code = rowid % 8;
    const kind = wanted[code];
    if (kind === undefined) return;
    const withLength = (rowid - code) / 8;
    const nameLength = withLength % 128;
    const item = (withLength - nameLength) / 128;
    const ordinal = item % MAX_SEARCH_ORDINAL;
    const ownerId = (item - ordinal) / MAX_SEARCH_ORDINAL;
    // Within the name tiers the closest (shortest) name ranks first.
    const score = tier < 2 ? nameLength : Number.NaN;
    switch (kind) {
      case "dataEntity":
        if (filtered ? passes(scope.dataEntities.get(ownerId), filters) : scope.dataEntities.has(ownerId))
          break;
        return;
      case "publicEntity":
      case "property":
      case "action":
        if (filtered ? passes(scope.publicEntities.get(ownerId), filters) : scope.publicEntities.has(ownerId))
          break;
        return;
      case "enumeration":
      case "enumMember":
        if (scope.enumerations.has(ownerId) && (!filtered || passes(NO_ATTRIBUTES, filters))) break;
        return;
      case "label": {
        labels ??= labelTextsOf(prepare, scope, query.versionId, language);
        const labelId = labels.get(ownerId);
        if (labelId === undefined) return;
        for (const owner of scope.labelOwners.get(labelId) ?? []) {
          if (!passes(attributesOf(scope, owner.kind, owner.id), filters)) continue;
          candidates.push({ rowid, kind, ownerId, ordinal, tier: 2, score, labelOwner: owner });
        }
        return;
      }
      default:
        return;
    }
    candidates.push({ rowid, kind, ownerId, ordinal, tier, score });
  };
  for (const [rowid, tier] of tierOf) consider(rowid, tier);
  for (const rowid of fullRowids) if (!tierOf.has(rowid)) consider(rowid, 2);

  const total = candidates.length;
  if (limit === 0 || offset >= total) return { hits: [], total };
  const namedCount = candidates.reduce((n, c) => n + (c.tier < 2 ? 1 : 0), 0);
  if (offset + limit > namedCount && namedCount < total) {
    // The page reaches tier 2: rank full-text matches by bm25. Only the best K rows are scored
    // and read (SQLite keeps a bounded sorter), K growing until the page's share of in-version
    // hits is among them; every row left unscored ranks below the K-th score.
    const needed = offset + limit - namedCount;
    for (const table of tables) {
      const byRowid = new Map<number, Candidate[]>();
      let inTable = 0;
      for (const c of candidates) {
        if (c.tier !== 2 || searchTableOf(c.kind as keyof typeof SEARCH_KIND_CODES) !== table) continue;
        const list = byRowid.get(c.rowid);
        if (list) list.push(c);
        else byRowid.set(c.rowid, [c]);
        inTable += 1;
      }
      if (inTable === 0) continue;
      // Each table's top K must hold the page's share of its in-version hits: unscored rows rank
      // below its K-th score. K is sized from the share of matches that are wanted hits.
      const want = Math.min(needed, inTable);
      const share = byRowid.size / Math.max(matchesIn.get(table) ?? 1, 1);
      const ranked = prepare(
        `SELECT rowid, ${bm25(table)} AS score FROM ${table} WHERE ${table} MATCH ? ORDER BY score LIMIT ?`,
      ).raw();
      for (let k = Math.max(128, Math.ceil((want * 1.5) / Math.max(share, 1e-6))); ; k *= 4) {
        const rows = ranked.all(match, k) as [number, number][];
        let scored = 0;
        for (const [rowid, score] of rows) {
          const list = byRowid.get(rowid);
          if (!list) continue;
          for (const c of list) c.score = score;
          scored += list.length;
        }
        if (scored >= want || rows.length < k) break;
      }
      for (const list of byRowid.values())
        for (const c of list) if (Number.isNaN(c.score)) c.score = Infinity;
    }
  }
  const page = topHits(candidates, offset + limit).slice(offset);
  const terms = meaningfulTerms(query.terms).map((t) => t.toLowerCase());
  const hits = page.map((c) => materialize(prepare, c, terms, key));
  const missing = [...new Set(hits.filter((h) => h.labelId && h.labelText === null).map((h) => h.labelId!))];
  if (missing.length > 0) {
    const texts = resolveLabels(missing);
    for (const hit of hits)
      if (hit.labelId && hit.labelText === null) hit.labelText = texts.get(hit.labelId) ?? null;
  }
  return { hits, total };
}

const DETAILS: Record<Exclude<SearchKind, "label">, string> = {
  dataEntity: "SELECT name, public_collection_name AS alt, label_id FROM data_entities WHERE id = ?",
  publicEntity: "SELECT name, entity_set_name AS alt, label_id FROM public_entities WHERE id = ?",
  enumeration: "SELECT name, NULL AS alt, label_id FROM enumerations WHERE id = ?",
  property: `SELECT p.name AS owner, ep.name, ep.label_id FROM entity_properties ep
    CROSS JOIN public_entities p ON p.id = ep.entity_id WHERE ep.entity_id = ? AND ep.property_order = ?`,
  action: `SELECT p.name AS owner, a.name, NULL AS label_id FROM entity_actions a
    CROSS JOIN public_entities p ON p.id = a.entity_id WHERE a.entity_id = ? AND a.action_order = ?`,
  enumMember: `SELECT e.name AS owner, m.name, m.label_id FROM enumeration_members m
    CROSS JOIN enumerations e ON e.id = m.enumeration_id WHERE m.enumeration_id = ? AND m.member_order = ?`,
};

interface Details {
  owner?: string;
  name: string;
  alt?: string | null;
  label_id: string | null;
}

function containsAll(haystack: string, terms: readonly string[]): boolean {
  return terms.every((t) => haystack.includes(t));
}

function materialize(prepare: Prepare, c: Candidate, terms: readonly string[], key: string): StoreSearchHit {
  const score = Number.isNaN(c.score) ? 0 : c.score;
  if (c.kind === "label") {
    const owner = c.labelOwner!;
    const text = prepare("SELECT label_id, label_text FROM labels_cache WHERE id = ?").get(c.ownerId) as {
      label_id: string;
      label_text: string;
    };
    const definition = prepare(DETAILS[owner.kind]).get(owner.id) as Details;
    return {
      kind: "label",
      ownerKind: owner.kind,
      name: definition.name,
      matchedField: "label",
      matchedText: text.label_text,
      tier: c.tier,
      score,
      labelId: text.label_id,
      labelText: text.label_text,
    };
  }
  if (c.kind === "property" || c.kind === "action" || c.kind === "enumMember") {
    const d = prepare(DETAILS[c.kind]).get(c.ownerId, c.ordinal) as Details;
    return {
      kind: c.kind,
      name: d.owner ?? "",
      memberName: d.name,
      matchedField: c.kind === "enumMember" ? "member" : c.kind,
      matchedText: d.name,
      tier: c.tier,
      score,
      labelId: d.label_id,
      labelText: null,
    };
  }
  const d = prepare(DETAILS[c.kind]).get(c.ownerId) as Details;
  const alt = d.alt ?? "";
  let useAlt: boolean;
  if (c.tier < 2) {
    useAlt = !d.name.toLowerCase().startsWith(key) && alt.toLowerCase().startsWith(key);
  } else {
    const nameText = `${d.name} ${splitIdentifierWords(d.name)}`.toLowerCase();
    const altText = `${alt} ${splitIdentifierWords(alt)}`.toLowerCase();
    useAlt = alt !== "" && !containsAll(nameText, terms) && containsAll(altText, terms);
  }
  return {
    kind: c.kind,
    name: d.name,
    matchedField: useAlt ? "collection" : "name",
    matchedText: useAlt ? alt : d.name,
    tier: c.tier,
    score,
    labelId: d.label_id,
    labelText: null,
  };
}

/**
 * The store's `search`: bounded input (`checkSearchQuery`), then `runSearch`. Hostile text never
 * surfaces a database error: terms are quoted, and should the engine still refuse a query it is
 * answered as matching nothing.
 */
export function searchVersion(
  c: SqliteConnection,
  scopes: VersionScopeCache,
  query: StoreSearchQuery,
): StoreSearchResult {
  c.assertOpen();
  checkSearchQuery(query);
  try {
    return runSearch(
      (sql) => c.stmt(sql),
      (versionId) => scopes.get(versionId),
      query,
      (ids) => getLabels(c, query.versionId, ids, query.language ?? "en-us"),
    );
  } catch (error) {
    if (!isFtsQueryError(error)) throw error;
    c.logger.warn(
      { err: (error as Error).message },
      "full-text query refused by SQLite; answered as no hits",
    );
    return { hits: [], total: 0 };
  }
}
