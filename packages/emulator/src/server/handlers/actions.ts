/**
 * OData actions (protocol §3): the versioning actions (§3.1, §3.2) and every action the release
 * declares on a public entity, bound to the entity set or to one entity instance (§3.3), with
 * typed parameters and return values. The emulated actions do not change data.
 */
import type { ActionJson, ActionTypeJson } from "d365fo-client";
import { contextUrl, rowObject } from "../data/documents.js";
import { parseEntityKey } from "../data/keys.js";
import { matchPositions, parseDataQuery, visible } from "../data/query.js";
import type { StoredRow } from "../data/store.js";
import { badRequest, WriteRejected } from "../data/writes.js";
import { noResourceFound, odataError } from "../responses.js";
import { EMPTY_BODY, jsonBody } from "../send.js";
import type { HandlerTable, Reply, ServiceContext, ServiceRequest } from "./types.js";

const NAMESPACE = "Microsoft.Dynamics.DataEntities";

function actionNotFound(
  context: ServiceContext,
  request: ServiceRequest,
  action: string,
  why: string,
): Reply {
  return {
    status: 404,
    body: odataError(
      `No HTTP resource was found that matches the request URI '${context.base}${request.url.pathname}'.`,
      {
        message: `The action '${action}' ${why}.`,
        type: "Microsoft.OData.ODataException",
      },
    ),
  };
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$/;

function conforms(type: string, value: unknown, context: ServiceContext): boolean {
  switch (type) {
    case "Edm.String":
      return typeof value === "string";
    case "Edm.Int32":
    case "Edm.Int64":
      return typeof value === "number" && Number.isInteger(value);
    case "Edm.Decimal":
    case "Edm.Double":
      return typeof value === "number" || (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value));
    case "Edm.Boolean":
      return typeof value === "boolean";
    case "Edm.DateTimeOffset":
      return typeof value === "string" && ISO.test(value) && !Number.isNaN(Date.parse(value));
    case "Edm.Guid":
      return typeof value === "string" && /^[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$/.test(value);
    default:
      if (type.startsWith(`${NAMESPACE}.`)) {
        const members = context.store.enumMembers(type.slice(NAMESPACE.length + 1));
        return typeof value === "string" && (members === undefined || members.includes(value));
      }
      return true;
  }
}

/** The parameters of the body, checked against the action's declaration (400 otherwise). */
function checkParameters(
  action: ActionJson,
  body: Buffer | undefined,
  context: ServiceContext,
): Record<string, unknown> {
  const text = body?.toString("utf8").trim() ?? "";
  let parameters: unknown = {};
  if (text !== "") {
    try {
      parameters = JSON.parse(text);
    } catch {
      throw badRequest("The action parameters are not valid JSON.");
    }
  }
  if (typeof parameters !== "object" || parameters === null || Array.isArray(parameters)) {
    throw badRequest("The action parameters must be a JSON object.");
  }
  for (const [name, value] of Object.entries(parameters as Record<string, unknown>)) {
    const declared = action.Parameters.find((p) => p.Name === name);
    if (!declared) {
      throw badRequest(
        `The parameter '${name}' in the request payload is not a valid parameter for the operation '${action.Name}'.`,
      );
    }
    if (value === null) continue;
    const { TypeName, IsCollection } = declared.Type;
    const ok = IsCollection
      ? Array.isArray(value) && value.every((v) => conforms(TypeName, v, context))
      : conforms(TypeName, value, context);
    if (!ok) {
      throw badRequest(
        `Cannot convert the value of the parameter '${name}' to the expected type '${IsCollection ? `Collection(${TypeName})` : TypeName}'.`,
      );
    }
  }
  return parameters as Record<string, unknown>;
}

function primitiveResult(context: ServiceContext, type: ActionTypeJson, value: unknown): Reply {
  const typeName = type.IsCollection ? `Collection(${type.TypeName})` : type.TypeName;
  return {
    status: 200,
    body: jsonBody({
      "@odata.context": `${context.base}/data/$metadata#${typeName}`,
      value: type.IsCollection ? [value] : value,
    }),
  };
}

export const actionHandlers: HandlerTable = {
  installedModules(_request, { base, docs, knobs }) {
    if (knobs.faults.installedModulesForbidden) {
      return {
        status: 403,
        body: odataError("An error has occurred.", {
          message:
            "Access denied: the caller does not have permission to execute action GetInstalledModules.",
          type: "System.UnauthorizedAccessException",
        }),
      };
    }
    return {
      status: 200,
      body: jsonBody({
        "@odata.context": `${base}/data/$metadata#Collection(Edm.String)`,
        value: docs.moduleLines(),
      }),
    };
  },

  versionAction({ route }, { base, docs }) {
    const release = docs.release;
    const value =
      route.action === "GetApplicationVersion"
        ? release.applicationVersion
        : route.action === "GetApplicationBuildVersion"
          ? release.applicationBuildVersion
          : release.platformBuildVersion;
    return { status: 200, body: jsonBody({ "@odata.context": `${base}/data/$metadata#Edm.String`, value }) };
  },

  entityAction(request, context) {
    const { route } = request;
    const table = context.store.table(route.set);
    if (!table) return { status: 404, body: noResourceFound(`${context.base}${request.url.pathname}`) };
    const action = table.entity.Actions.find((a) => a.Name === route.action);
    if (!action) return actionNotFound(context, request, route.action, "is not bound to this entity set");
    const onInstance = action.BindingKind === "BoundToEntityInstance";
    if (onInstance !== (route.keySegment !== undefined)) {
      return actionNotFound(
        context,
        request,
        route.action,
        onInstance
          ? "is bound to an entity instance, not to the entity set"
          : "is bound to the entity set, not to an instance",
      );
    }
    try {
      const query = parseDataQuery(request.url.searchParams, table, context.store, true);
      let instance: StoredRow | undefined;
      if (route.keySegment !== undefined) {
        const position = context.store.find(table, parseEntityKey(route.keySegment, table));
        instance = position === undefined ? undefined : context.store.row(table, position);
        if (!instance || !visible(context.store, table, instance.values, query.crossCompany)) {
          return {
            status: 404,
            body: odataError(`Resource not found for the segment '${table.set}'.`, {
              message: `No entity in '${table.set}' matches the key.`,
              type: "Microsoft.OData.ODataException",
            }),
          };
        }
      }
      const parameters = checkParameters(action, request.body, context);
      const returns = action.ReturnType;
      if (!returns) return { status: 204, body: EMPTY_BODY };
      if (returns.TypeName === `${NAMESPACE}.${table.entity.Name}`) {
        // An entity-typed result: the instance itself, or the first visible rows of the set.
        const rows: StoredRow[] = instance
          ? [instance]
          : matchPositions(context.store, table, query)
              .slice(0, 10)
              .map((p) => context.store.row(table, p) as StoredRow);
        const value = rows.map((r) => rowObject(table, r));
        return {
          status: 200,
          body: jsonBody({
            "@odata.context": contextUrl(context.base, table.set),
            value: returns.IsCollection ? value : value[0],
          }),
        };
      }
      const given = Object.keys(parameters).length;
      const target = `${table.set}${route.keySegment ?? ""}`;
      switch (returns.TypeName) {
        case "Edm.Int32":
        case "Edm.Int64":
          return primitiveResult(
            context,
            returns,
            instance ? 1 : matchPositions(context.store, table, query).length,
          );
        case "Edm.Boolean":
          return primitiveResult(context, returns, true);
        default:
          return primitiveResult(
            context,
            returns,
            `${action.Name} executed on ${target} with ${given} parameter(s)`,
          );
      }
    } catch (error) {
      if (error instanceof WriteRejected) return { status: error.status, body: error.body };
      throw error;
    }
  },
};
