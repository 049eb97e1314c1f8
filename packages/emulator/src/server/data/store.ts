/**
 * An environment's entity data: generated rows (lazy, per entity set) plus an in-memory overlay
 * of writes (created, changed and deleted rows), weak ETags, a key index, and an undo journal for
 * atomic `$batch` changesets. `reset()` forgets every write.
 */
import { ConfigurationError } from "d365fo-client";
import type { DataOptions } from "../../api.js";
import type { EmulatorRelease } from "../../model/types.js";
import { COMPANY_FIELD, EntityTable } from "./table.js";
import { FIRST_REC_ID, type FieldValue, type Row } from "./values.js";

export const DEFAULT_COMPANIES = ["usmf", "usrt", "demf"];
export const DEFAULT_ROWS_PER_ENTITY = 30;

export interface StoredRow {
  values: Row;
  /** Bumped on every update; part of the ETag. */
  version: number;
  recId: number;
}

interface Overlay {
  /** Rows written at a position (null = deleted); positions ≥ table.count are created rows. */
  changed: Map<number, StoredRow | null>;
  next: number;
  keyIndex?: Map<string, number>;
  /** Bumped on every write to the set (invalidates cached query results). */
  generation: number;
}

/** The weak ETag of a row: `W/"<base64 of '<version>,<RecId>'>"` (protocol §8.1). */
export function etagOf(row: StoredRow): string {
  return `W/"${Buffer.from(`'${row.version},${row.recId}'`).toString("base64")}"`;
}

function keyPart(value: FieldValue): string {
  // Keys compare like SQL Server's case-insensitive collation ('USMF' finds 'usmf').
  return typeof value === "string" ? value.toLowerCase() : String(value);
}

export class DataStore {
  readonly companies: readonly string[];
  readonly defaultCompany: string;
  private readonly tables = new Map<string, EntityTable | null>();
  private readonly entitySets: Map<string, string>;
  private overlays = new Map<string, Overlay>();
  private journal?: (() => void)[];
  private readonly enums: Map<string, readonly string[]>;

  constructor(
    readonly release: EmulatorRelease,
    private readonly seed: number,
    private readonly options: DataOptions = {},
  ) {
    this.companies = [...(options.companies ?? DEFAULT_COMPANIES)].map((c) => c.toLowerCase()).sort();
    this.defaultCompany = (options.defaultCompany ?? "usmf").toLowerCase();
    if (!this.companies.includes(this.defaultCompany)) {
      throw new ConfigurationError(
        `The default company '${this.defaultCompany}' is not one of the companies ${this.companies.join(", ")}`,
      );
    }
    this.entitySets = new Map(release.publicEntities.map((e) => [e.Name, e.EntitySetName]));
    this.enums = new Map(release.enumerations.map((e) => [e.Name, e.Members.map((m) => m.Name)]));
  }

  /** The table of an entity set (case-sensitive name), or undefined for an unknown set. */
  table(set: string): EntityTable | undefined {
    let table = this.tables.get(set);
    if (table === undefined) {
      const entity = this.release.publicEntities.find((e) => e.EntitySetName === set);
      table = entity
        ? new EntityTable(entity, {
            seed: this.seed,
            companies: this.companies,
            enumMembers: (name) => this.enums.get(name),
            tableOfEntity: (name) => {
              const target = this.entitySets.get(name);
              return target === undefined ? undefined : this.table(target);
            },
            rowCount: (name) =>
              this.options.rowsBySet?.[name] ?? this.options.rowsPerEntity ?? DEFAULT_ROWS_PER_ENTITY,
          })
        : null;
      this.tables.set(set, table);
    }
    return table ?? undefined;
  }

  tableOfEntity(entityName: string): EntityTable | undefined {
    const set = this.entitySets.get(entityName);
    return set === undefined ? undefined : this.table(set);
  }

  enumMembers(enumName: string): readonly string[] | undefined {
    return this.enums.get(enumName);
  }

  private overlay(table: EntityTable): Overlay {
    let overlay = this.overlays.get(table.set);
    if (!overlay) {
      overlay = { changed: new Map(), next: table.count, generation: 0 };
      this.overlays.set(table.set, overlay);
    }
    return overlay;
  }

  /** Positions to scan: 0..size-1 (some may be deleted). */
  size(table: EntityTable): number {
    return this.overlays.get(table.set)?.next ?? table.count;
  }

  generation(table: EntityTable): number {
    return this.overlays.get(table.set)?.generation ?? 0;
  }

  /** Whether the row at a position is still the generated one (never written). */
  untouched(table: EntityTable, position: number): boolean {
    return position < table.count && !this.overlays.get(table.set)?.changed.has(position);
  }

  /** The current row at a position, or undefined when it was deleted (or never existed). */
  row(table: EntityTable, position: number): StoredRow | undefined {
    const changed = this.overlays.get(table.set)?.changed.get(position);
    if (changed !== undefined) return changed ?? undefined;
    if (position >= table.count) return undefined;
    return { values: table.generated(position), version: 1, recId: FIRST_REC_ID + position };
  }

  /** Company of the row (lowercase), or undefined for shared entities. */
  companyOf(table: EntityTable, row: Row): string | undefined {
    return table.companySpecific ? String(row[COMPANY_FIELD]).toLowerCase() : undefined;
  }

  keyString(table: EntityTable, values: Readonly<Record<string, FieldValue>>): string {
    return table.keys.map((k) => keyPart(values[k.Name])).join("\u0001");
  }

  private keyIndex(table: EntityTable): Map<string, number> {
    const overlay = this.overlay(table);
    if (!overlay.keyIndex) {
      const index = new Map<string, number>();
      for (let i = 0; i < table.count; i++) index.set(this.keyString(table, table.generatedKey(i)), i);
      for (const [position, row] of overlay.changed) {
        if (row) index.set(this.keyString(table, row.values), position);
      }
      overlay.keyIndex = index;
    }
    return overlay.keyIndex;
  }

  /** Position of the live row with these key values, if any. */
  find(table: EntityTable, key: Readonly<Record<string, FieldValue>>): number | undefined {
    const position = this.keyIndex(table).get(this.keyString(table, key));
    return position !== undefined && this.row(table, position) ? position : undefined;
  }

  /** Begins a unit of work (an atomic changeset): `rollback()` undoes every write made since. */
  begin(): { commit(): void; rollback(): void } {
    const outer = this.journal;
    const journal: (() => void)[] = [];
    this.journal = journal;
    return {
      commit: () => {
        this.journal = outer;
        if (outer) outer.push(...journal);
      },
      rollback: () => {
        this.journal = outer;
        for (const undo of journal.reverse()) undo();
      },
    };
  }

  private write(table: EntityTable, position: number, row: StoredRow | null): void {
    const overlay = this.overlay(table);
    const hadChange = overlay.changed.has(position);
    const before = overlay.changed.get(position);
    const index = this.keyIndex(table);
    const previousNext = overlay.next;
    overlay.changed.set(position, row);
    if (row) index.set(this.keyString(table, row.values), position);
    if (position >= overlay.next) overlay.next = position + 1;
    overlay.generation++;
    this.journal?.push(() => {
      if (hadChange) overlay.changed.set(position, before ?? null);
      else overlay.changed.delete(position);
      if (!row) {
        const restored = this.row(table, position);
        if (restored) index.set(this.keyString(table, restored.values), position);
      } else if (!before && position >= table.count) {
        index.delete(this.keyString(table, row.values));
      }
      overlay.next = previousNext;
      overlay.generation++;
    });
  }

  insert(table: EntityTable, values: Row): StoredRow {
    const overlay = this.overlay(table);
    const position = overlay.next;
    const row: StoredRow = { values, version: 1, recId: FIRST_REC_ID + position };
    this.write(table, position, row);
    return row;
  }

  update(table: EntityTable, position: number, values: Row): StoredRow {
    const current = this.row(table, position) as StoredRow;
    const row: StoredRow = { values, version: current.version + 1, recId: current.recId };
    this.write(table, position, row);
    return row;
  }

  remove(table: EntityTable, position: number): void {
    this.write(table, position, null);
  }

  /** Forgets every write (generated rows come back as they were). */
  reset(): void {
    this.overlays = new Map();
  }
}
