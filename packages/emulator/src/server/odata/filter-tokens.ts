/**
 * `$filter` tokenizer. Two dialects: `metadata` (the Metadata service's subset, protocol §2.5: no
 * unquoted date or GUID literals) and `data` (`/data`, §1.2: unquoted DateTimeOffset and GUID
 * literals, as in `TransDate ge 2025-07-01T00:00:00Z`). Pure.
 */
import { ODataQueryError } from "./errors.js";

export type FilterDialect = "metadata" | "data";

export type Token =
  | { kind: "string"; value: string; pos: number }
  | { kind: "number"; value: number; pos: number }
  | { kind: "datetime"; value: number; text: string; pos: number }
  | { kind: "guid"; value: string; pos: number }
  | { kind: "enum"; type: string; value: string; pos: number }
  | { kind: "identifier"; value: string; pos: number }
  | { kind: "("; pos: number }
  | { kind: ")"; pos: number }
  | { kind: ","; pos: number }
  | { kind: "/"; pos: number }
  | { kind: "end"; pos: number };

const IDENTIFIER_START = /[A-Za-z_$]/;
const IDENTIFIER_PART = /[A-Za-z0-9_.]/;
const DATETIME =
  /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,7})?)?(Z|[+-][0-9]{2}:[0-9]{2})/;
const GUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}/;

/** Reads a quoted literal starting at `text[start] === "'"`; `''` is an escaped quote. */
export function readQuoted(text: string, start: number): { value: string; end: number } {
  let value = "";
  let i = start + 1;
  for (;;) {
    if (i >= text.length) throw new ODataQueryError(`Unterminated string literal at position ${start}`);
    const ch = text[i];
    if (ch === "'") {
      if (text[i + 1] === "'") {
        value += "'";
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    value += ch;
    i++;
  }
}

/** An unquoted DateTimeOffset or GUID literal at `text[i]` (the `data` dialect), if there is one. */
function readTypedLiteral(text: string, i: number): Token | undefined {
  const rest = text.slice(i, i + 40);
  const date = DATETIME.exec(rest);
  if (date) {
    const value = Date.parse(date[0]);
    if (Number.isNaN(value)) throw new ODataQueryError(`Invalid DateTimeOffset literal '${date[0]}'`);
    return { kind: "datetime", value, text: date[0], pos: i };
  }
  const guid = GUID.exec(rest);
  if (guid) return { kind: "guid", value: guid[0].toLowerCase(), pos: i };
  return undefined;
}

export function tokenize(text: string, dialect: FilterDialect = "metadata"): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      i++;
      continue;
    }
    if (ch === "(" || ch === ")" || ch === "," || ch === "/") {
      tokens.push({ kind: ch, pos: i });
      i++;
      continue;
    }
    if (ch === "'") {
      const { value, end } = readQuoted(text, i);
      tokens.push({ kind: "string", value, pos: i });
      i = end;
      continue;
    }
    if (/[0-9A-Fa-f-]/.test(ch) && dialect === "data") {
      const typed = readTypedLiteral(text, i);
      if (typed) {
        tokens.push(typed);
        i += typed.kind === "datetime" ? typed.text.length : 36;
        continue;
      }
    }
    if (/[0-9-]/.test(ch)) {
      const match = /^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i));
      if (!match) throw new ODataQueryError(`Unexpected character '${ch}' at position ${i}`);
      // Dates, times and GUIDs are unquoted in OData; the Metadata subset has none of them.
      const next = text[i + match[0].length];
      if (next !== undefined && /[A-Za-z0-9:-]/.test(next)) {
        throw new ODataQueryError(`Unsupported literal at position ${i}`);
      }
      tokens.push({ kind: "number", value: Number(match[0]), pos: i });
      i += match[0].length;
      continue;
    }
    if (IDENTIFIER_START.test(ch)) {
      let end = i + 1;
      while (end < text.length && IDENTIFIER_PART.test(text[end])) end++;
      const word = text.slice(i, end);
      if (text[end] === "'") {
        // Namespaced enum literal: Microsoft.Dynamics.DataEntities.NoYes'Yes'
        if (!word.includes("."))
          throw new ODataQueryError(`Unsupported typed literal '${word}' at position ${i}`);
        const { value, end: after } = readQuoted(text, end);
        tokens.push({ kind: "enum", type: word, value, pos: i });
        i = after;
        continue;
      }
      tokens.push({ kind: "identifier", value: word, pos: i });
      i = end;
      continue;
    }
    throw new ODataQueryError(`Unexpected character '${ch}' at position ${i}`);
  }
  tokens.push({ kind: "end", pos: text.length });
  return tokens;
}
