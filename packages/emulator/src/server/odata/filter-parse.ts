/**
 * `$filter` parser: tokens (filter-tokens.ts) → AST, per dialect (see filter.ts). Pure.
 */
import { ODataQueryError } from "./errors.js";
import { type FilterDialect, type Token, tokenize } from "./filter-tokens.js";

export { ODataQueryError } from "./errors.js";
export {
  compileFilter,
  type FilterPredicate,
  type PropertySchema,
  type PropertyType,
} from "./filter-eval.js";
export { type FilterDialect, type Token, tokenize } from "./filter-tokens.js";

export type CompareOp = "eq" | "ne" | "gt" | "ge" | "lt" | "le";
export type ArithmeticOp = "add" | "sub" | "mul" | "div" | "divby" | "mod";

export type FilterNode =
  | { type: "literal"; value: string | number | boolean | null }
  | { type: "datetime"; value: number }
  | { type: "guid"; value: string }
  | { type: "enum"; enumType: string; value: string }
  | { type: "property"; name: string }
  | { type: "call"; name: FunctionName; args: FilterNode[] }
  | { type: "compare"; op: CompareOp; left: FilterNode; right: FilterNode }
  | { type: "arithmetic"; op: ArithmeticOp; left: FilterNode; right: FilterNode }
  | { type: "and" | "or"; left: FilterNode; right: FilterNode }
  | { type: "not"; operand: FilterNode };

export const FUNCTIONS = {
  tolower: 1,
  toupper: 1,
  trim: 1,
  contains: 2,
  startswith: 2,
  endswith: 2,
} as const;
export type FunctionName = keyof typeof FUNCTIONS;

const ORDERING = new Set(["gt", "ge", "lt", "le"]);
const ADDITIVE = new Set(["add", "sub"]);
const MULTIPLICATIVE = new Set(["mul", "div", "divby", "mod"]);
/** Operators neither dialect supports (protocol §1.2: `has` and `in` are not supported). */
const NEVER_SUPPORTED = new Set(["has", "in"]);
const ALL_OPERATORS = new Set([...ORDERING, ...ADDITIVE, ...MULTIPLICATIVE, ...NEVER_SUPPORTED, "eq", "ne"]);

class Parser {
  private index = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly dialect: FilterDialect,
  ) {}

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

  private supports(operator: string): boolean {
    if (NEVER_SUPPORTED.has(operator)) return false;
    if (operator === "eq" || operator === "ne") return true;
    return this.dialect === "data";
  }

  private unexpected(token: Token): ODataQueryError {
    if (token.kind === "end") return new ODataQueryError("Unexpected end of $filter expression");
    if (token.kind === "identifier" && ALL_OPERATORS.has(token.value) && !this.supports(token.value)) {
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

  private operator(): string | undefined {
    const token = this.peek();
    if (token.kind !== "identifier" || !ALL_OPERATORS.has(token.value)) return undefined;
    if (!this.supports(token.value)) throw this.unexpected(token);
    return token.value;
  }

  private parseComparison(): FilterNode {
    const left = this.parseAdditive();
    const op = this.operator();
    if (op === "eq" || op === "ne" || (op !== undefined && ORDERING.has(op))) {
      this.next();
      const right = this.parseAdditive();
      return { type: "compare", op: op as CompareOp, left, right };
    }
    return left;
  }

  private parseAdditive(): FilterNode {
    let left = this.parseMultiplicative();
    for (let op = this.operator(); op !== undefined && ADDITIVE.has(op); op = this.operator()) {
      this.next();
      left = { type: "arithmetic", op: op as ArithmeticOp, left, right: this.parseMultiplicative() };
    }
    return left;
  }

  private parseMultiplicative(): FilterNode {
    let left = this.parsePrimary();
    for (let op = this.operator(); op !== undefined && MULTIPLICATIVE.has(op); op = this.operator()) {
      this.next();
      left = { type: "arithmetic", op: op as ArithmeticOp, left, right: this.parsePrimary() };
    }
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
      case "datetime":
        return { type: "datetime", value: token.value };
      case "guid":
        return { type: "guid", value: token.value };
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
        if (ALL_OPERATORS.has(token.value) || ["and", "or", "not"].includes(token.value)) {
          throw this.unexpected(token);
        }
        return { type: "property", name: token.value };
      }
      default:
        throw this.unexpected(token);
    }
  }

  private parseCall(name: string, pos: number): FilterNode {
    if (!(name in FUNCTIONS) || this.dialect === "data") {
      const hint = this.dialect === "data" ? "; use the wildcard form Field eq '*text*'" : "";
      throw new ODataQueryError(
        `The function '${name}' is not supported in $filter (position ${pos})${hint}`,
      );
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

export function parseFilter(text: string, dialect: FilterDialect = "metadata"): FilterNode {
  if (text.trim() === "") throw new ODataQueryError("The $filter expression is empty");
  return new Parser(tokenize(text, dialect), dialect).parse();
}
