/**
 * The request/response shapes every HTTP concern shares. A concern is a `Middleware`: it gets the
 * request and the next `Send` and may change either, repeat the call (retry, auth refresh) or
 * wait before it (limiter). The innermost `Send` is the undici transport.
 */
import type { Readable } from "node:stream";

export type HttpMethod = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

export interface HttpRequest {
  method: HttpMethod;
  url: URL;
  headers: Record<string, string>;
  /** Request body (already serialised). */
  body?: string;
  /**
   * May this request be sent again after a failure whose outcome is unknown (a reset, a timeout,
   * a 5xx)? GETs are; POSTs only when the caller says so (read-only actions).
   */
  safe: boolean;
  /**
   * `buffer`: the transport reads the whole body inside the attempt, so a body cut off part-way
   * is retried like any other network failure. `stream`: the caller consumes `body` itself.
   */
  responseType: "buffer" | "stream";
  signal?: AbortSignal;
  /** Per-request timeouts (ms); fall back to the client's. */
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  /** Per-request bound of a buffered 2xx body (a label: far below the client's default). */
  maxResponseBytes?: number;
  /** Set by the request-id concern: the `x-ms-client-request-id` sent. */
  requestId?: string;
  /** Attempt number, 1-based, set by the retry concern (for logs). */
  attempt?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** The full body (decompressed) when `responseType` was `buffer`. */
  buffer?: Buffer;
  /** The decompressed body stream when `responseType` was `stream`. Must be consumed or destroyed. */
  stream?: Readable;
  requestId?: string;
  /** `ms-dyn-aid`, the server's activity id. */
  activityId?: string;
  /** Set by the retry concern on the response it finally returns. */
  attempts?: number;
  /** The server's last Retry-After advice (ms), when it gave one. */
  retryAfterMs?: number;
  /** The (error) body exceeded the transport's limit and `buffer` holds only its start. */
  bodyTruncated?: boolean;
  /** Set by the limiter on a 429: whether it read as too much load or as a storm's background 429. */
  throttleReading?: "congestion" | "fell" | "narrowed" | "background";
}

export type Send = (request: HttpRequest) => Promise<HttpResponse>;
export type Middleware = (request: HttpRequest, next: Send) => Promise<HttpResponse>;

/** Builds one `Send` from concerns, outermost first. */
export function compose(middlewares: readonly Middleware[], transport: Send): Send {
  return middlewares.reduceRight<Send>(
    (next, middleware) => (request) => middleware(request, next),
    transport,
  );
}

/** Sleep that wakes early (rejecting) when the signal aborts; injectable so tests can scale time. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const defaultSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    if (ms <= 0) {
      resolve();
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** Drains and discards a response stream (frees the connection for keep-alive reuse). */
export async function discardBody(response: HttpResponse): Promise<void> {
  const stream = response.stream;
  if (!stream) return;
  try {
    for await (const _ of stream) {
      // discard
    }
  } catch {
    // the connection is gone anyway
  }
}

/** Reads a response body fully (for error bodies and small JSON). */
export async function readBody(response: HttpResponse): Promise<Buffer> {
  if (response.buffer) return response.buffer;
  if (!response.stream) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of response.stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
