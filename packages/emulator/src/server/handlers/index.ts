/**
 * The route table: each capability contributes its handlers (metadata, data, actions, `$batch`),
 * so a new route is a new entry, not an edit to one big switch. `dispatch` is shared by the HTTP
 * pipeline and by `$batch` for each of its operations.
 */
import { ODataQueryError } from "../odata/errors.js";
import { badQuery } from "../responses.js";
import type { Route } from "../routes.js";
import { actionHandlers } from "./actions.js";
import { batchHandlers } from "./batch.js";
import { dataHandlers } from "./data.js";
import { metadataHandlers } from "./metadata.js";
import type { HandlerTable, Reply, RouteHandler, ServiceContext, ServiceRequest } from "./types.js";

const HANDLERS: HandlerTable = { ...metadataHandlers, ...dataHandlers, ...actionHandlers, ...batchHandlers };

export async function dispatch(request: ServiceRequest, context: ServiceContext): Promise<Reply> {
  const handler = HANDLERS[request.route.kind] as RouteHandler<Route["kind"]> | undefined;
  if (!handler) throw new Error(`No handler for route '${request.route.kind}'`);
  try {
    return await handler(request, context);
  } catch (error) {
    if (error instanceof ODataQueryError) return { status: 400, body: badQuery(error) };
    throw error;
  }
}
