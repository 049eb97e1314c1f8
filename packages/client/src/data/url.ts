/**
 * Pure request building for `/data`: entity keys (protocol §1.4), query strings (§1.2), the
 * automatic `cross-company=true` (§1.3) and JSON bodies with the library's value types.
 */
import { ConfigurationError } from "../errors.js";
import { assertIdentifier, encodePathSegment } from "../metadata/odata-url.js";
import { type Filter, filterFields, renderFilter } from "./filter.js";
import { parseFilter } from "./filter-parse.js";
import { type EntitySchema, fieldTypeOf } from "./schema.js";
import { type EntityKey, isKeyRecord, keyEntries } from "./validate.js";
import { EnumValue, formatLiteral, GuidValue } from "./values.js";

/** `$orderby` item: `"Name"`, `"Name desc"` or `{ field: "Name", descending: true }`. */
export type OrderBy = string | { field: string; descending?: boolean };

export interface QueryShape {
  /** A filter built with `f`, or a `$filter` text (validated by parsing it). */
  filter?: Filter | string;
  select?: readonly string[];
  orderBy?: readonly OrderBy[];
  top?: number;
  skip?: number;
  /** Adds `$count=true`: the total is reported to `onPage`. */
  count?: boolean;
  /** Navigation properties to expand (one level, as D365 allows). */
  expand?: readonly string[];
  /**
   * `cross-company=true`. Default: automatic, on when the filter or key names `dataAreaId` or
   * `company` is set (otherwise D365 silently answers from the caller's default company only).
   */
  crossCompany?: boolean;
  /** Only this company's rows: adds `dataAreaId eq '<company>'` and cross-company. */
  company?: string;
}

export function orderByItems(
  orderBy: readonly OrderBy[] | undefined,
): { field: string; descending: boolean }[] {
  return (orderBy ?? []).map((item) => {
    if (typeof item !== "string") return { field: item.field, descending: item.descending === true };
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s+(asc|desc))?\s*$/i.exec(item);
    if (!match) throw new ConfigurationError(`Invalid $orderby item ${JSON.stringify(item)}`);
    return { field: match[1], descending: match[2]?.toLowerCase() === "desc" };
  });
}

/** The filter with the `company` condition added (to a text filter as text, so it is sent as written). */
export function effectiveFilter(shape: QueryShape): Filter | string | undefined {
  if (shape.company === undefined) return shape.filter;
  const company: Filter = {
    kind: "compare",
    op: "eq",
    left: { kind: "field", name: "dataAreaId" },
    right: { kind: "value", value: shape.company.toLowerCase() },
  };
  if (shape.filter === undefined) return company;
  if (typeof shape.filter === "string") return `${renderFilter(company)} and (${shape.filter})`;
  return { kind: "and", items: [company, shape.filter] };
}

function mentionsDataAreaId(filter: Filter | string | undefined): boolean {
  if (filter === undefined) return false;
  if (typeof filter !== "string") return filterFields(filter).has("dataAreaId");
  try {
    return filterFields(parseFilter(filter)).has("dataAreaId");
  } catch {
    // Not parseable here (the service will judge it): look for the name outside quotes.
    return /\bdataAreaId\b/.test(filter.replace(/'(?:[^']|'')*'/g, "''"));
  }
}

export function wantsCrossCompany(shape: QueryShape, key?: EntityKey): boolean {
  if (shape.crossCompany !== undefined) return shape.crossCompany;
  if (shape.company !== undefined) return true;
  if (key !== undefined && typeof key === "object" && key !== null && "dataAreaId" in key) return true;
  return mentionsDataAreaId(shape.filter);
}

/** `?cross-company=true` for a by-key request whose key names `dataAreaId` (or when asked). */
export function crossCompanyQuery(options: { crossCompany?: boolean }, key: EntityKey): string {
  return wantsCrossCompany({ crossCompany: options.crossCompany }, key) ? "?cross-company=true" : "";
}

function nonNegativeInteger(name: string, value: number | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < 0)
    throw new ConfigurationError(`${name} must be an integer >= 0`);
  return `${name}=${value}`;
}

/** `?$filter=…&$select=…&…&cross-company=true`, values rendered in their properties' forms. */
export function buildQueryString(
  shape: QueryShape,
  schema: EntitySchema | undefined,
  key?: EntityKey,
): string {
  const parts: string[] = [];
  const filter = effectiveFilter(shape);
  if (filter !== undefined) {
    const text =
      typeof filter === "string" ? filter : renderFilter(filter, (name) => fieldTypeOf(schema, name));
    parts.push(`$filter=${encodeURIComponent(text)}`);
  }
  if (shape.select?.length) parts.push(`$select=${shape.select.map((s) => encodeURIComponent(s)).join(",")}`);
  if (shape.expand?.length) parts.push(`$expand=${shape.expand.map((s) => encodeURIComponent(s)).join(",")}`);
  const order = orderByItems(shape.orderBy);
  if (order.length > 0)
    parts.push(`$orderby=${order.map((o) => `${o.field}${o.descending ? "%20desc" : ""}`).join(",")}`);
  for (const part of [nonNegativeInteger("$top", shape.top), nonNegativeInteger("$skip", shape.skip)])
    if (part) parts.push(part);
  if (shape.count) parts.push("$count=true");
  if (wantsCrossCompany(shape, key)) parts.push("cross-company=true");
  return parts.length > 0 ? `?${parts.join("&")}` : "";
}

/**
 * `(dataAreaId='usmf',CustomerAccount='US-001')`: fields in the schema's key order whatever order
 * they were given in; strings quoted, dates and GUIDs bare, enums as enum literals.
 */
export function formatEntityKey(key: EntityKey, schema?: EntitySchema): string {
  const entries = keyEntries(schema, key);
  if (entries.length === 0) throw new ConfigurationError("An entity key needs at least one field");
  // A bare key stays bare (`Customers('US-001')`), written in its field's form when known.
  if (!isKeyRecord(key))
    return `(${formatLiteral(key, schema?.keys.length === 1 ? fieldTypeOf(schema, schema.keys[0]) : undefined)})`;
  return `(${entries
    .map(([field, value]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field))
        throw new ConfigurationError(`Invalid key field name ${JSON.stringify(field)}`);
      if (value === null || value === undefined)
        throw new ConfigurationError(`Key field ${field} has no value`);
      return `${field}=${formatLiteral(value, fieldTypeOf(schema, field))}`;
    })
    .join(",")})`;
}

/** `/data/<Set>` or `/data/<Set>(<key>)`. */
export function entityPath(entitySet: string, key?: EntityKey, schema?: EntitySchema): string {
  assertIdentifier(entitySet, "entity set name");
  return `/data/${entitySet}${key === undefined ? "" : encodePathSegment(formatEntityKey(key, schema))}`;
}

/** JSON for a write body: GUID and enum values as their strings, dates as ISO, undefined dropped. */
export function jsonBody(body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    if (value === undefined) continue;
    if (value instanceof GuidValue) out[name] = value.value;
    else if (value instanceof EnumValue) out[name] = value.member;
    else if (value instanceof Date) out[name] = value.toISOString().replace(/\.000Z$/, "Z");
    else out[name] = value;
  }
  return out;
}

/** The row's `@odata.etag`, for `ifMatch: row`. */
export function etagOf(row: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const etag = row?.["@odata.etag"];
  return typeof etag === "string" ? etag : undefined;
}
