/** One typed result per `$batch` operation, from its response part (pure). */
import { type D365Error, ProtocolError } from "../errors.js";
import { errorForResponse } from "../http/errors.js";
import { parseRetryAfter } from "../http/retry.js";
import type { HttpRequest } from "../http/types.js";
import type { BatchResult, Operation } from "./batch.js";
import type { BatchRequestPart, BatchResponsePart } from "./batch-format.js";
import type { Row } from "./client.js";
import { ConcurrencyConflictError } from "./errors.js";
import { etagOf } from "./url.js";

export function resultOf(
  op: Operation,
  request: BatchRequestPart,
  part: BatchResponsePart,
  attempts: number,
  inChangeset: boolean,
): BatchResult {
  if (part.status >= 200 && part.status < 300) {
    let body: Row | undefined;
    if (part.body.trim() !== "") {
      try {
        const parsed = JSON.parse(part.body) as unknown;
        if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
          const { "@odata.context": _context, ...row } = parsed as Row;
          body = row;
        }
      } catch {
        body = undefined;
      }
    }
    return {
      index: op.index,
      kind: op.kind,
      ok: true,
      status: part.status,
      body,
      etag: part.headers.etag ?? etagOf(body),
    };
  }
  return {
    index: op.index,
    kind: op.kind,
    ok: false,
    status: part.status,
    error: errorFor(request, part, attempts),
    rolledBack: inChangeset,
  };
}

export function errorFor(request: BatchRequestPart, part: BatchResponsePart, attempts: number): D365Error {
  const httpRequest = { method: request.method, url: new URL(request.url) } as HttpRequest;
  const what = `${request.method} ${httpRequest.url.pathname}${httpRequest.url.search}`;
  if (part.status === 0)
    return new ProtocolError(`${what}: the $batch response has no answer for this operation`, {
      url: request.url,
    });
  const error = errorForResponse(
    httpRequest,
    { status: part.status, headers: part.headers, requestId: undefined },
    Buffer.from(part.body, "utf8"),
    { attempts, retryAfterMs: parseRetryAfter(part.headers["retry-after"]) },
  );
  const ifMatch = request.headers?.["If-Match"];
  if (part.status === 412 && ifMatch)
    return new ConcurrencyConflictError(`${what}: the row changed since it was read (412 in $batch)`, {
      status: 412,
      method: request.method,
      url: request.url,
      body: error.body,
      ifMatch,
      cause: error,
    });
  return error;
}
