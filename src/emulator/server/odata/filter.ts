/**
 * The `$filter` subset the D365 Metadata service is used with in practice (protocol §2.5):
 * `eq`/`ne` on strings, booleans and namespaced enum literals, `and`/`or`/`not`, parentheses,
 * `tolower()`/`toupper()`, `contains()`/`startswith()`/`endswith()`, and `null`.
 * Pure code: tokenizer → parser (AST) → type check against a property schema → evaluator.
 * Everything outside the subset is an `ODataQueryError` (the server answers 400).
 */

export class ODataQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ODataQueryError";
  }
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

export type Token =
  | { kind: "string"; value: string; pos: number }
  | { kind: "number"; value: number; pos: number }
  | { kind: "enum"; type: string; value: string; pos: number }
  | { kind: "identifier"; value: string; pos: number }
  | { kind: "("; pos: number }
  | { kind: ")"; pos: number }
  | { kind: ","; pos: number }
  | { kind: "/"; pos: number }
  | { kind: "end"; pos: number };

const IDENTIFIER_START = /[A-Za-z_$]/;
const IDENTIFIER_PART = /[A-Za-z0-9_.]/;

/** Reads a quoted literal starting at `text[start] === "'"`; `''` is an escaped quote. */
function readQuoted(text: string, start: number): { value: string; end: number } {
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

export function tokenize(text: string): Token[] {
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
    if (/[0-9-]/.test(ch)) {
      const match = /^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i));
      if (!match) throw new ODataQueryError(`Unexpected character '${ch}' at position ${i}`);
      // Dates, times and GUIDs are unquoted in OData; none of them is in this subset.
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
        // Namespaced enum literal: Microsoft.Dynamics.Metadata.EntityCategory'Master'
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

// ---------------------------------------------------------------------------------------------
// AST and parser

export type FilterNode =
  | { type: "literal"; value: string | number | boolean | null }
  | { type: "enum"; enumType: string; value: string }
  | { type: "property"; name: string }
  | { type: "call"; name: FunctionName; args: FilterNode[] }
  | { type: "compare"; op: "eq" | "ne"; left: FilterNode; right: FilterNode }
  | { type: "and" | "or"; left: FilterNode; right: FilterNode }
  | { type: "not"; operand: FilterNode };

const FUNCTIONS = {
  tolower: 1,
  toupper: 1,
  trim: 1,
  contains: 2,
  startswith: 2,
  endswith: 2,
} as const;
export type FunctionName = keyof typeof FUNCTIONS;

const UNSUPPORTED_OPERATORS = new Set([
  "gt",
  "ge",
  "lt",
  "le",
  "has",
  "in",
  "add",
  "sub",
  "mul",
  "div",
  "divby",
  "mod",
]);

class Parser {
  private index = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): FilterNode {
    const node = this.parseOr();
    const token = this.peek();
    if (token.kind !== "end") throw this.unexpected(token);
    return node;
  }

  private peek(): Token {
    return this.tokens[this.index];
  }

  private next(): Token {
    return this.tokens[this.index++];
  }

  private isKeyword(word: string): boolean {
    const token = this.peek();
    return token.kind === "identifier" && token.value === word;
  }

  private unexpected(token: Token): ODataQueryError {
    if (token.kind === "end") return new ODataQueryError("Unexpected end of $filter expression");
    if (token.kind === "identifier" && UNSUPPORTED_OPERATORS.has(token.value)) {
      return new ODataQueryError(
        `The operator '${token.value}' is not supported in $filter here (position ${token.pos})`,
      );
    }
    const shown =
      token.kind === "identifier" || token.kind === "string" || token.kind === "number"
        ? String(token.value)
        : token.kind;
    return new ODataQueryError(`Syntax error at position ${token.pos} near '${shown}' in $filter`);
  }

  private parseOr(): FilterNode {
    let left = this.parseAnd();
    while (this.isKeyword("or")) {
      this.next();
      left = { type: "or", left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): FilterNode {
    let left = this.parseNot();
    while (this.isKeyword("and")) {
      this.next();
      left = { type: "and", left, right: this.parseNot() };
    }
    return left;
  }

  private parseNot(): FilterNode {
    if (this.isKeyword("not")) {
      this.next();
      return { type: "not", operand: this.parseNot() };
    }
    return this.parseComparison();
  }

  private parseComparison(): FilterNode {
    const left = this.parsePrimary();
    const token = this.peek();
    if (token.kind === "identifier" && (token.value === "eq" || token.value === "ne")) {
      this.next();
      const right = this.parsePrimary();
      return { type: "compare", op: token.value, left, right };
    }
    if (token.kind === "identifier" && UNSUPPORTED_OPERATORS.has(token.value)) throw this.unexpected(token);
    return left;
  }

  private parsePrimary(): FilterNode {
    const token = this.next();
    switch (token.kind) {
      case "(": {
        const inner = this.parseOr();
        const close = this.next();
        if (close.kind !== ")") throw this.unexpected(close);
        return inner;
      }
      case "string":
        return { type: "literal", value: token.value };
      case "number":
        return { type: "literal", value: token.value };
      case "enum":
        return { type: "enum", enumType: token.type, value: token.value };
      case "identifier": {
        if (token.value === "true" || token.value === "false")
          return { type: "literal", value: token.value === "true" };
        if (token.value === "null") return { type: "literal", value: null };
        if (this.peek().kind === "(") return this.parseCall(token.value, token.pos);
        if (this.peek().kind === "/") {
          throw new ODataQueryError(`Property paths ('${token.value}/…') are not supported in $filter`);
        }
        if (token.value.includes("."))
          throw new ODataQueryError(`Unknown identifier '${token.value}' in $filter`);
        if (
          UNSUPPORTED_OPERATORS.has(token.value) ||
          ["and", "or", "not", "eq", "ne"].includes(token.value)
        ) {
          throw this.unexpected(token);
        }
        return { type: "property", name: token.value };
      }
      default:
        throw this.unexpected(token);
    }
  }

  private parseCall(name: string, pos: number): FilterNode {
    if (!(name in FUNCTIONS)) {
      throw new ODataQueryError(`The function '${name}' is not supported in $filter (position ${pos})`);
    }
    const fn = name as FunctionName;
    this.next(); // (
    const args: FilterNode[] = [];
    if (this.peek().kind !== ")") {
      args.push(this.parseOr());
      while (this.peek().kind === ",") {
        this.next();
        args.push(this.parseOr());
      }
    }
    const close = this.next();
    if (close.kind !== ")") throw this.unexpected(close);
    if (args.length !== FUNCTIONS[fn]) {
      throw new ODataQueryError(
        `The function '${fn}' takes ${FUNCTIONS[fn]} argument(s), got ${args.length}`,
      );
    }
    return { type: "call", name: fn, args };
  }
}

export function parseFilter(text: string): FilterNode {
  if (text.trim() === "") throw new ODataQueryError("The $filter expression is empty");
  return new Parser(tokenize(text)).parse();
}

// ---------------------------------------------------------------------------------------------
// Type check and evaluation

/**
 * The type of each filterable property: `string`, `boolean`, `number`, or `enum:<Namespace.Type>`
 * for enum-typed properties (a string on the wire, compared with namespaced enum literals).
 */
export type PropertyType = "string" | "boolean" | "number" | `enum:${string}`;
export type PropertySchema = Readonly<Record<string, PropertyType>>;

type ValueType = PropertyType | "null";

function typeOf(node: FilterNode, schema: PropertySchema): ValueType {
  switch (node.type) {
    case "literal":
      if (node.value === null) return "null";
      return typeof node.value === "string"
        ? "string"
        : typeof node.value === "number"
          ? "number"
          : "boolean";
    case "enum":
      return `enum:${node.enumType}`;
    case "property": {
      const type = schema[node.name];
      if (!type) throw new ODataQueryError(`Could not find a property named '${node.name}'`);
      return type;
    }
    case "call": {
      const argTypes = node.args.map((arg) => typeOf(arg, schema));
      for (const [i, argType] of argTypes.entries()) {
        if (argType !== "string" && argType !== "null" && !argType.startsWith("enum:")) {
          throw new ODataQueryError(`Argument ${i + 1} of '${node.name}' must be a string, not ${argType}`);
        }
      }
      return node.name === "tolower" || node.name === "toupper" || node.name === "trim"
        ? "string"
        : "boolean";
    }
    case "compare": {
      const left = typeOf(node.left, schema);
      const right = typeOf(node.right, schema);
      if (!comparable(left, right)) {
        throw new ODataQueryError(
          `A binary operator with incompatible types was detected: '${left}' ${node.op} '${right}'`,
        );
      }
      return "boolean";
    }
    case "and":
    case "or": {
      expectBoolean(typeOf(node.left, schema), node.type);
      expectBoolean(typeOf(node.right, schema), node.type);
      return "boolean";
    }
    case "not":
      expectBoolean(typeOf(node.operand, schema), "not");
      return "boolean";
  }
}

function expectBoolean(type: ValueType, operator: string): void {
  if (type !== "boolean")
    throw new ODataQueryError(`The operand of '${operator}' must be a boolean, not ${type}`);
}

function comparable(left: ValueType, right: ValueType): boolean {
  if (left === "null" || right === "null") return true;
  if (left === right) return true;
  const leftEnum = left.startsWith("enum:");
  const rightEnum = right.startsWith("enum:");
  if (leftEnum && rightEnum) {
    // Enum literal types must name the property's enum type (namespace included).
    return left === right;
  }
  // Strings promote to enums (OData Core's string-as-enum promotion).
  return (leftEnum && right === "string") || (rightEnum && left === "string");
}

type Value = string | number | boolean | null;
type Item = Readonly<Record<string, unknown>>;

function evaluate(node: FilterNode, item: Item): Value {
  switch (node.type) {
    case "literal":
      return node.value;
    case "enum":
      return node.value;
    case "property": {
      const value = item[node.name];
      return value === undefined ? null : (value as Value);
    }
    case "call": {
      const args = node.args.map((arg) => evaluate(arg, item));
      const [a, b] = args as [string | null, string | null];
      switch (node.name) {
        case "tolower":
          return a === null ? null : a.toLowerCase();
        case "toupper":
          return a === null ? null : a.toUpperCase();
        case "trim":
          return a === null ? null : a.trim();
        case "contains":
          return a !== null && b !== null && a.includes(b);
        case "startswith":
          return a !== null && b !== null && a.startsWith(b);
        case "endswith":
          return a !== null && b !== null && a.endsWith(b);
      }
      return null;
    }
    case "compare": {
      const equal = evaluate(node.left, item) === evaluate(node.right, item);
      return node.op === "eq" ? equal : !equal;
    }
    case "and":
      return evaluate(node.left, item) === true && evaluate(node.right, item) === true;
    case "or":
      return evaluate(node.left, item) === true || evaluate(node.right, item) === true;
    case "not":
      return evaluate(node.operand, item) !== true;
  }
}

export type FilterPredicate = (item: Item) => boolean;

/** Parses and type-checks `$filter` against `schema`; throws `ODataQueryError` on anything unsupported. */
export function compileFilter(text: string, schema: PropertySchema): FilterPredicate {
  const ast = parseFilter(text);
  const type = typeOf(ast, schema);
  if (type !== "boolean")
    throw new ODataQueryError(`The $filter expression must evaluate to a boolean, not ${type}`);
  return (item) => evaluate(ast, item) === true;
}
