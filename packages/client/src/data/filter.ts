/**
 * `$filter` as data: a small expression tree built with `f.eq(…)`, `f.and(…)`…, rendered with
 * every value escaped by the library (never by string concatenation in user code). The tree is
 * what validation checks against the metadata. D365 supports `eq ne gt ge lt le and or not`,
 * arithmetic and parentheses; "contains" is a wildcard inside `eq` (`Name eq '*retail*'`);
 * `in` and `has` are not supported (protocol §1.2).
 */
import { ConfigurationError } from "../errors.js";
import { type FieldType, formatLiteral, type ODataValue } from "./values.js";

export type CompareOp = "eq" | "ne" | "gt" | "ge" | "lt" | "le";
export type ArithmeticOp = "add" | "sub" | "mul" | "div" | "divby" | "mod";
export type FunctionName = "contains" | "startswith" | "endswith" | "tolower" | "toupper";

export type Operand =
  | { kind: "field"; name: string }
  | { kind: "value"; value: ODataValue }
  | { kind: "arithmetic"; op: ArithmeticOp; left: Operand; right: Operand }
  | { kind: "call"; name: FunctionName; args: Operand[] };

export type Filter =
  | { kind: "compare"; op: CompareOp; left: Operand; right: Operand }
  | { kind: "and" | "or"; items: Filter[] }
  | { kind: "not"; item: Filter }
  /** A boolean function used as a condition, e.g. `contains(Name,'x')` in a parsed filter. */
  | { kind: "predicate"; call: Extract<Operand, { kind: "call" }> };

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function fieldOperand(name: string): Operand {
  if (!FIELD_NAME.test(name)) throw new ConfigurationError(`Invalid property name ${JSON.stringify(name)}`);
  return { kind: "field", name };
}

function isOperand(value: unknown): value is Operand {
  return (
    typeof value === "object" &&
    value !== null &&
    !(value instanceof Date) &&
    "kind" in value &&
    ["field", "value", "arithmetic", "call"].includes((value as { kind: string }).kind)
  );
}

/** Left side: a property name or an operand. */
function left(value: string | Operand): Operand {
  return typeof value === "string" ? fieldOperand(value) : value;
}

/** Right side: a value (escaped by the library) or an operand (`f.field("Other")`). */
function right(value: ODataValue | Operand): Operand {
  return isOperand(value) ? value : { kind: "value", value };
}

function compare(op: CompareOp) {
  return (field: string | Operand, value: ODataValue | Operand): Filter => ({
    kind: "compare",
    op,
    left: left(field),
    right: right(value),
  });
}

function arithmetic(op: ArithmeticOp) {
  return (a: string | Operand, b: ODataValue | Operand): Operand => ({
    kind: "arithmetic",
    op,
    left: left(a),
    right: right(b),
  });
}

function wildcard(field: string, text: string, pattern: (t: string) => string): Filter {
  // F&O wildcards have no escape: a `*` in the text would silently widen the match.
  if (text.includes("*")) throw new ConfigurationError("Wildcard text must not itself contain '*'");
  return compare("eq")(field, pattern(text));
}

function combine(kind: "and" | "or", items: (Filter | undefined | false)[]): Filter {
  const kept = items.filter((item): item is Filter => Boolean(item));
  if (kept.length === 0) throw new ConfigurationError(`${kind}() needs at least one condition`);
  return kept.length === 1 ? kept[0] : { kind, items: kept };
}

/** The filter builder. Values are escaped by the library; property names are checked. */
export const f = {
  eq: compare("eq"),
  ne: compare("ne"),
  gt: compare("gt"),
  ge: compare("ge"),
  lt: compare("lt"),
  le: compare("le"),
  /** Conditions joined by `and`; `undefined`/`false` items are skipped (optional conditions). */
  and: (...items: (Filter | undefined | false)[]): Filter => combine("and", items),
  or: (...items: (Filter | undefined | false)[]): Filter => combine("or", items),
  not: (item: Filter): Filter => ({ kind: "not", item }),
  /** `Field eq '*text*'`, the D365 form of "contains". */
  contains: (field: string, text: string): Filter => wildcard(field, text, (t) => `*${t}*`),
  startsWith: (field: string, text: string): Filter => wildcard(field, text, (t) => `${t}*`),
  endsWith: (field: string, text: string): Filter => wildcard(field, text, (t) => `*${t}`),
  /** Another property as an operand: `f.gt("CreditLimit", f.field("Balance"))`. */
  field: fieldOperand as (name: string) => Operand,
  add: arithmetic("add"),
  sub: arithmetic("sub"),
  mul: arithmetic("mul"),
  div: arithmetic("div"),
  mod: arithmetic("mod"),
} as const;

/** Looks up a property's type (from the metadata) so values render in its form. */
export type FieldTypes = (name: string) => FieldType | undefined;

const PRECEDENCE: Record<Filter["kind"], number> = { or: 1, and: 2, not: 3, compare: 4, predicate: 4 };

/** The field whose type decides how a value on the other side of a comparison is written. */
function typedField(operand: Operand): string | undefined {
  if (operand.kind === "field") return operand.name;
  if (operand.kind === "call" && (operand.name === "tolower" || operand.name === "toupper"))
    return operand.args[0] ? typedField(operand.args[0]) : undefined;
  return undefined;
}

function renderOperand(operand: Operand, types: FieldTypes, hint?: FieldType): string {
  switch (operand.kind) {
    case "field":
      return operand.name;
    case "value":
      return formatLiteral(operand.value, hint);
    case "arithmetic": {
      const name = typedField(operand.left) ?? typedField(operand.right);
      const type = name ? types(name) : undefined;
      return `(${renderOperand(operand.left, types, type)} ${operand.op} ${renderOperand(operand.right, types, type)})`;
    }
    case "call": {
      const name = operand.args.map(typedField).find(Boolean);
      const type = name ? types(name) : undefined;
      return `${operand.name}(${operand.args.map((a) => renderOperand(a, types, type)).join(",")})`;
    }
  }
}

function render(filter: Filter, types: FieldTypes, parent: number): string {
  const own = PRECEDENCE[filter.kind];
  let text: string;
  switch (filter.kind) {
    case "compare": {
      const name = typedField(filter.left) ?? typedField(filter.right);
      const type = name ? types(name) : undefined;
      text = `${renderOperand(filter.left, types, type)} ${filter.op} ${renderOperand(filter.right, types, type)}`;
      break;
    }
    case "and":
    case "or":
      text = filter.items.map((item) => render(item, types, own)).join(` ${filter.kind} `);
      break;
    case "not":
      text = `not (${render(filter.item, types, 0)})`;
      break;
    case "predicate":
      text = renderOperand(filter.call, types);
      break;
  }
  return own < parent ? `(${text})` : text;
}

/** The `$filter` text; values in their properties' forms when `types` knows them. */
export function renderFilter(filter: Filter, types: FieldTypes = () => undefined): string {
  return render(filter, types, 0);
}

/** Every property name the filter mentions. */
export function filterFields(filter: Filter): Set<string> {
  const out = new Set<string>();
  const visitOperand = (operand: Operand): void => {
    if (operand.kind === "field") out.add(operand.name);
    else if (operand.kind === "arithmetic") {
      visitOperand(operand.left);
      visitOperand(operand.right);
    } else if (operand.kind === "call") operand.args.forEach(visitOperand);
  };
  const visit = (node: Filter): void => {
    if (node.kind === "compare") {
      visitOperand(node.left);
      visitOperand(node.right);
    } else if (node.kind === "not") visit(node.item);
    else if (node.kind === "predicate") visitOperand(node.call);
    else node.items.forEach(visit);
  };
  visit(filter);
  return out;
}
