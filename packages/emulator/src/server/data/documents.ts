/**
 * Entity JSON on the wire (protocol §8.1–§8.4): minimal metadata, `@odata.etag` first, then the
 * properties in schema order (or the `$select` list), expanded navigation one level deep.
 */
import type { NavigationPropertyJson } from "d365fo-client";
import type { ExpandItem } from "./query.js";
import { type DataStore, etagOf, type StoredRow } from "./store.js";
import { type EntityTable, referentialPairs } from "./table.js";
import type { FieldValue, Row } from "./values.js";

type Json = Record<string, unknown>;

/** Fixed-value constraints of a navigation hold for these two rows. */
function fixedConstraintsHold(nav: NavigationPropertyJson, source: Row, related: Row): boolean {
  for (const c of nav.Constraints) {
    if (c["@odata.type"] === "#Microsoft.Dynamics.Metadata.FixedConstraint" && c.ValueStr !== null) {
      if (source[c.Property] !== c.ValueStr) return false;
    }
    if (c["@odata.type"] === "#Microsoft.Dynamics.Metadata.RelatedFixedConstraint" && c.ValueStr !== null) {
      if (related[c.RelatedProperty] !== c.ValueStr) return false;
    }
  }
  return true;
}

function equalKey(a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  return typeof a === "string" && typeof b === "string" ? a.toLowerCase() === b.toLowerCase() : a === b;
}

/** Resolves navigation from one row (a row, null, or the related rows for Multiple). */
export class NavigationResolver {
  private readonly indexes = new Map<string, Map<string, number[]>>();

  constructor(private readonly store: DataStore) {}

  single(nav: NavigationPropertyJson, source: Row): { table: EntityTable; row: StoredRow } | null {
    const target = this.store.tableOfEntity(nav.RelatedEntity);
    if (!target) return null;
    const key: Row = {};
    for (const [property, referenced] of referentialPairs(nav)) key[referenced] = source[property];
    if (target.keys.some((k) => key[k.Name] === undefined)) {
      // Not a key lookup: the first row whose referenced fields match.
      for (const position of this.related(target, nav, source, "single")) {
        const row = this.store.row(target, position);
        if (row) return fixedConstraintsHold(nav, source, row.values) ? { table: target, row } : null;
      }
      return null;
    }
    const position = this.store.find(target, key);
    const row = position === undefined ? undefined : this.store.row(target, position);
    return row && fixedConstraintsHold(nav, source, row.values) ? { table: target, row } : null;
  }

  multiple(nav: NavigationPropertyJson, source: Row): { table: EntityTable; rows: StoredRow[] } | null {
    const target = this.store.tableOfEntity(nav.RelatedEntity);
    if (!target) return null;
    const rows: StoredRow[] = [];
    for (const position of this.related(target, nav, source, "multiple")) {
      const row = this.store.row(target, position);
      if (row && fixedConstraintsHold(nav, source, row.values)) rows.push(row);
    }
    return { table: target, rows };
  }

  /** Positions in `target` whose constrained fields equal the source row's (index built once per set). */
  private related(
    target: EntityTable,
    nav: NavigationPropertyJson,
    source: Row,
    mode: "single" | "multiple",
  ): number[] {
    const pairs = referentialPairs(nav).map(([property, referenced]) =>
      mode === "single" ? ([referenced, property] as const) : ([property, referenced] as const),
    );
    if (pairs.length === 0) return [];
    const id = `${target.set}|${this.store.generation(target)}|${pairs.map((p) => p[0]).join(",")}`;
    let index = this.indexes.get(id);
    if (!index) {
      index = new Map();
      const size = this.store.size(target);
      for (let i = 0; i < size; i++) {
        const row = this.store.row(target, i);
        if (!row) continue;
        const k = pairs.map(([related]) => String(row.values[related]).toLowerCase()).join("\u0001");
        const list = index.get(k);
        if (list) list.push(i);
        else index.set(k, [i]);
      }
      this.indexes.set(id, index);
    }
    const wanted = pairs.map(([, own]) => String(source[own]).toLowerCase()).join("\u0001");
    return (index.get(wanted) ?? []).filter((i) => {
      const row = this.store.row(target, i);
      return row !== undefined && pairs.every(([related, own]) => equalKey(row.values[related], source[own]));
    });
  }
}

/** One row's JSON object: `@odata.etag`, the (selected) properties, expanded navigation. */
export function rowObject(
  table: EntityTable,
  row: StoredRow,
  select?: readonly string[],
  expand?: readonly ExpandItem[],
  resolver?: NavigationResolver,
): Json {
  const out: Json = { "@odata.etag": etagOf(row) };
  if (select) {
    for (const name of select) out[name] = row.values[name];
  } else {
    for (const p of table.entity.Properties) out[p.Name] = row.values[p.Name];
  }
  if (expand && resolver) {
    for (const item of expand) {
      const nav = item.navigation;
      if (nav.Cardinality === "Multiple") {
        const related = resolver.multiple(nav, row.values);
        out[nav.Name] = related ? related.rows.map((r) => rowObject(related.table, r, item.select)) : [];
      } else {
        const related = resolver.single(nav, row.values);
        out[nav.Name] = related ? rowObject(related.table, related.row, item.select) : null;
      }
    }
  }
  return out;
}

/**
 * One row's JSON text. Without `$select`/`$expand` the stored values (kept in schema order) are
 * serialised once with the ETag spliced in front, instead of being copied into a second object.
 */
export function rowJson(
  table: EntityTable,
  row: StoredRow,
  select?: readonly string[],
  expand?: readonly ExpandItem[],
  resolver?: NavigationResolver,
): string {
  if (select || expand) return JSON.stringify(rowObject(table, row, select, expand, resolver));
  const values = JSON.stringify(row.values);
  const etag = `{"@odata.etag":${JSON.stringify(etagOf(row))}`;
  return values === "{}" ? `${etag}}` : `${etag},${values.slice(1)}`;
}

/** `@odata.context` of a collection or entity, with the `$select` list when given (§8.3). */
export function contextUrl(base: string, set: string, select?: readonly string[], entity = false): string {
  let context = `${base}/data/$metadata#${set}`;
  if (select) context += `(${select.join(",")})`;
  return entity ? `${context}/$entity` : context;
}
