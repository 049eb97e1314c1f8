/**
 * The OData key segment syntax (protocol §1.4): `('v')` (positional) or `(A='x',B=2)` (named, any
 * order). Strings are quoted (`''` escapes a quote); numbers, DateTimeOffsets and GUIDs are not;
 * enums are `Namespace.Type'Member'`. Pure; what the values must be is up to the caller.
 */
import { ODataQueryError } from "./errors.js";
import { readQuoted } from "./filter-tokens.js";

export type KeyLiteral =
  | { kind: "string"; value: string }
  | { kind: "number"; value: number }
  | { kind: "datetime"; value: string }
  | { kind: "guid"; value: string }
  | { kind: "enum"; type: string; value: string };

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})/;
const GUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}/;

function readLiteral(text: string, i: number, segment: string): { literal: KeyLiteral; end: number } {
  if (text[i] === "'") {
    const { value, end } = readQuoted(text, i);
    return { literal: { kind: "string", value }, end };
  }
  const rest = text.slice(i);
  const date = DATETIME.exec(rest);
  if (date) return { literal: { kind: "datetime", value: date[0] }, end: i + date[0].length };
  const guid = GUID.exec(rest);
  if (guid) return { literal: { kind: "guid", value: guid[0] }, end: i + guid[0].length };
  const number = /^-?\d+(\.\d+)?/.exec(rest);
  if (number) return { literal: { kind: "number", value: Number(number[0]) }, end: i + number[0].length };
  const enumLiteral = /^([A-Za-z_][A-Za-z0-9_.]*)'/.exec(rest);
  if (enumLiteral) {
    const { value, end } = readQuoted(text, i + enumLiteral[1].length);
    return { literal: { kind: "enum", type: enumLiteral[1], value }, end };
  }
  throw new ODataQueryError(`Bad literal in the key segment '${segment}'`);
}

/** Parses `(...)`: positional (`""` → literal) or named parts. */
export function parseKeyLiterals(segment: string): Map<string, KeyLiteral> {
  if (!segment.startsWith("(") || !segment.endsWith(")")) {
    throw new ODataQueryError(`Malformed key segment '${segment}'`);
  }
  const text = segment.slice(1, -1);
  const parts = new Map<string, KeyLiteral>();
  let i = 0;
  while (i < text.length) {
    while (text[i] === " ") i++;
    let name = "";
    const named = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*/.exec(text.slice(i));
    if (named) {
      name = named[1];
      i += named[0].length;
    }
    const { literal, end } = readLiteral(text, i, segment);
    if (parts.has(name)) throw new ODataQueryError(`Duplicate key '${name}' in '${segment}'`);
    parts.set(name, literal);
    i = end;
    while (text[i] === " ") i++;
    if (i < text.length) {
      if (text[i] !== ",") throw new ODataQueryError(`Malformed key segment '${segment}'`);
      i++;
    }
  }
  if (parts.size === 0) throw new ODataQueryError(`Empty key segment '${segment}'`);
  if (parts.has("") && parts.size > 1)
    throw new ODataQueryError(`Mixed positional and named keys in '${segment}'`);
  return parts;
}
