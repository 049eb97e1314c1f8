/**
 * Type check and evaluation of a parsed `$filter` (see filter.ts for the two dialects). Pure.
 */
import { ODataQueryError } from "./errors.js";
import { type FilterNode, parseFilter } from "./filter-parse.js";
import type { FilterDialect } from "./filter-tokens.js";

/**
 * The type of each filterable property: `string`, `boolean`, `number`, `datetime` (an ISO string
 * on the wire), `guid`, `binary` (not comparable), or `enum:<Namespace.Type>` (a member name on
 * the wire, compared with namespaced enum literals).
 */
export type PropertyType =
  | "string"
  | "boolean"
  | "number"
  | "datetime"
  | "guid"
  | "binary"
  | `enum:${string}`;
export type PropertySchema = Readonly<Record<string, PropertyType>>;

export interface FilterOptions {
  dialect?: FilterDialect;
  /** Member names of an enum type (`Namespace.Type`), to reject literals that are not members. */
  enumMembers?: (enumType: string) => ReadonlySet<string> | undefined;
}

type ValueType = PropertyType | "null";

class TypeChecker {
  constructor(
    private readonly schema: PropertySchema,
    private readonly options: FilterOptions,
  ) {}

  typeOf(node: FilterNode): ValueType {
    switch (node.type) {
      case "literal":
        if (node.value === null) return "null";
        return typeof node.value === "string"
          ? "string"
          : typeof node.value === "number"
            ? "number"
            : "boolean";
      case "datetime":
        return "datetime";
      case "guid":
        return "guid";
      case "enum": {
        const members = this.options.enumMembers?.(node.enumType);
        if (members && !members.has(node.value)) {
          throw new ODataQueryError(
            `The string '${node.value}' is not a valid enumeration type constant of '${node.enumType}'`,
          );
        }
        return `enum:${node.enumType}`;
      }
      case "property": {
        const type = this.schema[node.name];
        if (!type) throw new ODataQueryError(`Could not find a property named '${node.name}'`);
        return type;
      }
      case "call": {
        const argTypes = node.args.map((arg) => this.typeOf(arg));
        for (const [i, argType] of argTypes.entries()) {
          if (argType !== "string" && argType !== "null" && !argType.startsWith("enum:")) {
            throw new ODataQueryError(`Argument ${i + 1} of '${node.name}' must be a string, not ${argType}`);
          }
        }
        return node.name === "tolower" || node.name === "toupper" || node.name === "trim"
          ? "string"
          : "boolean";
      }
      case "arithmetic": {
        const left = this.typeOf(node.left);
        const right = this.typeOf(node.right);
        for (const side of [left, right]) {
          if (side !== "number" && side !== "null") {
            throw new ODataQueryError(`The operator '${node.op}' requires numeric operands, not ${side}`);
          }
        }
        return "number";
      }
      case "compare": {
        const left = this.typeOf(node.left);
        const right = this.typeOf(node.right);
        if (!comparable(left, right)) {
          throw new ODataQueryError(
            `A binary operator with incompatible types was detected: '${left}' ${node.op} '${right}'`,
          );
        }
        if (node.op !== "eq" && node.op !== "ne") {
          for (const side of [left, right]) {
            if (side.startsWith("enum:")) {
              throw new ODataQueryError(
                `The operator '${node.op}' cannot be applied to an enumeration ('${side.slice(5)}'): enums support eq and ne only`,
              );
            }
            if (side === "boolean" || side === "guid" || side === "binary") {
              throw new ODataQueryError(`The operator '${node.op}' cannot be applied to ${side} operands`);
            }
          }
        }
        if (left === "binary" || right === "binary") {
          throw new ODataQueryError("Binary (container) properties cannot be compared in $filter");
        }
        return "boolean";
      }
      case "and":
      case "or": {
        expectBoolean(this.typeOf(node.left), node.type);
        expectBoolean(this.typeOf(node.right), node.type);
        return "boolean";
      }
      case "not":
        expectBoolean(this.typeOf(node.operand), "not");
        return "boolean";
    }
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
  // Enum literal types must name the property's enum type (namespace included).
  if (leftEnum && rightEnum) return false;
  // Strings promote to enums (OData Core's string-as-enum promotion).
  return (leftEnum && right === "string") || (rightEnum && left === "string");
}

type Value = string | number | boolean | null;
type Item = Readonly<Record<string, unknown>>;

/** `*` is a wildcard in a string literal of `eq`/`ne` on `/data` (protocol §1.2). */
function wildcardPattern(text: string): RegExp {
  const body = text
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}$`, "is");
}

class Evaluator {
  private readonly patterns = new Map<string, RegExp>();
  constructor(
    private readonly schema: PropertySchema,
    private readonly data: boolean,
  ) {}

  value(node: FilterNode, item: Item): Value {
    switch (node.type) {
      case "literal":
        return node.value;
      case "datetime":
      case "guid":
      case "enum":
        return node.value;
      case "property": {
        const value = item[node.name];
        if (value === undefined || value === null) return null;
        const type = this.schema[node.name];
        if (type === "datetime") return Date.parse(value as string);
        if (type === "guid") return (value as string).toLowerCase();
        return value as Value;
      }
      case "call": {
        const [a, b] = node.args.map((arg) => this.value(arg, item)) as [string | null, string | null];
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
      case "arithmetic": {
        const a = this.value(node.left, item) as number | null;
        const b = this.value(node.right, item) as number | null;
        if (a === null || b === null) return null;
        switch (node.op) {
          case "add":
            return a + b;
          case "sub":
            return a - b;
          case "mul":
            return a * b;
          case "div":
          case "divby":
            return b === 0 ? null : a / b;
          case "mod":
            return b === 0 ? null : a % b;
        }
        return null;
      }
      case "compare":
        return this.compare(node, item);
      case "and":
        return this.value(node.left, item) === true && this.value(node.right, item) === true;
      case "or":
        return this.value(node.left, item) === true || this.value(node.right, item) === true;
      case "not":
        return this.value(node.operand, item) !== true;
    }
  }

  private compare(node: Extract<FilterNode, { type: "compare" }>, item: Item): boolean {
    let left = this.value(node.left, item);
    let right = this.value(node.right, item);
    if (node.op === "eq" || node.op === "ne") {
      let equal: boolean;
      const literal = node.right.type === "literal" ? right : node.left.type === "literal" ? left : null;
      if (this.data && typeof left === "string" && typeof right === "string") {
        if (typeof literal === "string" && literal.includes("*")) {
          const other = literal === right ? left : right;
          equal = this.pattern(literal).test(other);
        } else {
          equal = left.toLowerCase() === right.toLowerCase();
        }
      } else {
        equal = left === right;
      }
      return node.op === "eq" ? equal : !equal;
    }
    if (left === null || right === null) return false;
    if (this.data && typeof left === "string" && typeof right === "string") {
      left = left.toLowerCase();
      right = right.toLowerCase();
    }
    switch (node.op) {
      case "gt":
        return left > right;
      case "ge":
        return left >= right;
      case "lt":
        return left < right;
      case "le":
        return left <= right;
    }
  }

  private pattern(text: string): RegExp {
    let pattern = this.patterns.get(text);
    if (!pattern) {
      pattern = wildcardPattern(text);
      this.patterns.set(text, pattern);
    }
    return pattern;
  }
}

export type FilterPredicate = (item: Item) => boolean;

/** Parses and type-checks `$filter` against `schema`; throws `ODataQueryError` on anything unsupported. */
export function compileFilter(
  text: string,
  schema: PropertySchema,
  options: FilterOptions = {},
): FilterPredicate {
  const dialect = options.dialect ?? "metadata";
  const ast = parseFilter(text, dialect);
  const type = new TypeChecker(schema, options).typeOf(ast);
  if (type !== "boolean")
    throw new ODataQueryError(`The $filter expression must evaluate to a boolean, not ${type}`);
  const evaluator = new Evaluator(schema, dialect === "data");
  return (item) => evaluator.value(ast, item) === true;
}
