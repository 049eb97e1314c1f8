/**
 * Pure parsers from the Metadata service's wire JSON (wire.ts) to the library's models (models.ts).
 * Hand-written checks (a large environment has ~150k properties): identity fields are required,
 * flags default when absent, unknown fields are ignored. A bad item throws ProtocolError naming it:
 * `PublicEntities item #12 "CustomerV3": Properties[3] missing "Name"`.
 */
import { ProtocolError, ResponseTooLargeError } from "../errors.js";
import type {
  ActionParameter,
  ActionTypeRef,
  DataEntity,
  EntityAction,
  EntityProperty,
  Enumeration,
  EnumerationMember,
  Label,
  NavigationProperty,
  PropertyGroup,
  PublicEntity,
  RelationConstraint,
} from "./models.js";

type Json = Record<string, unknown>;

/** Where an item came from, for error messages: collection name and 0-based position. */
export interface ItemContext {
  collection: string;
  index?: number;
}

class ItemError extends Error {}

function describe(ctx: ItemContext, item: unknown): string {
  const name = item && typeof item === "object" ? (item as Json).Name : undefined;
  const position = ctx.index === undefined ? "item" : `item #${ctx.index}`;
  return `${ctx.collection} ${position}${typeof name === "string" ? ` ${JSON.stringify(name)}` : ""}`;
}

function wrap<T>(ctx: ItemContext, item: unknown, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ItemError) throw new ProtocolError(`${describe(ctx, item)}: ${error.message}`);
    throw error;
  }
}

function asObject(value: unknown, where: string): Json {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ItemError(`${where} is not an object`);
  }
  return value as Json;
}

function at(where: string): string {
  return where ? `${where} ` : "";
}

function reqString(obj: Json, field: string, where = ""): string {
  const value = obj[field];
  if (typeof value !== "string" || value === "") {
    throw new ItemError(
      value === undefined || value === null || value === ""
        ? `${at(where)}missing "${field}"`
        : `${at(where)}"${field}" is not a string`,
    );
  }
  return value;
}

function optString(obj: Json, field: string, where = ""): string | null {
  const value = obj[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw new ItemError(`${at(where)}"${field}" is not a string`);
  return value === "" ? null : value;
}

function optBool(obj: Json, field: string, fallback: boolean, where = ""): boolean {
  const value = obj[field];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") throw new ItemError(`${at(where)}"${field}" is not a boolean`);
  return value;
}

function optNumber(obj: Json, field: string, where = ""): number | null {
  const value = obj[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== "number") throw new ItemError(`${at(where)}"${field}" is not a number`);
  return value;
}

function optArray(obj: Json, field: string, where = ""): unknown[] {
  const value = obj[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ItemError(`${at(where)}"${field}" is not an array`);
  return value;
}

export function parseDataEntity(
  item: unknown,
  ctx: ItemContext = { collection: "DataEntities" },
): DataEntity {
  return wrap(ctx, item, () => {
    const o = asObject(item, "item");
    return {
      name: reqString(o, "Name"),
      publicEntityName: optString(o, "PublicEntityName"),
      publicCollectionName: optString(o, "PublicCollectionName"),
      labelId: optString(o, "LabelId"),
      dataServiceEnabled: optBool(o, "DataServiceEnabled", false),
      dataManagementEnabled: optBool(o, "DataManagementEnabled", false),
      entityCategory: optString(o, "EntityCategory"),
      isReadOnly: optBool(o, "IsReadOnly", false),
    };
  });
}

function parseProperty(value: unknown, where: string): EntityProperty {
  const o = asObject(value, where);
  return {
    name: reqString(o, "Name", where),
    typeName: reqString(o, "TypeName", where),
    dataType: reqString(o, "DataType", where),
    labelId: optString(o, "LabelId", where),
    isKey: optBool(o, "IsKey", false, where),
    isMandatory: optBool(o, "IsMandatory", false, where),
    configurationEnabled: optBool(o, "ConfigurationEnabled", true, where),
    allowEdit: optBool(o, "AllowEdit", true, where),
    allowEditOnCreate: optBool(o, "AllowEditOnCreate", true, where),
    isDimension: optBool(o, "IsDimension", false, where),
    dimensionRelation: optString(o, "DimensionRelation", where),
    isDynamicDimension: optBool(o, "IsDynamicDimension", false, where),
    dimensionLegalEntityProperty: optString(o, "DimensionLegalEntityProperty", where),
    dimensionTypeProperty: optString(o, "DimensionTypeProperty", where),
  };
}

/**
 * The constraint kind comes from the `@odata.type` suffix (RelatedFixed is tested before Fixed,
 * which it ends with); without a type it is inferred from the fields present.
 */
export function constraintKind(o: Json): RelationConstraint["kind"] | undefined {
  const type = typeof o["@odata.type"] === "string" ? (o["@odata.type"] as string) : "";
  if (type.endsWith("ReferentialConstraint")) return "Referential";
  if (type.endsWith("RelatedFixedConstraint")) return "RelatedFixed";
  if (type.endsWith("FixedConstraint")) return "Fixed";
  if (type !== "") return undefined;
  if (typeof o.ReferencedProperty === "string") return "Referential";
  if (typeof o.RelatedProperty === "string") return "RelatedFixed";
  if (typeof o.Property === "string" && ("Value" in o || "ValueStr" in o)) return "Fixed";
  return undefined;
}

function parseConstraint(value: unknown, where: string): RelationConstraint {
  const o = asObject(value, where);
  const kind = constraintKind(o);
  switch (kind) {
    case "Referential":
      return {
        kind,
        property: reqString(o, "Property", where),
        referencedProperty: reqString(o, "ReferencedProperty", where),
      };
    case "Fixed":
      return {
        kind,
        property: reqString(o, "Property", where),
        value: optNumber(o, "Value", where),
        valueStr: optString(o, "ValueStr", where),
      };
    case "RelatedFixed":
      return {
        kind,
        relatedProperty: reqString(o, "RelatedProperty", where),
        value: optNumber(o, "Value", where),
        valueStr: optString(o, "ValueStr", where),
      };
    default:
      throw new ItemError(
        `${where} has an unknown constraint type ${JSON.stringify(o["@odata.type"] ?? null)}`,
      );
  }
}

function parseNavigation(value: unknown, where: string): NavigationProperty {
  const o = asObject(value, where);
  const constraints = optArray(o, "Constraints", where);
  return {
    name: reqString(o, "Name", where),
    relatedEntity: reqString(o, "RelatedEntity", where),
    relatedRelationName: optString(o, "RelatedRelationName", where),
    cardinality: optString(o, "Cardinality", where) ?? "Single",
    constraints: constraints.map((c, i) => parseConstraint(c, `${where}.Constraints[${i}]`)),
  };
}

function parsePropertyGroup(value: unknown, where: string): PropertyGroup {
  const o = asObject(value, where);
  const properties = optArray(o, "Properties", where);
  return {
    name: reqString(o, "Name", where),
    properties: properties.map((p, i) => {
      if (typeof p !== "string") throw new ItemError(`${where}.Properties[${i}] is not a string`);
      return p;
    }),
  };
}

function parseTypeRef(value: unknown, where: string): ActionTypeRef {
  const o = asObject(value, where);
  return {
    typeName: reqString(o, "TypeName", where),
    isCollection: optBool(o, "IsCollection", false, where),
  };
}

function parseAction(value: unknown, where: string): EntityAction {
  const o = asObject(value, where);
  const parameters = optArray(o, "Parameters", where);
  return {
    name: reqString(o, "Name", where),
    bindingKind: optString(o, "BindingKind", where) ?? "Unbound",
    fieldLookup: optString(o, "FieldLookup", where),
    parameters: parameters.map((p, i): ActionParameter => {
      const pw = `${where}.Parameters[${i}]`;
      const po = asObject(p, pw);
      if (po.Type === undefined || po.Type === null) throw new ItemError(`${pw} missing "Type"`);
      return { name: reqString(po, "Name", pw), type: parseTypeRef(po.Type, `${pw}.Type`) };
    }),
    returnType:
      o.ReturnType === undefined || o.ReturnType === null
        ? null
        : parseTypeRef(o.ReturnType, `${where}.ReturnType`),
  };
}

export function parsePublicEntity(
  item: unknown,
  ctx: ItemContext = { collection: "PublicEntities" },
): PublicEntity {
  return wrap(ctx, item, () => {
    const o = asObject(item, "item");
    const name = reqString(o, "Name");
    return {
      name,
      entitySetName: reqString(o, "EntitySetName"),
      labelId: optString(o, "LabelId"),
      isReadOnly: optBool(o, "IsReadOnly", false),
      configurationEnabled: optBool(o, "ConfigurationEnabled", true),
      properties: optArray(o, "Properties").map((p, i) => parseProperty(p, `Properties[${i}]`)),
      navigationProperties: optArray(o, "NavigationProperties").map((n, i) =>
        parseNavigation(n, `NavigationProperties[${i}]`),
      ),
      propertyGroups: optArray(o, "PropertyGroups").map((g, i) =>
        parsePropertyGroup(g, `PropertyGroups[${i}]`),
      ),
      actions: optArray(o, "Actions").map((a, i) => parseAction(a, `Actions[${i}]`)),
    };
  });
}

export function parseEnumeration(
  item: unknown,
  ctx: ItemContext = { collection: "PublicEnumerations" },
): Enumeration {
  return wrap(ctx, item, () => {
    const o = asObject(item, "item");
    return {
      name: reqString(o, "Name"),
      labelId: optString(o, "LabelId"),
      members: optArray(o, "Members").map((m, i): EnumerationMember => {
        const where = `Members[${i}]`;
        const mo = asObject(m, where);
        const value = optNumber(mo, "Value", where);
        if (value === null) throw new ItemError(`${where} missing "Value"`);
        return {
          name: reqString(mo, "Name", where),
          value,
          labelId: optString(mo, "LabelId", where),
          configurationEnabled: optBool(mo, "ConfigurationEnabled", true, where),
        };
      }),
    };
  });
}

/** A Labels entity; `language` is the requested one when the body omits it. */
/**
 * Longest label text accepted (characters). D365 label texts are at most a few thousand
 * characters (help texts included); anything far beyond is not a label and is not stored.
 */
export const MAX_LABEL_TEXT_CHARS = 64 * 1024;

export function parseLabel(item: unknown, requested: { id: string; language: string }): Label {
  return wrap({ collection: "Labels" }, item, () => {
    const o = asObject(item, "item");
    const value = o.Value;
    if (typeof value !== "string")
      throw new ItemError(value === undefined ? 'missing "Value"' : '"Value" is not a string');
    if (value.length > MAX_LABEL_TEXT_CHARS) {
      throw new ResponseTooLargeError(
        "label text",
        MAX_LABEL_TEXT_CHARS,
        `Label ${requested.id} (${requested.language})`,
        {
          unit: "characters",
        },
      );
    }
    return {
      id: optString(o, "Id") ?? requested.id,
      language: optString(o, "Language") ?? requested.language,
      value,
    };
  });
}

/**
 * The `value` of an action result, defensively: `{"value": x}`, the nested `{"value":{"value": x}}`
 * Microsoft documents for some actions, or a bare value.
 */
export function unwrapActionValue(body: unknown): unknown {
  let current = body;
  for (let depth = 0; depth < 3; depth++) {
    if (current && typeof current === "object" && !Array.isArray(current) && "value" in (current as Json)) {
      current = (current as Json).value;
    } else break;
  }
  return current;
}
