/**
 * Reads a `$filter` text (the CLI's `--filter`, or a string in query options) into the filter
 * tree, so it is validated like a built one. The grammar is the part of OData v4 D365 accepts:
 * comparisons, `and`/`or`/`not`, arithmetic, parentheses, string/number/date/GUID/enum/null/boolean
 * literals and the string functions. `in` and `has` are refused, as the service refuses them.
 */
import type { ArithmeticOp, CompareOp, Filter, FunctionName, Operand } from "./filter.js";
import { EnumValue, GuidValue, type ODataValue } from "./values.js";

export class FilterSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = "FilterSyntaxError";
  }
}

type Token =
  | { t: "lit"; value: ODataValue; pos: number }
  | { t: "id"; value: string; pos: number }
  | { t: "(" | ")" | "," | "end"; pos: number };

const GUID_AT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![0-9A-Za-z])/;
const DATE_AT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2}))?(?![0-9A-Za-z:])/;
const NUMBER_AT = /^-?\d+(\.\d+)?([eE][+-]?\d+)?[mMdDfFlL]?(?![0-9A-Za-z])/;
const IDENT_AT = /^[A-Za-z_$][A-Za-z0-9_.]*/;

function readQuoted(text: string, start: number): { value: string; end: number } {
  let value = "";
  let i = start + 1;
  for (;;) {
    if (i >= text.length)
      throw new FilterSyntaxError(`Unterminated string literal at position ${start}`, start);
    if (text[i] === "'") {
      if (text[i + 1] === "'") {
        value += "'";
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    value += text[i++];
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const rest = text.slice(i);
    if (ch === "(" || ch === ")" || ch === ",") {
      tokens.push({ t: ch, pos: i++ });
      continue;
    }
    if (ch === "'") {
      const { value, end } = readQuoted(text, i);
      tokens.push({ t: "lit", value, pos: i });
      i = end;
      continue;
    }
    const guidMatch = GUID_AT.exec(rest);
    if (guidMatch) {
      tokens.push({ t: "lit", value: new GuidValue(guidMatch[0]), pos: i });
      i += guidMatch[0].length;
      continue;
    }
    const dateMatch = DATE_AT.exec(rest);
    if (dateMatch) {
      const date = new Date(dateMatch[0].length === 10 ? `${dateMatch[0]}T00:00:00Z` : dateMatch[0]);
      if (Number.isNaN(date.getTime())) throw new FilterSyntaxError(`Invalid date at position ${i}`, i);
      tokens.push({ t: "lit", value: date, pos: i });
      i += dateMatch[0].length;
      continue;
    }
    const numberMatch = NUMBER_AT.exec(rest);
    if (numberMatch) {
      tokens.push({ t: "lit", value: Number(numberMatch[0].replace(/[mMdDfFlL]$/, "")), pos: i });
      i += numberMatch[0].length;
      continue;
    }
    const ident = IDENT_AT.exec(rest);
    if (ident) {
      const name = ident[0];
      // `Microsoft.Dynamics.DataEntities.NoYes'Yes'`: a type name glued to a quoted member.
      if (text[i + name.length] === "'") {
        const { value, end } = readQuoted(text, i + name.length);
        let literal: EnumValue;
        try {
          literal = new EnumValue(name.slice(name.lastIndexOf(".") + 1), value);
        } catch {
          throw new FilterSyntaxError(`Invalid enum literal at position ${i}`, i);
        }
        tokens.push({ t: "lit", value: literal, pos: i });
        i = end;
        continue;
      }
      tokens.push({ t: "id", value: name, pos: i });
      i += name.length;
      continue;
    }
    throw new FilterSyntaxError(`Unexpected character '${ch}' at position ${i}`, i);
  }
  tokens.push({ t: "end", pos: text.length });
  return tokens;
}

type Expr =
  | { e: "bin"; op: string; l: Expr; r: Expr; pos: number }
  | { e: "not"; x: Expr; pos: number }
  | { e: "operand"; operand: Operand; pos: number }
  | { e: "call"; name: FunctionName; args: Expr[]; pos: number };

const COMPARE = new Set(["eq", "ne", "gt", "ge", "lt", "le"]);
const ADDITIVE = new Set(["add", "sub"]);
const MULTIPLICATIVE = new Set(["mul", "div", "divby", "mod"]);
const FUNCTIONS = new Set(["contains", "startswith", "endswith", "tolower", "toupper"]);
const UNSUPPORTED = new Set(["in", "has"]);
const KEYWORD_LITERALS: Record<string, ODataValue> = { null: null, true: true, false: false };

class Parser {
  private index = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.index];
  }

  private keyword(set: Set<string>): string | undefined {
    const token = this.peek();
    if (token.t !== "id") return undefined;
    if (UNSUPPORTED.has(token.value))
      throw new FilterSyntaxError(
        `D365 does not support the '${token.value}' operator (position ${token.pos}); use 'or' of 'eq' comparisons`,
        token.pos,
      );
    if (!set.has(token.value)) return undefined;
    this.index++;
    return token.value;
  }

  parse(): Expr {
    const expr = this.or();
    const token = this.peek();
    if (token.t !== "end")
      throw new FilterSyntaxError(`Unexpected input at position ${token.pos}`, token.pos);
    return expr;
  }

  private binary(next: () => Expr, ops: Set<string>, single = false): Expr {
    let expr = next();
    for (;;) {
      const pos = this.peek().pos;
      const op = this.keyword(ops);
      if (!op) return expr;
      expr = { e: "bin", op, l: expr, r: next(), pos };
      if (single) return expr;
    }
  }

  private or = (): Expr => this.binary(this.and, new Set(["or"]));
  private and = (): Expr => this.binary(this.comparison, new Set(["and"]));
  private comparison = (): Expr => this.binary(this.additive, COMPARE, true);
  private additive = (): Expr => this.binary(this.multiplicative, ADDITIVE);
  private multiplicative = (): Expr => this.binary(this.unary, MULTIPLICATIVE);

  private unary = (): Expr => {
    const pos = this.peek().pos;
    // `not Name eq 'x'` negates the comparison (as users write it), not the bare property.
    if (this.keyword(new Set(["not"]))) return { e: "not", x: this.comparison(), pos };
    return this.primary();
  };

  private primary(): Expr {
    const token = this.peek();
    this.index++;
    if (token.t === "lit")
      return { e: "operand", operand: { kind: "value", value: token.value }, pos: token.pos };
    if (token.t === "(") {
      const inner = this.or();
      if (this.peek().t !== ")")
        throw new FilterSyntaxError(`Missing ')' at position ${this.peek().pos}`, this.peek().pos);
      this.index++;
      return inner;
    }
    if (token.t === "id") {
      if (token.value in KEYWORD_LITERALS)
        return {
          e: "operand",
          operand: { kind: "value", value: KEYWORD_LITERALS[token.value] },
          pos: token.pos,
        };
      if (this.peek().t === "(") {
        const name = token.value.toLowerCase();
        if (!FUNCTIONS.has(name))
          throw new FilterSyntaxError(
            `Unsupported function '${token.value}' at position ${token.pos}`,
            token.pos,
          );
        this.index++;
        const args: Expr[] = [];
        if (this.peek().t !== ")") {
          for (;;) {
            args.push(this.or());
            if (this.peek().t !== ",") break;
            this.index++;
          }
        }
        if (this.peek().t !== ")")
          throw new FilterSyntaxError(`Missing ')' at position ${this.peek().pos}`, this.peek().pos);
        this.index++;
        return { e: "call", name: name as FunctionName, args, pos: token.pos };
      }
      if (token.value.includes("."))
        throw new FilterSyntaxError(`Unexpected '${token.value}' at position ${token.pos}`, token.pos);
      return { e: "operand", operand: { kind: "field", name: token.value }, pos: token.pos };
    }
    throw new FilterSyntaxError(
      token.t === "end" ? "The filter ends early" : `Unexpected '${token.t}' at position ${token.pos}`,
      token.pos,
    );
  }
}

function toOperand(expr: Expr): Operand {
  switch (expr.e) {
    case "operand":
      return expr.operand;
    case "call":
      return { kind: "call", name: expr.name, args: expr.args.map(toOperand) };
    case "bin":
      if (ADDITIVE.has(expr.op) || MULTIPLICATIVE.has(expr.op))
        return {
          kind: "arithmetic",
          op: expr.op as ArithmeticOp,
          left: toOperand(expr.l),
          right: toOperand(expr.r),
        };
      break;
  }
  throw new FilterSyntaxError(
    `A condition is used where a value is expected (position ${expr.pos})`,
    expr.pos,
  );
}

function toFilter(expr: Expr): Filter {
  switch (expr.e) {
    case "bin":
      if (expr.op === "and" || expr.op === "or") {
        const items = [toFilter(expr.l), toFilter(expr.r)].flatMap((item) =>
          item.kind === expr.op ? (item as { items: Filter[] }).items : [item],
        );
        return { kind: expr.op, items };
      }
      if (COMPARE.has(expr.op))
        return {
          kind: "compare",
          op: expr.op as CompareOp,
          left: toOperand(expr.l),
          right: toOperand(expr.r),
        };
      break;
    case "not":
      return { kind: "not", item: toFilter(expr.x) };
    case "call":
      if (expr.name === "contains" || expr.name === "startswith" || expr.name === "endswith")
        return { kind: "predicate", call: { kind: "call", name: expr.name, args: expr.args.map(toOperand) } };
      break;
  }
  throw new FilterSyntaxError(
    `A value is used where a condition is expected (position ${expr.pos})`,
    expr.pos,
  );
}

/** Parses a `$filter` text; throws FilterSyntaxError (with the position) when it is not one. */
export function parseFilter(text: string): Filter {
  return toFilter(new Parser(tokenize(text)).parse());
}
