/**
 * Turning whatever a user typed into plain search terms, and explaining a hit. Pure functions, no
 * I/O: the store receives only words made of letters and digits, so no user text can ever become
 * full-text-index or SQL syntax.
 */
import { MAX_TERM_LENGTH, MAX_TERMS } from "../store/search-bounds.js";
import { identifierWordList } from "../store/search-terms.js";
import type { SearchKind, StoreSearchHit } from "../store/types.js";

/**
 * The store's bounds (src/store/search-bounds.ts): user text is trimmed to them, never refused —
 * terms beyond MAX_TERMS are ignored, longer runs cut to MAX_TERM_LENGTH.
 */
export { MAX_TERM_LENGTH, MAX_TERMS };
/**
 * A last term shorter than this is matched as a whole word, not as a prefix: a one-letter prefix
 * matches most of the index and says nothing about what the user is looking for.
 */
export const MIN_PREFIX_LENGTH = 2;
/** Input beyond this many characters is not looked at. */
export const MAX_QUERY_LENGTH = 1000;

/** Index-query operators that must never reach the index as operators. */
const OPERATOR_WORDS = new Set(["AND", "OR", "NOT", "NEAR"]);

export interface ParsedQuery {
  /** Plain terms (letters and digits only), in the order typed, de-duplicated case-insensitively. */
  terms: string[];
  /** Match the last term as a prefix. */
  prefixLastTerm: boolean;
  /** Words the user excluded with a leading `-` (dropped from the terms; reported, not searched). */
  excluded: string[];
}

export interface ParseOptions {
  /** Default prefix matching of the last term (type-ahead). Default true. */
  prefix?: boolean;
}

// A "word" is a run of letters, combining marks and digits (any script); everything else separates.
const WORD = /[\p{L}\p{M}\p{N}]+/gu;

/**
 * Reduces any text to search terms. Never throws: quotes, `*`, `NEAR`, `AND`/`OR`, parentheses,
 * emoji and control characters are separators or dropped; empty input gives no terms.
 *
 * - A word preceded by `-` at the start of a token (`customer -vendor`) is excluded.
 * - Bare `AND`, `OR`, `NOT`, `NEAR` (upper case, as the index syntax spells them) are dropped.
 * - A trailing `*` on the last word asks for prefix matching even when `prefix: false`.
 * - A last word of one character is never a prefix (see MIN_PREFIX_LENGTH).
 */
export function parseSearchText(text: unknown, options: ParseOptions = {}): ParsedQuery {
  const raw = typeof text === "string" ? text : text == null ? "" : String(text);
  const input = raw.slice(0, MAX_QUERY_LENGTH).normalize("NFKC");
  const terms: string[] = [];
  const excluded: string[] = [];
  const seen = new Set<string>();
  let lastEnd = -1;
  let lastHadStar = false;
  for (const match of input.matchAll(WORD)) {
    const start = match.index ?? 0;
    let word = match[0];
    if (OPERATOR_WORDS.has(word)) continue;
    if (word.length > MAX_TERM_LENGTH) word = word.slice(0, MAX_TERM_LENGTH);
    const before = start > 0 ? input[start - 1] : "";
    const tokenStart = start === 0 || /\s/u.test(input[start - 2] ?? " ");
    if (before === "-" && tokenStart) {
      excluded.push(word);
      continue;
    }
    const key = word.toLowerCase();
    lastEnd = start + match[0].length;
    lastHadStar = input[lastEnd] === "*";
    if (seen.has(key)) continue;
    if (terms.length >= MAX_TERMS) continue;
    seen.add(key);
    terms.push(word);
  }
  const prefixDefault = options.prefix ?? true;
  const last = terms[terms.length - 1];
  const prefixLastTerm =
    last !== undefined && last.length >= MIN_PREFIX_LENGTH && (prefixDefault || lastHadStar);
  return { terms, prefixLastTerm, excluded };
}

/**
 * Splits a PascalCase / camelCase identifier into words: `CustomerAccount` → `Customer Account`,
 * `CustCustomerV3Entity` → `Cust Customer V3 Entity`, `VATNumber` → `VAT Number`.
 */
export function splitIdentifier(name: string): string[] {
  // The store's splitter: the index and the query side must split alike (`order header v2`).
  return identifierWordList(name);
}

const MEMBER_NOUN: Partial<Record<SearchKind, string>> = {
  property: "property",
  enumMember: "member",
  action: "action",
};

/** A short human explanation of why a hit matched, e.g. `name prefix 'cust'`, `label: 'Customers V3'`. */
export function describeMatch(hit: StoreSearchHit, query: ParsedQuery): string {
  const subject = hit.memberName ?? hit.name;
  if (hit.tier === 0)
    return hit.memberName ? `exact ${MEMBER_NOUN[hit.kind] ?? "member"} name` : "exact name";
  if (hit.tier === 1) {
    const typed = (query.terms.join(" ") || hit.matchedText).toLowerCase();
    if (hit.memberName)
      return `${MEMBER_NOUN[hit.kind] ?? "member"} ${hit.memberName} (name prefix '${typed}')`;
    return `name prefix '${typed}'`;
  }
  switch (hit.matchedField) {
    case "label":
      return `label: '${hit.labelText ?? hit.matchedText}'`;
    case "property":
      return `property ${hit.memberName ?? hit.matchedText}`;
    case "member":
      return `${MEMBER_NOUN[hit.kind] ?? "member"} ${hit.memberName ?? hit.matchedText}`;
    case "action":
      return `action ${hit.memberName ?? hit.matchedText}`;
    case "collection":
      return `entity set '${hit.matchedText}'`;
    case "name":
      return `name '${subject}'`;
    default:
      return `${hit.matchedField}: '${hit.matchedText}'`;
  }
}
