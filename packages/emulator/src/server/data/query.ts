/**
 * System query options on `/data/<Set>` (protocol §1.2, §1.3): `$filter` (the `data` dialect),
 * `$select`, `$orderby`, `$top`, `$skip`, `$count`, `$expand` (one level, with a nested
 * `$select`), `$format`, and `cross-company`. Parsing is pure; `matchPositions` scans the store
 * (results cached per set, write generation and query, so paging through a large set with `$skip`
 * does not rescan it for every page).
 */
import type { NavigationPropertyJson, PublicEntityPropertyJson } from "d365fo-client";
import { ODataQueryError } from "../odata/errors.js";
import {
  compileFilter,
  type FilterPredicate,
  type PropertySchema,
  type PropertyType,
} from "../odata/filter.js";
import { checkFormat, parseCount, parseNonNegativeInteger } from "../odata/query.js";
import type { DataStore } from "./store.js";
import { COMPANY_FIELD, type EntityTable } from "./table.js";
import type { FieldValue, Row } from "./values.js";

export interface ExpandItem {
  navigation: NavigationPropertyJson;
  select?: string[];
}

export interface DataQuery {
  filterText?: string;
  filter?: FilterPredicate;
  select?: string[];
  orderby?: { name: string; descending: boolean }[];
  orderbyText?: string;
  top?: number;
  skip: number;
  count: boolean;
  expand?: ExpandItem[];
  crossCompany: boolean;
}

const COLLECTION_OPTIONS = new Set([
  "$filter",
  "$select",
  "$orderby",
  "$top",
  "$skip",
  "$count",
  "$expand",
  "$format",
]);
const ENTITY_OPTIONS = new Set(["$select", "$expand", "$format"]);

const schemas = new WeakMap<EntityTable, PropertySchema>();

function propertyType(p: PublicEntityPropertyJson): PropertyType {
  switch (p.DataType) {
    case "Int32":
    case "Int64":
    case "Real":
    case "Time":
      return "number";
    case "Date":
    case "UtcDateTime":
      return "datetime";
    case "Guid":
      return "guid";
    case "Enum":
      return `enum:${p.TypeName}`;
    case "Container":
      return "binary";
    default:
      return "string";
  }
}

export function schemaOf(table: EntityTable): PropertySchema {
  let schema = schemas.get(table);
  if (!schema) {
    const out: Record<string, PropertyType> = {};
    for (const p of table.entity.Properties) out[p.Name] = propertyType(p);
    schema = out;
    schemas.set(table, schema);
  }
  return schema;
}

function selectList(value: string, table: EntityTable): string[] | undefined {
  const names = value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
  if (names.length === 0) throw new ODataQueryError("The $select option is empty");
  if (names.includes("*")) return undefined;
  for (const name of names) {
    // Navigation properties may be selected too (they appear when they are expanded).
    if (!table.properties.has(name) && !table.entity.NavigationProperties.some((n) => n.Name === name)) {
      throw new ODataQueryError(
        `Could not find a property named '${name}' on type 'Microsoft.Dynamics.DataEntities.${table.entity.Name}'.`,
      );
    }
  }
  return [...new Set(names)];
}

/** Splits on commas outside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")") depth--;
    else if (text[i] === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== "");
}

function parseExpand(value: string, table: EntityTable, store: DataStore): ExpandItem[] {
  const items: ExpandItem[] = [];
  for (const part of splitTopLevel(value)) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?$/s.exec(part);
    if (!match) {
      if (part.includes("/"))
        throw new ODataQueryError(`$expand is supported one level deep only ('${part}')`);
      throw new ODataQueryError(`Malformed $expand item '${part}'`);
    }
    const navigation = table.entity.NavigationProperties.find((n) => n.Name === match[1]);
    if (!navigation) {
      throw new ODataQueryError(
        `Could not find a navigation property named '${match[1]}' on type 'Microsoft.Dynamics.DataEntities.${table.entity.Name}'.`,
      );
    }
    const item: ExpandItem = { navigation };
    if (match[2] !== undefined && match[2].trim() !== "") {
      const target = store.tableOfEntity(navigation.RelatedEntity);
      for (const option of match[2].split(";")) {
        const [name, ...rest] = option.split("=");
        if (name.trim() === "$select" && target) item.select = selectList(rest.join("="), target);
        else if (name.trim() === "$expand")
          throw new ODataQueryError("$expand is supported one level deep only");
        else throw new ODataQueryError(`The option '${name.trim()}' is not supported inside $expand`);
      }
    }
    items.push(item);
  }
  return items;
}

function parseOrderby(value: string, table: EntityTable): { name: string; descending: boolean }[] {
  return value.split(",").map((part) => {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s+(asc|desc))?\s*$/.exec(part);
    if (!match) throw new ODataQueryError(`Malformed $orderby item '${part.trim()}'`);
    const property = table.properties.get(match[1]);
    if (!property) {
      throw new ODataQueryError(
        `Could not find a property named '${match[1]}' on type 'Microsoft.Dynamics.DataEntities.${table.entity.Name}'.`,
      );
    }
    if (property.DataType === "Container")
      throw new ODataQueryError(`The property '${match[1]}' cannot be used in $orderby`);
    return { name: match[1], descending: match[2] === "desc" };
  });
}

/** Reads the query options of a `/data` request (collection, or one entity with `single`). */
export function parseDataQuery(
  params: URLSearchParams,
  table: EntityTable,
  store: DataStore,
  single = false,
): DataQuery {
  const query: DataQuery = { skip: 0, count: false, crossCompany: false };
  const seen = new Set<string>();
  const allowed = single ? ENTITY_OPTIONS : COLLECTION_OPTIONS;
  for (const [name, value] of params) {
    if (name.toLowerCase() === "cross-company") {
      query.crossCompany = value.toLowerCase() === "true";
      continue;
    }
    if (!name.startsWith("$")) continue; // other custom query options are ignored
    if (seen.has(name)) throw new ODataQueryError(`The query option '${name}' was specified more than once`);
    seen.add(name);
    if (!allowed.has(name)) throw new ODataQueryError(`The query option '${name}' is not supported here`);
    switch (name) {
      case "$filter":
        query.filterText = value;
        query.filter = compileFilter(value, schemaOf(table), {
          dialect: "data",
          enumMembers: (type) => {
            const members = store.enumMembers(type.replace(/^Microsoft\.Dynamics\.DataEntities\./, ""));
            return members ? new Set(members) : undefined;
          },
        });
        break;
      case "$select":
        query.select = selectList(value, table);
        break;
      case "$orderby":
        query.orderbyText = value;
        query.orderby = parseOrderby(value, table);
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
      case "$expand":
        query.expand = parseExpand(value, table, store);
        break;
      case "$format":
        checkFormat(value);
        break;
    }
  }
  return query;
}

/** Whether a row is visible to the caller: the default company only, unless cross-company (§1.3). */
export function visible(store: DataStore, table: EntityTable, row: Row, crossCompany: boolean): boolean {
  return (
    crossCompany ||
    !table.companySpecific ||
    String(row[COMPANY_FIELD]).toLowerCase() === store.defaultCompany
  );
}

function sortValue(table: EntityTable, name: string, value: FieldValue): FieldValue {
  const property = table.properties.get(name);
  if (property?.DataType === "Enum") return table.enumMembersOf(property)?.indexOf(String(value)) ?? 0;
  return typeof value === "string" ? value.toLowerCase() : value;
}

const cache = new WeakMap<DataStore, Map<string, number[]>>();
const CACHE_ENTRIES = 8;

/** Positions of the visible rows matching the query's filter, in `$orderby` (else key) order. */
export function matchPositions(store: DataStore, table: EntityTable, query: DataQuery): number[] {
  const cacheKey = [
    table.set,
    store.generation(table),
    query.crossCompany,
    query.filterText ?? "",
    query.orderbyText ?? "",
  ].join("\u0000");
  let entries = cache.get(store);
  if (!entries) {
    entries = new Map();
    cache.set(store, entries);
  }
  const hit = entries.get(cacheKey);
  if (hit) return hit;
  const positions: number[] = [];
  const sortKeys: FieldValue[][] = [];
  const size = store.size(table);
  // Without a filter or an order, an untouched row's company follows from its position: no row is generated.
  const ownCompany = store.companies.indexOf(store.defaultCompany);
  const byPosition = !query.filter && !query.orderby;
  for (let i = 0; i < size; i++) {
    if (byPosition && store.untouched(table, i)) {
      if (query.crossCompany || !table.companySpecific || table.companyIndexOf(i) === ownCompany)
        positions.push(i);
      continue;
    }
    const row = store.row(table, i);
    if (!row || !visible(store, table, row.values, query.crossCompany)) continue;
    if (query.filter && !query.filter(row.values)) continue;
    positions.push(i);
    if (query.orderby) sortKeys.push(query.orderby.map((o) => sortValue(table, o.name, row.values[o.name])));
  }
  let result = positions;
  if (query.orderby) {
    const order = query.orderby;
    const indexes = positions.map((_, i) => i);
    indexes.sort((a, b) => {
      for (let k = 0; k < order.length; k++) {
        const x = sortKeys[a][k];
        const y = sortKeys[b][k];
        if (x < y) return order[k].descending ? 1 : -1;
        if (x > y) return order[k].descending ? -1 : 1;
      }
      return positions[a] - positions[b];
    });
    result = indexes.map((i) => positions[i]);
  }
  entries.set(cacheKey, result);
  if (entries.size > CACHE_ENTRIES) entries.delete(entries.keys().next().value as string);
  return result;
}
