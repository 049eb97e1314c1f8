/**
 * Bounds a store search query must respect, checked before it reaches a backend: one unbounded
 * term once cost 17.7 s and 5.4 GB in SQLite's full-text index. Pure; both adapters call
 * `assertStoreSearchQuery` first thing in `search()`, and the search engine never builds a query
 * outside these bounds from user text (it trims user text instead, see src/search/query.ts).
 */
import { ValidationError } from "../errors.js";
import type { StoreSearchQuery } from "./types.js";

/** More terms than this add nothing but cost. */
export const MAX_TERMS = 12;
/** Longest term (D365 names are well below this). */
export const MAX_TERM_LENGTH = 64;
/** Most hits one store query may ask for (the engine's largest window). */
export const MAX_STORE_LIMIT = 16_384;
/** Deepest offset one store query may start at. */
export const MAX_STORE_OFFSET = 100_000;

/** A plain term: letters, combining marks and digits only (no index or SQL syntax). */
const PLAIN_TERM = /^[\p{L}\p{M}\p{N}]+$/u;
const LANGUAGE_TAG = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,3}$/;

function integerIn(field: string, value: unknown, min: number, max: number): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(
      field,
      `Store search '${field}' must be an integer in ${min}..${max}, got ${JSON.stringify(value)?.slice(0, 40)}`,
    );
  }
}

/** Throws ValidationError naming the first field outside its bounds. */
export function assertStoreSearchQuery(query: StoreSearchQuery): void {
  const terms: unknown = query.terms;
  if (!Array.isArray(terms))
    throw new ValidationError("terms", "Store search 'terms' must be an array of words");
  if (terms.length > MAX_TERMS) {
    throw new ValidationError("terms", `Store search takes at most ${MAX_TERMS} terms, got ${terms.length}`);
  }
  for (const [index, term] of terms.entries()) {
    if (typeof term !== "string" || term.length === 0 || term.length > MAX_TERM_LENGTH) {
      throw new ValidationError(
        "terms",
        `Store search term #${index + 1} must be 1..${MAX_TERM_LENGTH} characters, got ${typeof term === "string" ? `${term.length} characters` : typeof term}`,
      );
    }
    if (!PLAIN_TERM.test(term)) {
      throw new ValidationError("terms", `Store search term #${index + 1} must be letters and digits only`);
    }
  }
  integerIn("limit", query.limit, 1, MAX_STORE_LIMIT);
  integerIn("offset", query.offset, 0, MAX_STORE_OFFSET);
  integerIn("versionId", query.versionId, 0, Number.MAX_SAFE_INTEGER);
  if (typeof query.language !== "string" || !LANGUAGE_TAG.test(query.language)) {
    throw new ValidationError("language", "Store search 'language' must be a language tag such as en-us");
  }
  if (
    query.entityCategory !== undefined &&
    (typeof query.entityCategory !== "string" || query.entityCategory.length > 64)
  ) {
    throw new ValidationError("entityCategory", "Store search 'entityCategory' must be a short string");
  }
}
