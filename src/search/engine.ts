/**
 * `VersionAwareSearchEngine`: user text in, ranked and explained hits out, always scoped to one
 * global version. Ranking (exact name → name prefix → bm25) and filtering happen in the store; this
 * layer makes the input safe, validates options and turns store hits into explained results.
 */
import { CacheError, ConfigurationError, D365Error } from "../errors.js";
import { type Logger, silentLogger } from "../logging.js";
import type { MetadataStore, SearchKind, StoreSearchHit, StoreSearchQuery } from "../store/types.js";
import { describeMatch, type ParsedQuery, parseSearchText } from "./query.js";

export const DEFAULT_SEARCH_KINDS: readonly SearchKind[] = ["dataEntity", "publicEntity", "enumeration"];
export const ALL_SEARCH_KINDS: readonly SearchKind[] = [
  "dataEntity",
  "publicEntity",
  "property",
  "enumeration",
  "enumMember",
  "action",
  "label",
];
export const DEFAULT_SEARCH_LIMIT = 20;
/** Most store hits read for one folded page. */
const MAX_WINDOW = 16_384;
export const MAX_SEARCH_LIMIT = 500;

export interface EngineSearchOptions {
  kinds?: readonly SearchKind[];
  entityCategory?: string;
  dataServiceEnabled?: boolean;
  isReadOnly?: boolean;
  /** Label language (any case, e.g. `en-US`); default the engine's. */
  language?: string;
  limit?: number;
  offset?: number;
  /** Prefix-match the last word (default true). */
  prefix?: boolean;
}

export interface ExplainedHit extends StoreSearchHit {
  reason: string;
}

export interface EngineSearchResult {
  terms: string[];
  excluded: string[];
  hits: ExplainedHit[];
  total: number;
  limit: number;
  offset: number;
}

export interface VersionAwareSearchEngineOptions {
  /** Default label language (default `en-US`). */
  language?: string;
  logger?: Logger;
}

/** Label hits become hits of their owner; one hit per definition (the best ranked); unwanted kinds go. */
export function foldHits(hits: readonly StoreSearchHit[], wanted: ReadonlySet<SearchKind>): StoreSearchHit[] {
  const seen = new Set<string>();
  const out: StoreSearchHit[] = [];
  for (const hit of hits) {
    let folded = hit;
    if (hit.kind === "label" && !wanted.has("label")) {
      if (!hit.ownerKind) continue;
      const { ownerKind, ...rest } = hit;
      folded = { ...rest, kind: ownerKind };
    }
    if (!wanted.has(folded.kind)) continue;
    const key = `${folded.kind}\u0000${folded.name}\u0000${folded.memberName ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(folded);
  }
  return out;
}

function checkCount(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new ConfigurationError(`Search option '${name}' must be an integer ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

const OWNER_KINDS: readonly SearchKind[] = ["dataEntity", "publicEntity", "enumeration"];

/**
 * Which kinds to ask the store for. Label texts are indexed as `label` hits that name their owner
 * (`ownerKind`); unless the caller asked for raw `label` hits, entities found through their label
 * are returned as hits of the owner's kind, so label kinds are added and folded back afterwards.
 */
function planStoreKinds(wanted: ReadonlySet<SearchKind>): { storeKinds: SearchKind[]; exact: boolean } {
  const store = new Set(wanted);
  if (!wanted.has("label") && OWNER_KINDS.some((k) => wanted.has(k))) store.add("label");
  return { storeKinds: ALL_SEARCH_KINDS.filter((k) => store.has(k)), exact: store.size === wanted.size };
}

/** The smallest window ≥ 64 and ≥ twice what a page needs (a power of two, so nearby pages share it). */
function windowFor(needed: number): number {
  let window = 64;
  while (window < needed * 2) window *= 2;
  return window;
}

export class VersionAwareSearchEngine {
  private readonly language: string;
  private readonly logger: Logger;

  constructor(
    private readonly store: MetadataStore,
    options: VersionAwareSearchEngineOptions = {},
  ) {
    this.language = options.language ?? "en-US";
    this.logger = options.logger ?? silentLogger;
  }

  /** Validates options into the store's terms; throws ConfigurationError for bad options (never for text). */
  static normalizeOptions(options: EngineSearchOptions): {
    kinds: readonly SearchKind[];
    limit: number;
    offset: number;
  } {
    const limit = Math.min(checkCount("limit", options.limit, DEFAULT_SEARCH_LIMIT, 1), MAX_SEARCH_LIMIT);
    const offset = checkCount("offset", options.offset, 0, 0);
    const kinds = options.kinds ?? DEFAULT_SEARCH_KINDS;
    for (const kind of kinds) {
      if (!ALL_SEARCH_KINDS.includes(kind)) {
        throw new ConfigurationError(
          `Unknown search kind '${String(kind)}'; expected one of ${ALL_SEARCH_KINDS.join(", ")}`,
        );
      }
    }
    return { kinds, limit, offset };
  }

  /** Searches one (complete) version. Empty or syntax-only text gives an empty result. */
  search(versionId: number, text: unknown, options: EngineSearchOptions = {}): EngineSearchResult {
    const { kinds, limit, offset } = VersionAwareSearchEngine.normalizeOptions(options);
    const parsed: ParsedQuery = parseSearchText(text, { prefix: options.prefix });
    const empty: EngineSearchResult = {
      terms: parsed.terms,
      excluded: parsed.excluded,
      hits: [],
      total: 0,
      limit,
      offset,
    };
    if (parsed.terms.length === 0 || kinds.length === 0) return empty;
    const language = (options.language ?? this.language).toLowerCase();
    const wanted = new Set(kinds);
    const plan = planStoreKinds(wanted);
    const base: StoreSearchQuery = {
      versionId,
      terms: parsed.terms,
      prefixLastTerm: parsed.prefixLastTerm,
      kinds: plan.storeKinds,
      entityCategory: options.entityCategory,
      dataServiceEnabled: options.dataServiceEnabled,
      isReadOnly: options.isReadOnly,
      language,
      limit,
      offset,
    };
    let result: { hits: StoreSearchHit[]; total: number };
    try {
      result = plan.exact ? this.store.search(base) : this.windowed(base, wanted, limit, offset);
    } catch (error) {
      // Terms are plain words, so a syntax error here is a store bug; the user still gets an
      // answer (none) instead of index syntax, and the cause is logged for the bug report.
      if (!(error instanceof D365Error) && /syntax|fts5|unterminated|no such column/i.test(String(error))) {
        this.logger.warn({ err: error, terms: parsed.terms }, "search: the store rejected plain terms");
        return empty;
      }
      if (error instanceof D365Error) throw error;
      throw new CacheError("Search failed in the metadata store", { cause: error });
    }
    return {
      ...empty,
      hits: result.hits.map((hit) => ({ ...hit, reason: describeMatch(hit, parsed) })),
      total: result.total,
    };
  }

  /**
   * Pages after folding label hits into their owners and dropping unwanted kinds: reads a window
   * of the store's ranked hits (growing it until the page is full or every hit is read), keeps
   * the best hit per definition, and slices the page. `total` is exact when every hit was read,
   * otherwise an upper bound (folded hits beyond the window are not known yet).
   */
  private windowed(
    query: StoreSearchQuery,
    wanted: ReadonlySet<SearchKind>,
    limit: number,
    offset: number,
  ): { hits: StoreSearchHit[]; total: number } {
    const needed = offset + limit;
    let window = windowFor(needed);
    for (;;) {
      const raw = this.store.search({ ...query, limit: window, offset: 0 });
      const folded = foldHits(raw.hits, wanted);
      const complete = raw.hits.length >= raw.total;
      if (complete || folded.length >= needed || window >= MAX_WINDOW) {
        const total = complete ? folded.length : folded.length + (raw.total - raw.hits.length);
        return { hits: folded.slice(offset, offset + limit), total };
      }
      window *= 4;
    }
  }
}
