/**
 * What the full-text index holds and how its rows are addressed: the rowid encoding, the insert
 * statements, the `words` column (identifiers split by the one neutral splitter), and rebuilding
 * the index from stored definitions (a migration back-fill).
 */
import { ResponseTooLargeError } from "../../errors.js";
import { identifierIndexWords } from "../search-terms.js";
import type { SqliteDatabase, SqliteStatement } from "./connection.js";
import { MEMBER_SEARCH_TABLE, SEARCH_TABLE } from "./schema.js";

export { MEMBER_SEARCH_TABLE, SEARCH_TABLE };

/** Kind codes of full-text rows. */
export const SEARCH_KIND_CODES = {
  dataEntity: 1,
  publicEntity: 2,
  property: 3,
  enumeration: 4,
  enumMember: 5,
  action: 6,
  label: 7,
} as const;

export type SearchKindName = keyof typeof SEARCH_KIND_CODES;

/** The full-text table holding rows of a kind. */
export function searchTableOf(kind: SearchKindName): string {
  return kind === "property" || kind === "action" || kind === "enumMember"
    ? MEMBER_SEARCH_TABLE
    : SEARCH_TABLE;
}

export const insertSearchRowSql = (table: string) =>
  `INSERT INTO ${table}(rowid, name, collection, words, text) VALUES (?, ?, ?, ?, ?)`;

/** Child items (properties, actions, members) per definition that a full-text rowid can address. */
export const MAX_SEARCH_ORDINAL = 65_536;
/** Name lengths are recorded up to this value (longer names count as this long). */
export const MAX_SEARCH_NAME_LENGTH = 127;

/**
 * Full-text rowid: `((ownerId × 65 536 + ordinal) × 128 + nameLength) × 8 + kind`. `ownerId` is the
 * definition (public entity for properties and actions, enumeration for members, else the item
 * itself) and `ordinal` the child's position, so scoping a hit to a version needs only the owner,
 * straight from the rowid; `nameLength` (capped at 127) orders name matches closest-first without
 * reading any row. Stays below 2^53 for owner ids up to 2^27.
 */
export function searchRowId(ownerId: number, ordinal: number, kind: SearchKindName, name = ""): number {
  // Characters (code points), as SQLite's length() counts them.
  const length = Math.min([...name].length, MAX_SEARCH_NAME_LENGTH);
  return ((ownerId * MAX_SEARCH_ORDINAL + ordinal) * 128 + length) * 8 + SEARCH_KIND_CODES[kind];
}

export interface DecodedSearchRowId {
  ownerId: number;
  ordinal: number;
  nameLength: number;
  code: number;
}

export function decodeSearchRowId(rowid: number): DecodedSearchRowId {
  const code = rowid % 8;
  const withLength = (rowid - code) / 8;
  const nameLength = withLength % 128;
  const item = (withLength - nameLength) / 128;
  const ordinal = item % MAX_SEARCH_ORDINAL;
  return { ownerId: (item - ordinal) / MAX_SEARCH_ORDINAL, ordinal, nameLength, code };
}

/** SQL expression of the same encoding (for deletes computed in SQL). */
export function searchRowIdSql(
  ownerExpr: string,
  ordinalExpr: string,
  kind: SearchKindName,
  nameExpr = "''",
): string {
  return `(((${ownerExpr}) * ${MAX_SEARCH_ORDINAL} + (${ordinalExpr})) * 128 + min(length(${nameExpr}), ${MAX_SEARCH_NAME_LENGTH})) * 8 + ${SEARCH_KIND_CODES[kind]}`;
}

export const INDEX_SQL = insertSearchRowSql(SEARCH_TABLE);
export const MEMBER_INDEX_SQL = insertSearchRowSql(MEMBER_SEARCH_TABLE);

/** The `words` column: identifiers split into words (`CustomerAccount` → `Customer Account`). */
export function identifierWords(...names: (string | null | undefined)[]): string {
  return names
    .map((n) => (n ? identifierIndexWords(n) : ""))
    .filter((w) => w !== "")
    .join(" ");
}

export function checkOrdinal(ordinal: number, where: string): void {
  if (ordinal >= MAX_SEARCH_ORDINAL) {
    // Server data too large to index (not the caller's configuration).
    throw new ResponseTooLargeError("item", MAX_SEARCH_ORDINAL, where, { unit: "members" });
  }
}

/** Fills the full-text index for definitions and label texts already stored (migration back-fill). */
export function rebuildSearchIndex(db: SqliteDatabase): void {
  const inserts: Record<string, SqliteStatement> = {
    [SEARCH_TABLE]: db.prepare(INDEX_SQL),
    [MEMBER_SEARCH_TABLE]: db.prepare(MEMBER_INDEX_SQL),
  };
  const insert = inserts[SEARCH_TABLE];
  type Row = { id: number; name: string; c: string | null; o: number };
  const sources: [string, SearchKindName][] = [
    ["SELECT id, name, public_collection_name AS c, 0 AS o FROM data_entities", "dataEntity"],
    ["SELECT id, name, entity_set_name AS c, 0 AS o FROM public_entities", "publicEntity"],
    ["SELECT entity_id AS id, name, NULL AS c, property_order AS o FROM entity_properties", "property"],
    ["SELECT entity_id AS id, name, NULL AS c, action_order AS o FROM entity_actions", "action"],
    ["SELECT id, name, NULL AS c, 0 AS o FROM enumerations", "enumeration"],
    [
      "SELECT enumeration_id AS id, name, NULL AS c, member_order AS o FROM enumeration_members",
      "enumMember",
    ],
  ];
  for (const [sql, kind] of sources) {
    for (const r of db.prepare(sql).all() as Row[]) {
      inserts[searchTableOf(kind)].run(
        searchRowId(r.id, r.o, kind, r.name),
        r.name,
        r.c ?? "",
        identifierWords(r.name, r.c),
        "",
      );
    }
  }
  for (const r of db.prepare("SELECT id, label_text FROM labels_cache").all() as {
    id: number;
    label_text: string;
  }[]) {
    insert.run(searchRowId(r.id, 0, "label"), "", "", "", r.label_text);
  }
}
