/**
 * Pure helpers for full-text search: building a safe FTS5 MATCH expression from plain terms, and
 * splitting identifiers (PascalCase, camelCase, digits, underscores) into words so that
 * "customer account" finds `CustomerAccount`.
 */

/** A term must contain a letter or digit to mean anything to the tokenizer. */
const MEANINGFUL = /[\p{L}\p{N}]/u;

/** Control characters: FTS5 reads a NUL as the end of the query string ("unterminated string"). */
const CONTROL = /\p{Cc}/gu;

/** Terms that carry at least one letter or digit, trimmed, control characters blanked; others dropped. */
export function meaningfulTerms(terms: readonly string[]): string[] {
  return terms
    .map((t) => (typeof t === "string" ? t.replace(CONTROL, " ").trim() : ""))
    .filter((t) => MEANINGFUL.test(t));
}

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
      const quoted = `"${term.replaceAll('"', '""')}"`;
      return prefixLastTerm && i === kept.length - 1 ? `${quoted}*` : quoted;
    })
    .join(" ");
}

/**
 * Words of an identifier: `CustomerV3Entity` → `Customer V 3 Entity`, `CustInvoiceJour` →
 * `Cust Invoice Jour`, `HTTPStatus` → `HTTP Status`, `sales_order` → `sales order`.
 * Returns an empty string when splitting finds nothing beyond the identifier itself.
 */
export function splitIdentifierWords(identifier: string): string {
  const words = identifier
    .replace(/([\p{Ll}\p{N}])(\p{Lu})/gu, "$1 $2")
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, "$1 $2")
    .replace(/(\p{L})(\p{N})/gu, "$1 $2")
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
  if (words.length <= 1) return "";
  return words.join(" ");
}

/** The concatenation of terms used for exact-name and name-prefix tiers, lowercased. */
export function nameKey(terms: readonly string[]): string {
  return meaningfulTerms(terms)
    .join("")
    .replace(/[^\p{L}\p{N}_]/gu, "")
    .toLowerCase();
}
