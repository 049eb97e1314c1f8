/**
 * Maps a request (method + decoded path) to one of the routes an environment serves. Pure.
 * `/Metadata` and `/metadata` are both accepted (clients use both); collection, set and action
 * names are case-sensitive like the real service.
 */
import type { CollectionName } from "./release-documents.js";

export const ACTION_NAMESPACE = "Microsoft.Dynamics.DataEntities.";

export type VersionAction =
  | "GetApplicationVersion"
  | "GetApplicationBuildVersion"
  | "GetPlatformBuildVersion";

export type Route =
  | { kind: "serviceDocument"; name: "data.serviceDocument" }
  | { kind: "csdl"; name: "data.metadata" }
  | { kind: "collection"; name: string; collection: CollectionName; metadataSegment: string }
  | { kind: "item"; name: string; collection: CollectionName; metadataSegment: string; keySegment: string }
  | { kind: "label"; name: "metadata.labels"; metadataSegment: string; keySegment: string }
  | { kind: "installedModules"; name: "action.GetInstalledModules" }
  | { kind: "versionAction"; name: string; action: VersionAction }
  | { kind: "entityAction"; name: string; set: string; keySegment?: string; action: string }
  | { kind: "dataCollection"; name: "data.entitySet"; set: string }
  | { kind: "dataCount"; name: "data.count"; set: string }
  | { kind: "dataCreate"; name: "data.create"; set: string }
  | {
      kind: "dataEntity";
      name: "data.entity" | "data.update" | "data.replace" | "data.delete";
      set: string;
      keySegment: string;
    }
  | { kind: "batch"; name: "data.batch" }
  | { kind: "methodNotAllowed"; name: string; allow: string }
  | { kind: "notFound"; name: "notFound" };

const COLLECTION_ROUTE_NAMES: Record<CollectionName, string> = {
  DataEntities: "metadata.dataEntities",
  PublicEntities: "metadata.publicEntities",
  PublicEnumerations: "metadata.publicEnumerations",
};

const VERSION_ACTIONS: readonly VersionAction[] = [
  "GetApplicationVersion",
  "GetApplicationBuildVersion",
  "GetPlatformBuildVersion",
];

/** Splits `Name(...)` into the name and the key segment. */
function splitKey(segment: string): { base: string; key?: string } {
  const open = segment.indexOf("(");
  if (open < 0) return { base: segment };
  return { base: segment.slice(0, open), key: segment.slice(open) };
}

export function resolveRoute(method: string, path: string): Route {
  const segments = path.split("/").filter((s) => s !== "");
  if (segments.length === 0) return { kind: "notFound", name: "notFound" };
  const root = segments[0];
  const isGet = method === "GET" || method === "HEAD";

  if (root.toLowerCase() === "data") {
    if (segments.length === 1) {
      return isGet
        ? { kind: "serviceDocument", name: "data.serviceDocument" }
        : { kind: "methodNotAllowed", name: "data.serviceDocument", allow: "GET" };
    }
    if (segments.length === 2 && segments[1] === "$metadata") {
      return isGet
        ? { kind: "csdl", name: "data.metadata" }
        : { kind: "methodNotAllowed", name: "data.metadata", allow: "GET" };
    }
    if (segments.length === 2 && segments[1] === "$batch") {
      return method === "POST"
        ? { kind: "batch", name: "data.batch" }
        : { kind: "methodNotAllowed", name: "data.batch", allow: "POST" };
    }
    const { base: set, key } = splitKey(segments[1]);
    if (segments.length === 3 && segments[2].startsWith(ACTION_NAMESPACE)) {
      const action = segments[2].slice(ACTION_NAMESPACE.length);
      let route: Route;
      if (key === undefined && set === "SystemNotifications" && action === "GetInstalledModules") {
        route = { kind: "installedModules", name: "action.GetInstalledModules" };
      } else if (
        key === undefined &&
        set === "DataManagementEntities" &&
        (VERSION_ACTIONS as readonly string[]).includes(action)
      ) {
        route = { kind: "versionAction", name: `action.${action}`, action: action as VersionAction };
      } else {
        route = { kind: "entityAction", name: `action.${action}`, set, keySegment: key, action };
      }
      // Actions are POST-only; OData answers other methods with 405.
      return method === "POST" ? route : { kind: "methodNotAllowed", name: route.name, allow: "POST" };
    }
    if (segments.length === 3 && segments[2] === "$count" && key === undefined) {
      return isGet
        ? { kind: "dataCount", name: "data.count", set }
        : { kind: "methodNotAllowed", name: "data.count", allow: "GET" };
    }
    if (segments.length === 2 && key === undefined) {
      if (isGet) return { kind: "dataCollection", name: "data.entitySet", set };
      if (method === "POST") return { kind: "dataCreate", name: "data.create", set };
      return { kind: "methodNotAllowed", name: "data.entitySet", allow: "GET, POST" };
    }
    if (segments.length === 2 && key !== undefined) {
      const names = {
        GET: "data.entity",
        HEAD: "data.entity",
        PATCH: "data.update",
        PUT: "data.replace",
        DELETE: "data.delete",
      } as const;
      const name = names[method as keyof typeof names];
      if (name) return { kind: "dataEntity", name, set, keySegment: key };
      return { kind: "methodNotAllowed", name: "data.entity", allow: "GET, PATCH, PUT, DELETE" };
    }
    return { kind: "notFound", name: "notFound" };
  }

  if (root.toLowerCase() === "metadata" && segments.length === 2) {
    const { base, key } = splitKey(segments[1]);
    if (base === "Labels") {
      if (!key) return { kind: "notFound", name: "notFound" };
      return isGet
        ? { kind: "label", name: "metadata.labels", metadataSegment: root, keySegment: key }
        : { kind: "methodNotAllowed", name: "metadata.labels", allow: "GET" };
    }
    if (base === "DataEntities" || base === "PublicEntities" || base === "PublicEnumerations") {
      const collection = base as CollectionName;
      const name = key ? `${COLLECTION_ROUTE_NAMES[collection]}.byKey` : COLLECTION_ROUTE_NAMES[collection];
      if (!isGet) return { kind: "methodNotAllowed", name, allow: "GET" };
      return key
        ? { kind: "item", name, collection, metadataSegment: root, keySegment: key }
        : { kind: "collection", name, collection, metadataSegment: root };
    }
  }
  return { kind: "notFound", name: "notFound" };
}
