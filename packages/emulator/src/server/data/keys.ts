/**
 * Entity keys in request paths (protocol §1.4): `Set('US-001')` for a single key,
 * `Set(dataAreaId='usmf',CustomerAccount='US-001')` for composite keys (every key field, any
 * order), checked and converted against the entity's key fields (the syntax is odata/keys.ts). Pure.
 */
import type { PublicEntityPropertyJson } from "d365fo-client";
import { ODataQueryError } from "../odata/errors.js";
import { type KeyLiteral, parseKeyLiterals } from "../odata/keys.js";
import type { EntityTable } from "./table.js";
import { convertIncoming, type FieldValue, type Row } from "./values.js";

function keyValue(property: PublicEntityPropertyJson, literal: KeyLiteral, table: EntityTable): FieldValue {
  const wrongType = () =>
    new ODataQueryError(
      `The key value for '${property.Name}' is not a literal of type '${property.TypeName}' (strings are quoted; numbers, dates and GUIDs are not)`,
    );
  let raw: unknown;
  switch (property.DataType) {
    case "String":
      if (literal.kind !== "string") throw wrongType();
      raw = literal.value;
      break;
    case "Int32":
    case "Int64":
    case "Real":
    case "Time":
      if (literal.kind !== "number") throw wrongType();
      raw = literal.value;
      break;
    case "Date":
    case "UtcDateTime":
      if (literal.kind !== "datetime") throw wrongType();
      raw = literal.value;
      break;
    case "Guid":
      if (literal.kind !== "guid") throw wrongType();
      raw = literal.value;
      break;
    case "Enum":
      if (literal.kind !== "enum" || literal.type !== property.TypeName) throw wrongType();
      raw = literal.value;
      break;
    default:
      throw wrongType();
  }
  const converted = convertIncoming(property, raw, table.enumMembersOf(property));
  if (!converted.ok) throw new ODataQueryError(converted.message);
  return converted.value;
}

/** The key values a key segment names, checked against the entity's key fields. */
export function parseEntityKey(segment: string, table: EntityTable): Row {
  const parts = parseKeyLiterals(segment);
  const keys = table.keys;
  const row: Row = {};
  if (parts.has("")) {
    if (keys.length !== 1) {
      throw new ODataQueryError(
        `The number of keys specified in the URI does not match number of key properties for the resource '${table.entity.Name}'.`,
      );
    }
    row[keys[0].Name] = keyValue(keys[0], parts.get("") as KeyLiteral, table);
    return row;
  }
  for (const name of parts.keys()) {
    if (!keys.some((k) => k.Name === name)) {
      throw new ODataQueryError(`'${name}' is not a key property of '${table.entity.Name}'.`);
    }
  }
  if (parts.size !== keys.length) {
    throw new ODataQueryError(
      `The number of keys specified in the URI does not match number of key properties for the resource '${table.entity.Name}'.`,
    );
  }
  for (const k of keys) row[k.Name] = keyValue(k, parts.get(k.Name) as KeyLiteral, table);
  return row;
}

/** The canonical key segment of a row, e.g. `(dataAreaId='usmf',CustomerAccount='CA-000001')`. */
export function keySegmentOf(table: EntityTable, row: Readonly<Row>): string {
  const parts = table.keys.map((k) => {
    const value = row[k.Name];
    let text: string;
    if (k.DataType === "String") text = `'${String(value).replace(/'/g, "''")}'`;
    else if (k.DataType === "Enum") text = `${k.TypeName}'${String(value)}'`;
    else text = String(value);
    return table.keys.length === 1 ? text : `${k.Name}=${text}`;
  });
  return `(${parts.join(",")})`;
}
