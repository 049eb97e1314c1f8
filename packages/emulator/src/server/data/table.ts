/**
 * One entity set's generated rows, produced lazily by position (never held as a whole, so a set
 * can have 100,000 rows). Company-specific entities (those with a `dataAreaId` key) spread their
 * rows over the companies in contiguous blocks, sorted by company then key; keys encode the row's
 * position inside its company, so they are unique and sort in position order. Foreign keys of
 * single-valued navigation properties take the key of a row of the target set in the same
 * company, so navigation targets resolve.
 */
import type { NavigationPropertyJson, PublicEntityJson, PublicEntityPropertyJson } from "d365fo-client";
import { deriveSeed } from "../random.js";
import { type FieldValue, keyGenerator, mix, type Row, valueGenerator } from "./values.js";

export const COMPANY_FIELD = "dataAreaId";

export interface TableContext {
  seed: number;
  companies: readonly string[];
  /** Member names of an enumeration (by its name without namespace). */
  enumMembers(enumName: string): readonly string[] | undefined;
  /** The table of another entity (by entity name), for foreign keys. */
  tableOfEntity(entityName: string): EntityTable | undefined;
  rowCount(entitySet: string): number;
}

interface ForeignKeyGroup {
  target: EntityTable;
  salt: number;
  /** [source property, target key property] */
  pairs: [string, string][];
  sameCompany: boolean;
}

const ENUM_PREFIX = "Microsoft.Dynamics.DataEntities.";

export class EntityTable {
  readonly set: string;
  readonly keys: readonly PublicEntityPropertyJson[];
  readonly properties: ReadonlyMap<string, PublicEntityPropertyJson>;
  readonly companySpecific: boolean;
  /** Rows generated at start (positions 0..count-1). */
  readonly count: number;
  readonly perCompany: number;
  private readonly hashes: number[];
  private readonly members = new Map<string, readonly string[] | undefined>();
  /** Per property (schema order): its value from a hash, or for keys from the position in the company. */
  private readonly values: ((h: number) => FieldValue)[];
  private readonly keyValues = new Map<string, (position: number) => FieldValue>();
  private foreignKeys?: ForeignKeyGroup[];

  constructor(
    readonly entity: PublicEntityJson,
    private readonly context: TableContext,
  ) {
    this.set = entity.EntitySetName;
    this.keys = entity.Properties.filter((p) => p.IsKey);
    this.properties = new Map(entity.Properties.map((p) => [p.Name, p]));
    this.companySpecific = this.keys.some((k) => k.Name === COMPANY_FIELD);
    this.count = Math.max(0, Math.floor(context.rowCount(this.set)));
    const companies = this.companySpecific ? context.companies.length : 1;
    this.perCompany = Math.ceil(this.count / companies);
    const seed = deriveSeed(context.seed, `rows:${this.set}`);
    this.hashes = entity.Properties.map((p) => deriveSeed(seed, p.Name));
    for (const p of entity.Properties) this.members.set(p.Name, this.membersOf(p));
    this.values = entity.Properties.map((p) => valueGenerator(p, this.members.get(p.Name)));
    for (const k of this.keys) this.keyValues.set(k.Name, keyGenerator(k, this.members.get(k.Name)));
  }

  /** Member names of an enum-typed property (undefined for other types). */
  enumMembersOf(property: PublicEntityPropertyJson): readonly string[] | undefined {
    return this.members.get(property.Name);
  }

  private membersOf(p: PublicEntityPropertyJson): readonly string[] | undefined {
    if (p.DataType !== "Enum" || !p.TypeName.startsWith(ENUM_PREFIX)) return undefined;
    return this.context.enumMembers(p.TypeName.slice(ENUM_PREFIX.length));
  }

  companyIndexOf(position: number): number {
    return this.companySpecific && this.perCompany > 0 ? Math.floor(position / this.perCompany) : 0;
  }

  /** Number of generated rows in the company with this index. */
  countInCompany(companyIndex: number): number {
    if (!this.companySpecific) return this.count;
    return Math.max(0, Math.min(this.perCompany, this.count - companyIndex * this.perCompany));
  }

  /** The key value of `property` for the generated row at `local` inside company `companyIndex`. */
  keyValue(property: PublicEntityPropertyJson, companyIndex: number, local: number): FieldValue {
    if (property.Name === COMPANY_FIELD) return this.context.companies[companyIndex];
    const generate =
      this.keyValues.get(property.Name) ?? keyGenerator(property, this.enumMembersOf(property));
    return generate(local);
  }

  /** Only the key fields of the generated row at `position` (cheap: for the key index). */
  generatedKey(position: number): Row {
    const companyIndex = this.companyIndexOf(position);
    const local = position - companyIndex * (this.companySpecific ? this.perCompany : 0);
    const row: Row = {};
    for (const k of this.keys) row[k.Name] = this.keyValue(k, companyIndex, local);
    return row;
  }

  /** The generated row at `position` (0 ≤ position < count), every property in schema order. */
  generated(position: number): Row {
    const companyIndex = this.companyIndexOf(position);
    const local = position - companyIndex * (this.companySpecific ? this.perCompany : 0);
    const row: Row = {};
    const props = this.entity.Properties;
    for (let i = 0; i < props.length; i++) {
      const p = props[i];
      row[p.Name] = p.IsKey
        ? this.keyValue(p, companyIndex, local)
        : this.values[i](mix(this.hashes[i], position));
    }
    for (const group of this.foreignKeyGroups()) {
      const target = group.target;
      const targetCompany = group.sameCompany
        ? companyIndex
        : mix(group.salt, position) % (target.companySpecific ? this.context.companies.length : 1);
      const available = target.countInCompany(targetCompany);
      if (available === 0) continue;
      const j = mix(group.salt, position + 1) % available;
      for (const [source, targetKey] of group.pairs) {
        const key = target.properties.get(targetKey) as PublicEntityPropertyJson;
        row[source] = target.keyValue(key, targetCompany, j);
      }
    }
    return row;
  }

  /** Single-valued navigation properties whose foreign keys this table fills (first one wins). */
  private foreignKeyGroups(): ForeignKeyGroup[] {
    if (this.foreignKeys) return this.foreignKeys;
    const groups: ForeignKeyGroup[] = [];
    const assigned = new Set(this.keys.map((k) => k.Name));
    for (const [n, nav] of this.entity.NavigationProperties.entries()) {
      if (nav.Cardinality === "Multiple") continue;
      const target = this.context.tableOfEntity(nav.RelatedEntity);
      if (!target || target === this) continue;
      const pairs = referentialPairs(nav).filter(([source]) => source !== COMPANY_FIELD);
      if (pairs.length === 0 || pairs.some(([source]) => assigned.has(source))) continue;
      if (pairs.some(([source, key]) => !this.properties.has(source) || !target.properties.get(key)?.IsKey))
        continue;
      for (const [source] of pairs) assigned.add(source);
      const sameCompany =
        this.companySpecific &&
        target.companySpecific &&
        referentialPairs(nav).some(([source]) => source === COMPANY_FIELD);
      groups.push({ target, pairs, salt: deriveSeed(n, `${this.set}:${nav.Name}`), sameCompany });
    }
    this.foreignKeys = groups;
    return groups;
  }
}

/** `[Property, ReferencedProperty]` of a navigation's referential constraints. */
export function referentialPairs(nav: NavigationPropertyJson): [string, string][] {
  const pairs: [string, string][] = [];
  for (const c of nav.Constraints) {
    if (c["@odata.type"] === "#Microsoft.Dynamics.Metadata.ReferentialConstraint") {
      pairs.push([c.Property, c.ReferencedProperty]);
    }
  }
  return pairs;
}
