/**
 * OData literals for `/data` (protocol §1.2, §1.4, §8.2): strings quoted with `''` for a quote,
 * numbers bare, dates and GUIDs unquoted, enums `Microsoft.Dynamics.DataEntities.X'Y'`. When the
 * property's metadata is known, a plain string is written in the property's own form (a GUID
 * string unquoted, an enum member name as an enum literal), so callers never build literals.
 */
import { ConfigurationError } from "../errors.js";
import { dateTimeLiteral, stringLiteral } from "../metadata/odata-url.js";
import { DATA_ENTITIES_NAMESPACE } from "../metadata/wire.js";

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** ISO-8601 date or date-time as F&O writes them (`2025-07-01`, `2025-07-01T12:00:00Z`). */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** A GUID value (written unquoted). */
export class GuidValue {
  constructor(readonly value: string) {
    if (!GUID.test(value)) throw new ConfigurationError(`Not a GUID: ${JSON.stringify(value.slice(0, 60))}`);
  }
}

/** An enum member by name, e.g. `enumValue("NoYes", "Yes")`. */
export class EnumValue {
  constructor(
    readonly enumName: string,
    readonly member: string,
  ) {
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(enumName) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(member)) {
      throw new ConfigurationError(`Invalid enum literal ${enumName}'${member}'`);
    }
  }
}

export function guid(value: string): GuidValue {
  return new GuidValue(value);
}

export function enumValue(enumName: string, member: string): EnumValue {
  return new EnumValue(enumName.replace(`${DATA_ENTITIES_NAMESPACE}.`, ""), member);
}

/** A value the library can write as an OData literal. */
export type ODataValue = string | number | boolean | null | Date | GuidValue | EnumValue;

/** What the metadata says about a property: its X++ data type and its Edm or enum type name. */
export interface FieldType {
  dataType: string;
  typeName: string;
}

/** `Microsoft.Dynamics.DataEntities.CustAccountStatement` → `CustAccountStatement`. */
export function enumNameOf(typeName: string): string {
  const dot = typeName.lastIndexOf(".");
  return dot >= 0 ? typeName.slice(dot + 1) : typeName;
}

export function isGuidText(value: string): boolean {
  return GUID.test(value);
}

export function isIsoDateText(value: string): boolean {
  return ISO_DATE.test(value) && !Number.isNaN(Date.parse(value));
}

/** The OData literal for `value`, in the form of the property's type when `field` is known. */
export function formatLiteral(value: ODataValue, field?: FieldType): string {
  if (value === null) return "null";
  if (value instanceof GuidValue) return value.value;
  if (value instanceof EnumValue) return `${DATA_ENTITIES_NAMESPACE}.${value.enumName}'${value.member}'`;
  if (value instanceof Date) return dateTimeLiteral(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new ConfigurationError(`${value} is not a finite number`);
    return String(value);
  }
  if (typeof value !== "string") throw new ConfigurationError(`Unsupported OData value ${String(value)}`);
  switch (field?.dataType) {
    case "Guid":
      if (isGuidText(value)) return value;
      break;
    case "Date":
    case "UtcDateTime":
      if (isIsoDateText(value)) return value;
      break;
    case "Enum":
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(value))
        return `${DATA_ENTITIES_NAMESPACE}.${enumNameOf(field.typeName)}'${value}'`;
      break;
  }
  return stringLiteral(value);
}

/** A short description of a value's kind for messages: `a string`, `a number`, `enum NoYes`. */
export function describeValue(value: ODataValue): string {
  if (value === null) return "null";
  if (value instanceof GuidValue) return "a GUID";
  if (value instanceof EnumValue) return `enum ${value.enumName}'${value.member}'`;
  if (value instanceof Date) return "a date";
  return `a ${typeof value} (${JSON.stringify(value).slice(0, 40)})`;
}
