/**
 * Entity rows under `/data/<Set>` (protocol §1.2–§1.5, §8): collections with query options and
 * server-driven paging, `$count`, by-key reads, and POST/PATCH/PUT/DELETE with the service's
 * validation, weak ETags and `If-Match`.
 */
import { contextUrl, NavigationResolver, rowJson, rowObject } from "../data/documents.js";
import { keySegmentOf, parseEntityKey } from "../data/keys.js";
import { matchPositions, parseDataQuery, visible } from "../data/query.js";
import { etagOf, type StoredRow } from "../data/store.js";
import { EntityTable } from "../data/table.js";
import { badRequest, WriteRejected } from "../data/writes.js";
import { buildNextLink, planPage } from "../odata/query.js";
import { collectionOf, noResourceFound, odataError } from "../responses.js";
import { bufferBody, EMPTY_BODY, jsonBody } from "../send.js";
import { preferredMaxPageSize } from "./metadata.js";
import type { HandlerTable, Reply, ServiceContext, ServiceRequest } from "./types.js";

/** The real service's ceiling for server-driven paging (protocol §1.5). */
export const MAX_DATA_PAGE_SIZE = 10_000;

function tableOr404(set: string, request: ServiceRequest, context: ServiceContext): EntityTable | Reply {
  const table = context.store.table(set);
  if (table) return table;
  return { status: 404, body: noResourceFound(`${context.base}${request.url.pathname}`) };
}

function rowNotFound(set: string): Reply {
  return {
    status: 404,
    body: odataError(`Resource not found for the segment '${set}'.`, {
      message: `No entity in '${set}' matches the key.`,
      type: "Microsoft.OData.ODataException",
    }),
  };
}

function parseBody(request: ServiceRequest): unknown {
  const text = request.body?.toString("utf8") ?? "";
  if (text.trim() === "") throw badRequest("The request body is empty; a JSON object was expected.");
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest("The request body is not valid JSON.");
  }
}

/** `If-Match: *` or a list of ETags; absent means no precondition (F&O does not require one). */
function preconditionFails(request: ServiceRequest, row: StoredRow): boolean {
  const ifMatch = request.header("if-match");
  if (ifMatch === undefined || ifMatch.trim() === "*") return false;
  const current = etagOf(row);
  const strip = (tag: string) => tag.trim().replace(/^W\//, "");
  return !ifMatch.split(/,(?=\s*(?:W\/)?")/).some((tag) => strip(tag) === strip(current));
}

const PRECONDITION_FAILED: Reply = {
  status: 412,
  body: odataError(
    "The etag value in the request header does not match with the current etag value of the object.",
    {
      message:
        "The etag value in the request header does not match with the current etag value of the object.",
      type: "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataConcurrencyException",
    },
  ),
};

function prefers(request: ServiceRequest, preference: string): boolean {
  return (request.header("prefer") ?? "").toLowerCase().includes(preference);
}

function entityReply(
  status: number,
  context: ServiceContext,
  table: EntityTable,
  row: StoredRow,
  select?: string[],
): Reply {
  const body = rowObject(table, row, select);
  return {
    status,
    body: jsonBody({ "@odata.context": contextUrl(context.base, table.set, select, true), ...body }),
    headers: { ETag: etagOf(row) },
  };
}

/** Converts a refused write into its reply. */
function rejected(error: unknown): Reply {
  if (error instanceof WriteRejected) return { status: error.status, body: error.body };
  throw error;
}

export const dataHandlers: HandlerTable = {
  dataCollection(request, context) {
    const table = tableOr404(request.route.set, request, context);
    if (!(table instanceof EntityTable)) return table;
    const { store, knobs, base } = context;
    const query = parseDataQuery(request.url.searchParams, table, store);
    const positions = matchPositions(store, table, query);
    let pageSize = Math.min(knobs.dataPageSize, MAX_DATA_PAGE_SIZE);
    const headers: Record<string, string> = {};
    const preferred = knobs.honourMaxPageSize ? preferredMaxPageSize(request.header("prefer")) : undefined;
    if (preferred !== undefined) {
      pageSize = Math.min(pageSize, preferred);
      headers["Preference-Applied"] = `odata.maxpagesize=${pageSize}`;
    }
    const page = planPage({ total: positions.length, top: query.top, skip: query.skip, pageSize });
    const resolver = query.expand ? new NavigationResolver(store) : undefined;
    const rows: Buffer[] = [];
    for (let i = page.start; i < page.end; i++) {
      const row = store.row(table, positions[i]) as StoredRow;
      rows.push(Buffer.from(rowJson(table, row, query.select, query.expand, resolver)));
    }
    const head: Record<string, unknown> = { "@odata.context": contextUrl(base, table.set, query.select) };
    if (query.count) head["@odata.count"] = positions.length;
    const nextLink =
      page.nextSkip === undefined
        ? undefined
        : buildNextLink(base, request.url.pathname, request.url.searchParams, page.nextSkip);
    return { status: 200, body: collectionOf(head, rows, nextLink), headers };
  },

  dataCount(request, context) {
    const table = tableOr404(request.route.set, request, context);
    if (!(table instanceof EntityTable)) return table;
    const query = parseDataQuery(request.url.searchParams, table, context.store);
    const count = matchPositions(context.store, table, query).length;
    return { status: 200, body: bufferBody(Buffer.from(String(count))), contentType: "text/plain" };
  },

  async dataCreate(request, context) {
    const table = tableOr404(request.route.set, request, context);
    if (!(table instanceof EntityTable)) return table;
    try {
      const body = parseBody(request);
      await context.spendWriteTime(1);
      // Validation (duplicate keys included) and the insert run in one synchronous step after the
      // server time, so concurrent creates of one key cannot both pass.
      const row = context.store.insert(table, context.writes.create(table, body));
      const location = `${context.base}/data/${table.set}${keySegmentOf(table, row.values)}`;
      if (prefers(request, "return=minimal")) {
        return {
          status: 204,
          body: EMPTY_BODY,
          headers: {
            ETag: etagOf(row),
            Location: location,
            "OData-EntityId": location,
            "Preference-Applied": "return=minimal",
          },
        };
      }
      const reply = entityReply(201, context, table, row);
      return { ...reply, headers: { ...reply.headers, Location: location } };
    } catch (error) {
      return rejected(error);
    }
  },

  async dataEntity(request, context) {
    const table = tableOr404(request.route.set, request, context);
    if (!(table instanceof EntityTable)) return table;
    const { store } = context;
    const single = request.method === "GET" || request.method === "HEAD";
    const query = parseDataQuery(request.url.searchParams, table, store, true);
    // A write's server time passes first; the lookup, precondition, validation and write that
    // follow are one synchronous step (no other request interleaves with them).
    if (!single) await context.spendWriteTime(1);
    const key = parseEntityKey(request.route.keySegment, table);
    const position = store.find(table, key);
    const current = position === undefined ? undefined : store.row(table, position);
    // Without cross-company only the default company's rows exist for the caller (§1.3).
    if (position === undefined || !current || !visible(store, table, current.values, query.crossCompany)) {
      return rowNotFound(table.set);
    }
    if (single) {
      const resolver = query.expand ? new NavigationResolver(store) : undefined;
      const body = rowObject(table, current, query.select, query.expand, resolver);
      return {
        status: 200,
        body: jsonBody({
          "@odata.context": contextUrl(context.base, table.set, query.select, true),
          ...body,
        }),
        headers: { ETag: etagOf(current) },
      };
    }
    try {
      if (request.method === "DELETE") {
        context.writes.checkDelete(table);
        if (preconditionFails(request, current)) return PRECONDITION_FAILED;
        store.remove(table, position);
        return { status: 204, body: EMPTY_BODY };
      }
      // The precondition is checked against the stored row before the body is validated.
      if (preconditionFails(request, current)) return PRECONDITION_FAILED;
      const values = context.writes.update(table, current, parseBody(request), request.method === "PUT");
      const row = store.update(table, position, values);
      if (prefers(request, "return=representation")) return entityReply(200, context, table, row);
      return { status: 204, body: EMPTY_BODY, headers: { ETag: etagOf(row) } };
    } catch (error) {
      return rejected(error);
    }
  },
};
