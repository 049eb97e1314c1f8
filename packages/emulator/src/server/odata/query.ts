/**
 * OData system query options and key segments for the Metadata service: pure parsing and
 * application to an in-memory collection, no I/O.
 */
import { compileFilter, type FilterPredicate, ODataQueryError, type PropertySchema } from "./filter.js";
import { parseKeyLiterals } from "./keys.js";

export interface CollectionQuery {
  filter?: FilterPredicate;
  /** Property names in the order the client listed them. */
  select?: string[];
  top?: number;
  skip: number;
  count: boolean;
}

const SUPPORTED = new Set(["$filter", "$select", "$top", "$skip", "$count", "$format"]);

/** `$top` and `$skip` (for `/Metadata` and `/data` alike). */
export function parseNonNegativeInteger(name: string, raw: string): number {
  if (!/^[0-9]+$/.test(raw.trim())) {
    throw new ODataQueryError(`Invalid value '${raw}' for ${name}: a non-negative integer is required`);
  }
  return Number(raw.trim());
}

/** `$count`: `true` or `false`, nothing else. */
export function parseCount(value: string): boolean {
  if (value !== "true" && value !== "false") {
    throw new ODataQueryError(`Invalid value '${value}' for $count: 'true' or 'false' is required`);
  }
  return value === "true";
}

/** `$format`: JSON only, as the service answers. */
export function checkFormat(value: string): void {
  if (value !== "json" && !value.startsWith("application/json")) {
    throw new ODataQueryError(`The $format '${value}' is not supported`);
  }
}

/**
 * Reads the system query options of a collection request. `schema` lists the filterable and
 * selectable properties (all top-level properties of the item type).
 */
export function parseCollectionQuery(
  params: URLSearchParams,
  schema: PropertySchema,
  selectable: readonly string[],
): CollectionQuery {
  const query: CollectionQuery = { skip: 0, count: false };
  const seen = new Set<string>();
  for (const [name, value] of params) {
    if (!name.startsWith("$")) continue; // cross-company and other custom options are ignored
    if (seen.has(name)) throw new ODataQueryError(`The query option '${name}' was specified more than once`);
    seen.add(name);
    if (!SUPPORTED.has(name)) {
      throw new ODataQueryError(
        `The query option '${name}' is not supported by this Metadata service endpoint`,
      );
    }
    switch (name) {
      case "$filter":
        query.filter = compileFilter(value, schema);
        break;
      case "$select":
        query.select = parseSelect(value, selectable);
        break;
      case "$top":
        query.top = parseNonNegativeInteger(name, value);
        break;
      case "$skip":
        query.skip = parseNonNegativeInteger(name, value);
        break;
      case "$count":
        query.count = parseCount(value);
        break;
      case "$format":
        checkFormat(value);
        break;
    }
  }
  return query;
}

export function parseSelect(value: string, selectable: readonly string[]): string[] | undefined {
  const names = value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
  if (names.length === 0) throw new ODataQueryError("The $select option is empty");
  if (names.includes("*")) return undefined;
  for (const name of names) {
    if (!selectable.includes(name)) throw new ODataQueryError(`Could not find a property named '${name}'`);
  }
  return [...new Set(names)];
}

/** Parses the by-key part `('Name')` or `(Name='Name')` of a request path; returns the key value. */
export function parseSingleKey(segment: string, keyName: string): string {
  const keys = parseKeySegment(segment);
  if (keys.size === 1 && keys.has("")) return keys.get("")!;
  if (keys.size === 1 && keys.has(keyName)) return keys.get(keyName)!;
  throw new ODataQueryError(`The key '${segment}' does not match the key property '${keyName}'`);
}

/**
 * Parses `(...)` key syntax for the Metadata service, whose keys are all strings: `('v')` gives
 * `"" → v`; `(A='x',B='y')` gives named parts.
 */
export function parseKeySegment(segment: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const [name, literal] of parseKeyLiterals(segment)) {
    if (literal.kind !== "string")
      throw new ODataQueryError(`Key values must be quoted strings in '${segment}'`);
    keys.set(name, literal.value);
  }
  return keys;
}

export interface PageRequest {
  total: number;
  top?: number;
  skip: number;
  /** Server-driven page size; 0 = no server paging. */
  pageSize: number;
}

export interface PagePlan {
  start: number;
  end: number;
  /** `$skip` value of the next page, when a nextLink is due. */
  nextSkip?: number;
}

/** Which slice of a (filtered) collection one response carries. */
export function planPage({ total, top, skip, pageSize }: PageRequest): PagePlan {
  const start = Math.min(skip, total);
  if (top !== undefined) return { start, end: Math.min(total, start + top) };
  if (pageSize > 0 && total - start > pageSize) {
    return { start, end: start + pageSize, nextSkip: start + pageSize };
  }
  return { start, end: total };
}

/** The absolute nextLink: the original URL with `$skip` replaced (other options kept, in order). */
export function buildNextLink(
  origin: string,
  pathname: string,
  params: URLSearchParams,
  nextSkip: number,
): string {
  const parts: string[] = [];
  let replaced = false;
  for (const [name, value] of params) {
    if (name === "$skip") {
      parts.push(`$skip=${nextSkip}`);
      replaced = true;
    } else {
      parts.push(`${encodeQueryPart(name)}=${encodeQueryPart(value)}`);
    }
  }
  if (!replaced) parts.push(`$skip=${nextSkip}`);
  return `${origin}${pathname}?${parts.join("&")}`;
}

function encodeQueryPart(text: string): string {
  // Keep OData's `$`, `'`, `(`, `)` , `,` readable; encode everything URLSearchParams would mangle.
  return encodeURIComponent(text).replace(/%24/g, "$").replace(/%2C/g, ",");
}
