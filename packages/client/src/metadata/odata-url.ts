/**
 * Pure builders for OData URL pieces: literals, entity keys (protocol §1.4), query strings and the
 * Metadata-service filters real clients use.
 */
import { ConfigurationError } from "../errors.js";
import { METADATA_NAMESPACE } from "./wire.js";

/** `'O''Brien'`: single quotes, an embedded quote doubled. */
export function stringLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** ISO-8601 UTC without milliseconds when they are zero (F&O's own form: `2019-10-04T12:00:00Z`). */
export function dateTimeLiteral(value: Date): string {
  if (Number.isNaN(value.getTime())) throw new ConfigurationError("Invalid Date in an OData key");
  return value.toISOString().replace(/\.000Z$/, "Z");
}

export type KeyValue = string | number | Date;

function keyValueLiteral(value: KeyValue, field: string): string {
  if (value instanceof Date) return dateTimeLiteral(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new ConfigurationError(`Key field ${field} is not a finite number`);
    return String(value);
  }
  if (typeof value === "string") return stringLiteral(value);
  throw new ConfigurationError(`Key field ${field} must be a string, number or Date`);
}

/**
 * `('US-001')` for a bare string key; `(dataAreaId='usmf',CustomerAccount='US-001')` for a
 * record: strings quoted, numbers and dates unquoted.
 */
export function formatKey(key: Record<string, KeyValue> | string): string {
  if (typeof key === "string") return `(${stringLiteral(key)})`;
  const entries = Object.entries(key);
  if (entries.length === 0) throw new ConfigurationError("An entity key needs at least one field");
  return `(${entries
    .map(([field, value]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field))
        throw new ConfigurationError(`Invalid key field name ${JSON.stringify(field)}`);
      return `${field}=${keyValueLiteral(value, field)}`;
    })
    .join(",")})`;
}

/**
 * Percent-encodes a path segment but keeps the characters OData keys are made of readable
 * (`@ : ' ( ) , =`), as real clients send them.
 */
export function encodePathSegment(segment: string): string {
  return encodeURIComponent(segment)
    .replace(/%40/g, "@")
    .replace(/%3A/gi, ":")
    .replace(/%2C/gi, ",")
    .replace(/%3D/gi, "=")
    .replace(/%24/g, "$");
}

/** An identifier used in a URL path (entity set, action): letters, digits, underscore. */
export function assertIdentifier(value: string, what: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) {
    throw new ConfigurationError(`Invalid ${what} ${JSON.stringify(value.slice(0, 100))}`);
  }
  return value;
}

export interface QueryOptions {
  filter?: string;
  select?: readonly string[];
  top?: number;
  skip?: number;
  count?: boolean;
}

/** `?$filter=…&$select=…&$top=…&$skip=…` (empty string when nothing is set). */
export function buildQuery(options: QueryOptions = {}): string {
  const parts: string[] = [];
  if (options.filter) parts.push(`$filter=${encodeURIComponent(options.filter)}`);
  if (options.select && options.select.length > 0) {
    parts.push(`$select=${options.select.map((s) => encodeURIComponent(s)).join(",")}`);
  }
  for (const [name, value] of [
    ["$top", options.top],
    ["$skip", options.skip],
  ] as const) {
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 0)
      throw new ConfigurationError(`${name} must be a non-negative integer`);
    parts.push(`${name}=${value}`);
  }
  if (options.count) parts.push("$count=true");
  return parts.length > 0 ? `?${parts.join("&")}` : "";
}

export interface DataEntitySearch {
  /** Case-insensitive substring of the entity name. */
  text?: string;
  /** Master | Transaction | Reference | Document | Parameters | Configuration. */
  category?: string;
  dataServiceEnabled?: boolean;
  isReadOnly?: boolean;
}

/** The `$filter` for a DataEntities search, in the forms the Metadata service accepts. */
export function buildDataEntityFilter(search: DataEntitySearch): string | undefined {
  const clauses: string[] = [];
  if (search.text) clauses.push(`contains(tolower(Name),${stringLiteral(search.text.toLowerCase())})`);
  if (search.category) {
    assertIdentifier(search.category, "entity category");
    clauses.push(`EntityCategory eq ${METADATA_NAMESPACE}.EntityCategory'${search.category}'`);
  }
  if (search.dataServiceEnabled !== undefined)
    clauses.push(`DataServiceEnabled eq ${search.dataServiceEnabled}`);
  if (search.isReadOnly !== undefined) clauses.push(`IsReadOnly eq ${search.isReadOnly}`);
  return clauses.length > 0 ? clauses.join(" and ") : undefined;
}
