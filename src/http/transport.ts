/**
 * The innermost `Send`: one undici keep-alive `Agent` per client (one connection pool per
 * origin), gzip negotiated and decompressed here, headers and body-idle timeouts per request.
 */
import { pipeline, type Readable, Transform } from "node:stream";
import { createGunzip, createInflate } from "node:zlib";
import { Agent } from "undici";
import { transportError } from "./errors.js";
import type { HttpRequest, HttpResponse, Send } from "./types.js";

export interface PoolOptions {
  /** Connections per origin (default 64: the limiter, not the pool, decides concurrency). */
  connections?: number;
  /** Idle keep-alive time of a pooled socket (default 30 s). */
  keepAliveTimeoutMs?: number;
  /** Connect timeout (default 10 s). */
  connectTimeoutMs?: number;
}

export interface TimeoutOptions {
  /** Time to wait for the response headers (default 120 s: large Metadata responses start slowly). */
  headersMs?: number;
  /** Longest silence between two body chunks (default 60 s). */
  bodyIdleMs?: number;
}

export interface TransportOptions {
  pool?: PoolOptions;
  timeouts?: TimeoutOptions;
  /** Called with every decompressed body chunk's size (transfer counters). */
  onBytes?: (bytes: number) => void;
}

export interface Transport {
  send: Send;
  close(): Promise<void>;
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    headers[key.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/**
 * Wraps the raw body in a decompressor for `Content-Encoding: gzip|deflate` and, when asked, a
 * byte counter after it (counters report decompressed bytes).
 */
export function decompressBody(
  body: Readable,
  contentEncoding: string | undefined,
  onBytes?: (bytes: number) => void,
): Readable {
  const encoding = contentEncoding?.trim().toLowerCase();
  const stages: NodeJS.ReadWriteStream[] = [];
  if (encoding === "gzip" || encoding === "x-gzip") stages.push(createGunzip());
  else if (encoding === "deflate") stages.push(createInflate());
  else if (encoding && encoding !== "identity") {
    body.destroy();
    throw new Error(`Unsupported Content-Encoding "${contentEncoding}"`);
  }
  if (onBytes) {
    stages.push(
      new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          onBytes(chunk.length);
          callback(null, chunk);
        },
      }),
    );
  }
  if (stages.length === 0) return body;
  // pipeline forwards a cut-off source as an error on the last stage, which the reader sees.
  return pipeline([body, ...stages], () => {}) as unknown as Readable;
}

export function createTransport(options: TransportOptions = {}): Transport {
  const pool = options.pool ?? {};
  const timeouts = options.timeouts ?? {};
  const agent = new Agent({
    connections: pool.connections ?? 64,
    keepAliveTimeout: pool.keepAliveTimeoutMs ?? 30_000,
    connect: { timeout: pool.connectTimeoutMs ?? 10_000 },
    headersTimeout: timeouts.headersMs ?? 120_000,
    bodyTimeout: timeouts.bodyIdleMs ?? 60_000,
  });
  const onBytes = options.onBytes;

  const send: Send = async (request: HttpRequest): Promise<HttpResponse> => {
    let response: HttpResponse | undefined;
    try {
      const result = await agent.request({
        origin: request.url.origin,
        path: `${request.url.pathname}${request.url.search}`,
        method: request.method,
        headers: { "accept-encoding": "gzip", ...request.headers },
        body: request.body,
        signal: request.signal,
        headersTimeout: request.headersTimeoutMs ?? timeouts.headersMs ?? 120_000,
        bodyTimeout: request.bodyTimeoutMs ?? timeouts.bodyIdleMs ?? 60_000,
      });
      const headers = flattenHeaders(result.headers);
      response = {
        status: result.statusCode,
        headers,
        requestId: request.requestId,
        activityId: headers["ms-dyn-aid"],
      };
      const body = decompressBody(result.body as unknown as Readable, headers["content-encoding"], onBytes);
      if (request.responseType === "stream" && result.statusCode >= 200 && result.statusCode < 300) {
        response.stream = body;
        return response;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      response.buffer = Buffer.concat(chunks);
      return response;
    } catch (error) {
      throw transportError(request, error, response);
    }
  };

  return { send, close: () => agent.close() };
}
