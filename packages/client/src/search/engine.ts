/**
 * `VersionAwareSearchEngine`: user text in, ranked and explained hits out, always scoped to one
 * global version. Ranking (exact name → name prefix → text relevance) and filtering happen in the
 * store; this layer makes the input safe, validates options and turns store hits into explained
 * results. Terms reach the store as plain words: each adapter builds its own index query from them
 * and guarantees that no user text surfaces a database error, so nothing here knows a backend.
 */
import { CacheError, D365Error, ValidationError } from "../errors.js";
import { type Logger, silentLogger } from "../logging.js";
import { MAX_STORE_OFFSET } from "../store/search-bounds.js";
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

function checkCount(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    // Out of range is refused, never clamped: a caller asking for 501 hits must not get 500 silently.
    throw new ValidationError(
      name,
      `Search option '${name}' must be an integer in ${min}..${max}, got ${JSON.stringify(value)?.slice(0, 40)}`,
    );
  }
  return value;
}

/** The `EntityCategory` values of the Metadata service (protocol §2.1). */
export const ENTITY_CATEGORIES = [
  "Master",
  "Transaction",
  "Reference",
  "Document",
  "Parameters",
  "Configuration",
] as const;

/** The canonical spelling of a category (any case), or ValidationError: `42` would match nothing. */
function checkCategory(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const found =
    typeof value === "string"
      ? ENTITY_CATEGORIES.find((c) => c.toLowerCase() === value.trim().toLowerCase())
      : undefined;
  if (!found) {
    throw new ValidationError(
      "entityCategory",
      `Search option 'entityCategory' must be one of ${ENTITY_CATEGORIES.join(", ")}, got ${JSON.stringify(value)?.slice(0, 40)}`,
    );
  }
  return found;
}

function checkFlag(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== "boolean") {
    throw new ValidationError(
      name,
      `Search option '${name}' must be true or false, got ${JSON.stringify(value)?.slice(0, 40)}`,
    );
  }
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

  /**
   * Validates options into the store's terms; throws ValidationError naming the option for a bad
   * one (never for text: user text is made safe, not refused).
   */
  static normalizeOptions(options: EngineSearchOptions): {
    kinds: readonly SearchKind[];
    limit: number;
    offset: number;
    entityCategory?: string;
  } {
    const limit = checkCount("limit", options.limit, DEFAULT_SEARCH_LIMIT, 1, MAX_SEARCH_LIMIT);
    const offset = checkCount("offset", options.offset, 0, 0, MAX_STORE_OFFSET - MAX_SEARCH_LIMIT);
    const entityCategory = checkCategory(options.entityCategory);
    checkFlag("dataServiceEnabled", options.dataServiceEnabled);
    checkFlag("isReadOnly", options.isReadOnly);
    const kinds = options.kinds ?? DEFAULT_SEARCH_KINDS;
    if (!Array.isArray(kinds)) throw new ValidationError("kinds", "Search option 'kinds' must be an array");
    for (const kind of kinds) {
      if (!ALL_SEARCH_KINDS.includes(kind)) {
        throw new ValidationError(
          "kinds",
          `Unknown search kind '${String(kind)}'; expected one of ${ALL_SEARCH_KINDS.join(", ")}`,
        );
      }
    }
    return { kinds, limit, offset, ...(entityCategory ? { entityCategory } : {}) };
  }

  /** Searches one (complete) version. Empty or syntax-only text gives an empty result. */
  async search(
    versionId: number,
    text: unknown,
    options: EngineSearchOptions = {},
  ): Promise<EngineSearchResult> {
    const { kinds, limit, offset, entityCategory } = VersionAwareSearchEngine.normalizeOptions(options);
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
      entityCategory,
      dataServiceEnabled: options.dataServiceEnabled,
      isReadOnly: options.isReadOnly,
      language,
      limit,
      offset,
    };
    let result: { hits: StoreSearchHit[]; total: number };
    try {
      result = plan.exact ? await this.store.search(base) : await this.windowed(base, wanted, limit, offset);
    } catch (error) {
      if (error instanceof D365Error) throw error;
      // Adapters map their own failures to typed errors; anything else is a store bug.
      this.logger.warn({ err: error, terms: parsed.terms }, "search failed in the metadata store");
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
  private async windowed(
    query: StoreSearchQuery,
    wanted: ReadonlySet<SearchKind>,
    limit: number,
    offset: number,
  ): Promise<{ hits: StoreSearchHit[]; total: number }> {
    const needed = offset + limit;
    let window = windowFor(needed);
    for (;;) {
      const raw = await this.store.search({ ...query, limit: window, offset: 0 });
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
