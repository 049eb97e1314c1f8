/**
 * Does a value fit a property's type (pure)? Shared by the filter, key and write checks.
 */
import type { EntityProperty } from "../metadata/models.js";
import type { ValidationProblem } from "./errors.js";
import type { EntitySchema } from "./schema.js";
import { closestNames } from "./suggest.js";
import {
  describeValue,
  EnumValue,
  enumNameOf,
  GuidValue,
  isGuidText,
  isIsoDateText,
  type ODataValue,
} from "./values.js";

export const NUMERIC = new Set(["Int32", "Int64", "Real", "Time"]);

export function unknownProperty(schema: EntitySchema, name: string, where: string): ValidationProblem {
  return {
    kind: "unknownProperty",
    message: `${schema.entitySet} has no property ${name} (${where})`,
    entitySet: schema.entitySet,
    name,
    suggestions: closestNames(name, schema.properties.keys()),
  };
}

/** Does `value` fit the property's type? A problem naming both when it does not. */
export function checkValue(
  schema: EntitySchema,
  property: EntityProperty,
  value: unknown,
  where: string,
): ValidationProblem | undefined {
  if (value === null) return undefined;
  const mismatch = (expected: string): ValidationProblem => ({
    kind: "typeMismatch",
    message: `${schema.entitySet}.${property.name} is ${expected}, got ${describeValue(value as ODataValue)} (${where})`,
    entitySet: schema.entitySet,
    name: property.name,
  });
  const type = property.dataType;
  switch (type) {
    case "String":
    case "Container":
      return typeof value === "string"
        ? undefined
        : mismatch(type === "String" ? "a string" : "a base64 string");
    case "Int32":
    case "Int64":
    case "Time":
      return typeof value === "number" && Number.isInteger(value)
        ? undefined
        : mismatch(`an integer (${type})`);
    case "Real":
      return typeof value === "number" && Number.isFinite(value) ? undefined : mismatch("a number (Real)");
    case "Date":
    case "UtcDateTime":
      return value instanceof Date || (typeof value === "string" && isIsoDateText(value))
        ? undefined
        : mismatch(`a date (${type})`);
    case "Guid":
      return value instanceof GuidValue || (typeof value === "string" && isGuidText(value))
        ? undefined
        : mismatch("a GUID");
    case "Enum": {
      const enumName = enumNameOf(property.typeName);
      let member: string;
      if (value instanceof EnumValue) {
        if (value.enumName !== enumName) return mismatch(`enum ${enumName}`);
        member = value.member;
      } else if (typeof value === "string") member = value;
      else return mismatch(`enum ${enumName}`);
      const members = schema.enumMembers.get(enumName);
      if (members && !members.includes(member)) {
        return {
          kind: "notEnumMember",
          message: `'${member}' is not a member of enum ${enumName} (${schema.entitySet}.${property.name}, ${where})`,
          entitySet: schema.entitySet,
          name: property.name,
          suggestions: closestNames(member, members),
        };
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/**
 * X++ treats a mandatory field holding its type's default as not filled in: 0, an empty string,
 * the enum member of value 0, the empty date (1900-01-01) or the empty GUID.
 */
export function isUnfilled(schema: EntitySchema, property: EntityProperty, value: unknown): boolean {
  if (value === undefined || value === null || value === "") return true;
  switch (property.dataType) {
    case "Int32":
    case "Int64":
    case "Real":
      return value === 0;
    case "Date":
    case "UtcDateTime": {
      const time =
        value instanceof Date ? value.getTime() : typeof value === "string" ? Date.parse(value) : Number.NaN;
      return new Date(time).getUTCFullYear() === 1900;
    }
    case "Guid":
      return (value instanceof GuidValue ? value.value : value) === "00000000-0000-0000-0000-000000000000";
    case "Enum": {
      const member = value instanceof EnumValue ? value.member : value;
      return member === schema.enumEmptyMembers.get(enumNameOf(property.typeName));
    }
    default:
      return false;
  }
}
