/** Pure validation of a filter tree against an entity's schema. */
import type { EntityProperty } from "../metadata/models.js";
import type { ValidationProblem } from "./errors.js";
import type { Filter, Operand } from "./filter.js";
import type { EntitySchema } from "./schema.js";
import { checkValue, NUMERIC, unknownProperty } from "./validate-value.js";
import { describeValue } from "./values.js";

/** Types a filter cannot compare (binary containers, nested records). */
/** Types a filter cannot compare (binary containers, nested records). */
const UNFILTERABLE = new Set(["Container", "Record"]);
function operandProperty(schema: EntitySchema, operand: Operand): EntityProperty | undefined {
  if (operand.kind === "field") return schema.properties.get(operand.name);
  if (
    operand.kind === "call" &&
    (operand.name === "tolower" || operand.name === "toupper") &&
    operand.args[0]
  )
    return operandProperty(schema, operand.args[0]);
  return undefined;
}

function checkOperand(schema: EntitySchema, operand: Operand, out: ValidationProblem[]): void {
  switch (operand.kind) {
    case "field": {
      const property = schema.properties.get(operand.name);
      if (!property) out.push(unknownProperty(schema, operand.name, "$filter"));
      else if (UNFILTERABLE.has(property.dataType))
        out.push({
          kind: "unsupportedOperator",
          message: `${schema.entitySet}.${operand.name} (${property.dataType}) cannot be used in a filter`,
          entitySet: schema.entitySet,
          name: operand.name,
        });
      return;
    }
    case "value":
      return;
    case "arithmetic":
      for (const side of [operand.left, operand.right]) {
        checkOperand(schema, side, out);
        const property = operandProperty(schema, side);
        if (property && !NUMERIC.has(property.dataType))
          out.push({
            kind: "typeMismatch",
            message: `${schema.entitySet}.${property.name} is ${property.dataType}; '${operand.op}' needs numbers`,
            entitySet: schema.entitySet,
            name: property.name,
          });
        if (side.kind === "value" && typeof side.value !== "number")
          out.push({
            kind: "typeMismatch",
            message: `'${operand.op}' needs a number, got ${describeValue(side.value)}`,
            entitySet: schema.entitySet,
          });
      }
      return;
    case "call": {
      for (const arg of operand.args) checkOperand(schema, arg, out);
      const property = operand.args[0] ? operandProperty(schema, operand.args[0]) : undefined;
      if (property && property.dataType !== "String")
        out.push({
          kind: "typeMismatch",
          message: `${operand.name}() needs a string property; ${schema.entitySet}.${property.name} is ${property.dataType}`,
          entitySet: schema.entitySet,
          name: property.name,
        });
      const text = operand.args[1];
      if (text?.kind === "value" && typeof text.value !== "string")
        out.push({
          kind: "typeMismatch",
          message: `${operand.name}() needs a string, got ${describeValue(text.value)}`,
          entitySet: schema.entitySet,
        });
      return;
    }
  }
}

function checkComparison(
  schema: EntitySchema,
  node: Extract<Filter, { kind: "compare" }>,
  out: ValidationProblem[],
): void {
  const before = out.length;
  checkOperand(schema, node.left, out);
  checkOperand(schema, node.right, out);
  if (out.length > before) return;
  const leftProperty = operandProperty(schema, node.left);
  const rightProperty = operandProperty(schema, node.right);
  for (const [property, other] of [
    [leftProperty, node.right],
    [rightProperty, node.left],
  ] as const) {
    if (!property) continue;
    if (property.dataType === "Enum" && node.op !== "eq" && node.op !== "ne") {
      out.push({
        kind: "unsupportedOperator",
        message: `${schema.entitySet}.${property.name} is an enum: D365 compares enums with eq and ne only, not ${node.op}`,
        entitySet: schema.entitySet,
        name: property.name,
      });
      return;
    }
    if (other.kind === "value") {
      const problem = checkValue(schema, property, other.value, "$filter");
      if (problem) out.push(problem);
      else if (
        property.dataType === "String" &&
        typeof other.value === "string" &&
        other.value.includes("*") &&
        node.op !== "eq" &&
        node.op !== "ne"
      )
        out.push({
          kind: "unsupportedOperator",
          message: `Wildcards ('*') work with eq and ne only (${schema.entitySet}.${property.name} ${node.op})`,
          entitySet: schema.entitySet,
          name: property.name,
        });
      return;
    }
  }
  if (leftProperty && rightProperty) {
    const family = (p: EntityProperty) =>
      NUMERIC.has(p.dataType) ? "number" : p.dataType === "UtcDateTime" ? "Date" : p.dataType;
    if (family(leftProperty) !== family(rightProperty))
      out.push({
        kind: "typeMismatch",
        message: `${schema.entitySet}.${leftProperty.name} (${leftProperty.dataType}) cannot be compared with ${rightProperty.name} (${rightProperty.dataType})`,
        entitySet: schema.entitySet,
        name: leftProperty.name,
      });
  }
}

export function checkFilter(schema: EntitySchema, filter: Filter): ValidationProblem[] {
  const out: ValidationProblem[] = [];
  const visit = (node: Filter): void => {
    switch (node.kind) {
      case "compare":
        checkComparison(schema, node, out);
        return;
      case "and":
      case "or":
        node.items.forEach(visit);
        return;
      case "not":
        visit(node.item);
        return;
      case "predicate":
        checkOperand(schema, node.call, out);
        return;
    }
  };
  visit(filter);
  return out;
}
