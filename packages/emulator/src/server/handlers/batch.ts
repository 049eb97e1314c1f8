/**
 * `POST /data/$batch` (protocol §1.2, §5.3): `multipart/mixed` with change sets that are atomic
 * (a failing operation undoes the change set's earlier writes and answers for the whole change
 * set), at most 5,000 operations, `Content-ID` references (`$1`) to entities created earlier in
 * the same change set, and throttling decided per operation: a throttled operation is a `429`
 * part with its own `Retry-After`, not a 429 of the batch.
 */
import {
  type BatchOperation,
  boundaryOf,
  type PartResponse,
  parseBatch,
  type ResponseItem,
  writeBatchResponse,
} from "../data/multipart.js";
import { badRequest } from "../data/writes.js";
import { ODataQueryError } from "../odata/errors.js";
import { JSON_CONTENT_TYPE } from "../pipeline.js";
import { badQuery, throttledBody } from "../responses.js";
import { resolveRoute } from "../routes.js";
import { bufferBody } from "../send.js";
import type { HandlerTable, Reply, ServiceContext } from "./types.js";

/** The documented ceiling of operations in one batch (protocol §1.2). */
export const MAX_BATCH_OPERATIONS = 5_000;

function bodyBuffer(reply: Reply): Buffer {
  return Buffer.concat([...reply.body.chunks()]);
}

function toPart(reply: Reply, contentId: string | undefined): PartResponse {
  const body = bodyBuffer(reply);
  const headers: Record<string, string | number> = {};
  // Batch parts carry the charset (protocol §1.7).
  if (body.length > 0) headers["Content-Type"] = `${reply.contentType ?? JSON_CONTENT_TYPE}; charset=utf-8`;
  Object.assign(headers, reply.headers);
  return { status: reply.status, headers, body, contentId };
}

/** Resolves `$<id>` references to entities created earlier in the change set. */
function resolveTarget(target: string, references: ReadonlyMap<string, string>): string {
  const reference = /^\$([^/?]+)(.*)$/.exec(target);
  if (!reference) return target;
  const location = references.get(reference[1]);
  if (location === undefined)
    throw new ODataQueryError(
      `The Content-ID reference '$${reference[1]}' does not name an earlier operation.`,
    );
  return `${location}${reference[2]}`;
}

async function runOperation(
  operation: BatchOperation,
  references: ReadonlyMap<string, string>,
  context: ServiceContext,
): Promise<PartResponse> {
  const verdict = context.throttleOperation();
  if (verdict.throttled) {
    const headers: Record<string, string | number> = {};
    if (verdict.retryAfterSeconds !== undefined) headers["Retry-After"] = verdict.retryAfterSeconds;
    return toPart(
      { status: 429, body: throttledBody(verdict.retryAfterSeconds), headers },
      operation.contentId,
    );
  }
  let url: URL;
  try {
    url = new URL(resolveTarget(operation.target, references), `${context.base}/data/`);
  } catch (error) {
    const reason =
      error instanceof ODataQueryError
        ? error
        : new ODataQueryError(`The request URI '${operation.target}' is not valid.`);
    return toPart({ status: 400, body: badQuery(reason) }, operation.contentId);
  }
  const route = resolveRoute(operation.method, decodeURIComponent(url.pathname));
  context.countRoute(`batch.${route.name}`);
  if (route.kind === "batch") {
    return toPart(
      { status: 400, body: badQuery(new ODataQueryError("A batch must not contain another batch.")) },
      operation.contentId,
    );
  }
  const reply = await context.dispatch({
    method: operation.method,
    url,
    route,
    header: (name) => operation.headers.get(name.toLowerCase()),
    body: operation.body,
  });
  return toPart(reply, operation.contentId);
}

export const batchHandlers: HandlerTable = {
  async batch(request, context) {
    const boundary = boundaryOf(request.header("content-type"));
    if (!boundary) {
      const rejected = badRequest("A batch request must have Content-Type multipart/mixed with a boundary.");
      return { status: rejected.status, body: rejected.body };
    }
    const items = parseBatch(request.body ?? Buffer.alloc(0), boundary);
    const operations = items.reduce(
      (n, item) => n + (item.kind === "operation" ? 1 : item.operations.length),
      0,
    );
    if (operations > MAX_BATCH_OPERATIONS) {
      const rejected = badRequest(
        `The batch request contains ${operations} operations; at most ${MAX_BATCH_OPERATIONS} are allowed.`,
      );
      return { status: rejected.status, body: rejected.body };
    }
    const responses: ResponseItem[] = [];
    for (const item of items) {
      if (item.kind === "operation") {
        responses.push({
          kind: "operation",
          response: await runOperation(item.operation, new Map(), context),
        });
        continue;
      }
      const unit = context.store.begin();
      const references = new Map<string, string>();
      const parts: PartResponse[] = [];
      let failure: PartResponse | undefined;
      for (const operation of item.operations) {
        const part = await runOperation(operation, references, context);
        if (part.status >= 400) {
          failure = part;
          break;
        }
        parts.push(part);
        const location = part.headers.Location;
        if (operation.contentId !== undefined && typeof location === "string") {
          references.set(operation.contentId, new URL(location).pathname);
        }
      }
      if (failure) {
        // A failed change set is undone and answered by the failing operation alone (OData 4.0 §11.7.4).
        unit.rollback();
        responses.push({ kind: "operation", response: failure });
      } else {
        unit.commit();
        responses.push({ kind: "changeset", responses: parts });
      }
    }
    const outer = `batchresponse_${context.newGuid()}`;
    const body = writeBatchResponse(responses, outer, () => `changesetresponse_${context.newGuid()}`);
    return { status: 200, body: bufferBody(body), contentType: `multipart/mixed; boundary=${outer}` };
  },
};
