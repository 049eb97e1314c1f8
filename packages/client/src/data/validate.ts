/**
 * Pure validation of data requests against an entity's schema: every check that can be made
 * before anything is sent. Each function returns the problems it found (empty = valid).
 */
import type { EntityProperty } from "../metadata/models.js";
import type { ValidationProblem } from "./errors.js";
import type { EntitySchema } from "./schema.js";
import { closestNames } from "./suggest.js";
import { checkValue, isUnfilled, unknownProperty } from "./validate-value.js";
import { describeValue, EnumValue, GuidValue, isGuidText, isIsoDateText, type ODataValue } from "./values.js";

export { checkFilter } from "./validate-filter.js";
export { checkValue } from "./validate-value.js";

/** A key: one value for a single-field key, or a record of key fields (any order). */
export type EntityKey = ODataValue | Readonly<Record<string, ODataValue>>;

/** Property names used by `$select`, `$orderby`: each must exist. */
export function checkPropertyNames(
  schema: EntitySchema,
  names: readonly string[],
  where: string,
): ValidationProblem[] {
  return names
    .filter((name) => !schema.properties.has(name))
    .map((name) => unknownProperty(schema, name, where));
}

export function checkExpand(schema: EntitySchema, names: readonly string[]): ValidationProblem[] {
  return names
    .filter((name) => !schema.navigations.has(name))
    .map((name) => ({
      kind: "unknownNavigation" as const,
      message: `${schema.entitySet} has no navigation property ${name} ($expand)`,
      entitySet: schema.entitySet,
      name,
      suggestions: closestNames(name, schema.navigations.keys()),
    }));
}

export function isKeyRecord(key: EntityKey): key is Readonly<Record<string, ODataValue>> {
  return (
    typeof key === "object" &&
    key !== null &&
    !(key instanceof Date) &&
    !(key instanceof GuidValue) &&
    !(key instanceof EnumValue)
  );
}

/** The key as field → value, in the schema's key order; a bare value only for a one-field key. */
export function keyEntries(schema: EntitySchema | undefined, key: EntityKey): [string, ODataValue][] {
  if (!isKeyRecord(key)) return schema && schema.keys.length === 1 ? [[schema.keys[0], key]] : [["", key]];
  const entries = Object.entries(key);
  if (!schema) return entries;
  const order = (name: string) => {
    const index = schema.keys.indexOf(name);
    return index < 0 ? schema.keys.length : index;
  };
  return entries.sort((a, b) => order(a[0]) - order(b[0]));
}

export function checkKey(schema: EntitySchema, key: EntityKey): ValidationProblem[] {
  const out: ValidationProblem[] = [];
  if (!isKeyRecord(key)) {
    if (schema.keys.length !== 1)
      out.push({
        kind: "missingKeyField",
        message: `${schema.entitySet} has a composite key (${schema.keys.join(", ")}); give every field by name`,
        entitySet: schema.entitySet,
      });
    else {
      const problem = checkValue(schema, schema.properties.get(schema.keys[0]) as EntityProperty, key, "key");
      if (problem) out.push(problem);
    }
    return out;
  }
  for (const name of schema.keys)
    if (!(name in key) || key[name] === undefined)
      out.push({
        kind: "missingKeyField",
        message: `The key of ${schema.entitySet} lacks ${name} (key fields: ${schema.keys.join(", ")})`,
        entitySet: schema.entitySet,
        name,
      });
  for (const [name, value] of Object.entries(key)) {
    if (!schema.keys.includes(name)) {
      out.push({
        kind: "unknownKeyField",
        message: `${name} is not a key field of ${schema.entitySet} (key fields: ${schema.keys.join(", ")})`,
        entitySet: schema.entitySet,
        name,
        suggestions: closestNames(name, schema.keys),
      });
      continue;
    }
    if (value === null) {
      out.push({
        kind: "invalidValue",
        message: `Key field ${name} cannot be null`,
        entitySet: schema.entitySet,
        name,
      });
      continue;
    }
    const problem = checkValue(schema, schema.properties.get(name) as EntityProperty, value, "key");
    if (problem) out.push(problem);
  }
  return out;
}

export type WriteKind = "create" | "update" | "replace";

/** Annotations such as `@odata.type` or `@odata.etag` travel with bodies and are not properties. */
function isAnnotation(name: string): boolean {
  return name.startsWith("@") || name.includes("@");
}

/**
 * A write body: known properties of the right types, editable for this kind of write; on create
 * and replace every mandatory field.
 */
export function checkWrite(
  schema: EntitySchema,
  body: Readonly<Record<string, unknown>>,
  kind: WriteKind,
): ValidationProblem[] {
  const out: ValidationProblem[] = [];
  if (schema.isReadOnly) {
    out.push({
      kind: "readOnlyEntity",
      message: `${schema.entitySet} is read-only; it cannot be written (${kind})`,
      entitySet: schema.entitySet,
    });
    return out;
  }
  for (const [name, value] of Object.entries(body)) {
    if (value === undefined || isAnnotation(name)) continue;
    const property = schema.properties.get(name);
    if (!property) {
      out.push(unknownProperty(schema, name, kind));
      continue;
    }
    const editable = kind === "create" ? property.allowEditOnCreate || property.isKey : property.allowEdit;
    // A PUT carries the whole row: the service refuses a non-editable field only when its value
    // changes, which only the service can tell.
    if (!editable && kind !== "replace") {
      out.push({
        kind: "notEditable",
        message: `${schema.entitySet}.${name} cannot be set on ${kind === "create" ? "create" : "update"}`,
        entitySet: schema.entitySet,
        name,
      });
      continue;
    }
    const problem = checkValue(schema, property, value, kind);
    if (problem) out.push(problem);
  }
  // A create and a PUT (which replaces the row as a whole) must carry every mandatory field; the
  // key of a PUT is in its URL, and dataAreaId of a create defaults to the caller's company.
  if (kind !== "update") {
    for (const property of schema.properties.values()) {
      if (!property.isMandatory || property.name === "dataAreaId" || (kind === "replace" && property.isKey))
        continue;
      // A mandatory field the caller may not set is filled by the entity's own defaulting.
      if (kind === "create" ? !property.allowEditOnCreate : !property.allowEdit) continue;
      if (isUnfilled(schema, property, body[property.name]))
        out.push({
          kind: "missingMandatory",
          message: `${schema.entitySet}.${property.name} is mandatory on ${kind} (and must not be its empty value)`,
          entitySet: schema.entitySet,
          name: property.name,
        });
    }
  }
  return out;
}

/** What an action parameter of an Edm type accepts (enum and entity parameters are not checked). */
const PARAMETER_TYPES: Record<string, { description: string; accepts: (value: unknown) => boolean }> = {
  "Edm.String": { description: "a string", accepts: (v) => typeof v === "string" },
  "Edm.Int32": { description: "an integer", accepts: (v) => Number.isInteger(v) },
  "Edm.Int64": { description: "an integer", accepts: (v) => Number.isInteger(v) },
  "Edm.Decimal": { description: "a number", accepts: (v) => typeof v === "number" && Number.isFinite(v) },
  "Edm.Double": { description: "a number", accepts: (v) => typeof v === "number" },
  "Edm.Boolean": { description: "a boolean", accepts: (v) => typeof v === "boolean" },
  "Edm.DateTimeOffset": {
    description: "a date",
    accepts: (v) => v instanceof Date || (typeof v === "string" && isIsoDateText(v)),
  },
  "Edm.Guid": {
    description: "a GUID",
    accepts: (v) => v instanceof GuidValue || (typeof v === "string" && isGuidText(v)),
  },
};

/** An action: declared on the entity, bound as called (set or instance), with its parameters. */
export function checkAction(
  schema: EntitySchema,
  name: string,
  bound: "set" | "instance",
  parameters: Readonly<Record<string, unknown>>,
): ValidationProblem[] {
  const action = schema.actions.find((a) => a.name === name);
  if (!action)
    return [
      {
        kind: "unknownAction",
        message: `${schema.entitySet} has no action ${name}`,
        entitySet: schema.entitySet,
        name,
        suggestions: closestNames(
          name,
          schema.actions.map((a) => a.name),
        ),
      },
    ];
  const out: ValidationProblem[] = [];
  const expected = bound === "set" ? "BoundToEntitySet" : "BoundToEntityInstance";
  if (action.bindingKind !== expected && action.bindingKind !== "Unbound")
    out.push({
      kind: "actionBinding",
      message: `${schema.entitySet}/${name} is ${action.bindingKind}: call it ${action.bindingKind === "BoundToEntityInstance" ? "with a key" : "on the entity set, without a key"}`,
      entitySet: schema.entitySet,
      name,
    });
  for (const parameter of action.parameters) {
    const value = parameters[parameter.name];
    if (value === undefined || value === null || parameter.type.isCollection) continue;
    const expected = PARAMETER_TYPES[parameter.type.typeName];
    if (expected && !expected.accepts(value))
      out.push({
        kind: "typeMismatch",
        message: `Parameter ${parameter.name} of ${name} is ${expected.description}, got ${describeValue(value as ODataValue)}`,
        entitySet: schema.entitySet,
        name: parameter.name,
      });
  }
  const declared = new Set(action.parameters.map((p) => p.name));
  // An instance-bound action's first parameter is the bound entity itself, never passed by callers.
  for (const given of Object.keys(parameters))
    if (!declared.has(given))
      out.push({
        kind: "unknownParameter",
        message: `Action ${name} has no parameter ${given}`,
        entitySet: schema.entitySet,
        name: given,
        suggestions: closestNames(given, declared),
      });
  for (const parameter of action.parameters)
    if (!(parameter.name in parameters) && !/^_?this$|^entity$/i.test(parameter.name))
      out.push({
        kind: "missingParameter",
        message: `Action ${name} needs parameter ${parameter.name}`,
        entitySet: schema.entitySet,
        name: parameter.name,
      });
  return out;
}
