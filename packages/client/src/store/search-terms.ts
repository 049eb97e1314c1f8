/**
 * Backend-neutral, pure helpers for search: the one identifier splitter (used for indexing by
 * every backend and by the query side), the meaningful terms of a query, the name key of the
 * exact/prefix tiers, and the bounds a store query must respect. No index syntax lives here: each
 * adapter builds its own query from plain terms.
 */
import { ConfigurationError } from "../errors.js";
import type { StoreSearchQuery } from "./types.js";

/** A term must contain a letter or digit to mean anything to a tokenizer. */
const MEANINGFUL = /[\p{L}\p{N}]/u;

/** Control characters: some engines read a NUL as the end of the query string. */
const CONTROL = /\p{Cc}/gu;

/** Most terms a store query may carry (the query parser keeps 12). */
export const MAX_STORE_SEARCH_TERMS = 32;
/** Longest term a store query may carry, in characters (the query parser keeps 64). */
export const MAX_STORE_SEARCH_TERM_LENGTH = 256;

/** Terms that carry at least one letter or digit, trimmed, control characters blanked; others dropped. */
export function meaningfulTerms(terms: readonly string[]): string[] {
  return terms
    .map((t) => (typeof t === "string" ? t.replace(CONTROL, " ").trim() : ""))
    .filter((t) => MEANINGFUL.test(t));
}

/**
 * Rejects a store query whose terms exceed the bounds, before it reaches a backend: an unbounded
 * term list or a megabyte term costs seconds and gigabytes in any full-text engine.
 */
export function checkSearchQuery(query: StoreSearchQuery): void {
  const terms: unknown = query?.terms;
  if (!Array.isArray(terms)) throw new ConfigurationError("A search query needs a terms array");
  if (terms.length > MAX_STORE_SEARCH_TERMS) {
    throw new ConfigurationError(
      `A search query has ${terms.length} terms; at most ${MAX_STORE_SEARCH_TERMS} are allowed`,
    );
  }
  for (const term of terms) {
    if (typeof term === "string" && term.length > MAX_STORE_SEARCH_TERM_LENGTH) {
      throw new ConfigurationError(
        `A search term of ${term.length} characters is longer than the ${MAX_STORE_SEARCH_TERM_LENGTH} allowed`,
      );
    }
  }
}

/**
 * The words of an identifier: `SalesOrderHeaderV2` → `Sales Order Header V2`, `CustInvoiceJour` →
 * `Cust Invoice Jour`, `VATNumber` → `VAT Number`, `sales_order` → `sales order`. A digit run stays
 * with the letters before it (`V2`, `V3`), as a user types it. The only identifier splitter: the
 * indexes are built with it and the query side uses it.
 */
export function identifierWordList(identifier: string): string[] {
  return identifier
    .replace(/([\p{Ll}\p{N}])(\p{Lu})/gu, "$1 $2")
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, "$1 $2")
    .split(/[^\p{L}\p{M}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

/** `identifierWordList` joined by spaces; empty when splitting finds nothing beyond the identifier. */
export function splitIdentifierWords(identifier: string): string {
  const words = identifierWordList(identifier);
  return words.length <= 1 ? "" : words.join(" ");
}

const LETTERS_THEN_DIGITS = /^(\p{L}[\p{L}\p{M}]*)(\p{N}+)$/u;

/**
 * What an index stores for an identifier's words: the words of `identifierWordList`, and for a
 * word of letters then digits (`V2`, `Amount17`) also its two parts, so `order header v2`,
 * `header v 2` and `amount` all find their identifier. Empty when there is nothing beyond the
 * identifier itself. Every backend indexes with it.
 */
export function identifierIndexWords(identifier: string): string {
  const words = identifierWordList(identifier);
  const expanded: string[] = [];
  for (const word of words) {
    expanded.push(word);
    const parts = LETTERS_THEN_DIGITS.exec(word);
    if (parts) expanded.push(parts[1], parts[2]);
  }
  return expanded.length <= 1 ? "" : expanded.join(" ");
}

/** The concatenation of terms used for exact-name and name-prefix tiers, lowercased. */
export function nameKey(terms: readonly string[]): string {
  return meaningfulTerms(terms)
    .join("")
    .replace(/[^\p{L}\p{N}_]/gu, "")
    .toLowerCase();
}
