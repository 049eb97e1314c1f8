/**
 * The innermost `Send`: one undici keep-alive `Agent` per client (one connection pool per
 * origin), gzip / deflate / br negotiated and decompressed here, headers and body-idle timeouts
 * per request, and size limits on what is held in memory (counted after decompression, so a
 * compression bomb is bounded too).
 */
import { pipeline, type Readable, Transform } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { Agent } from "undici";
import { ResponseTooLargeError, UnsupportedEncodingError } from "../errors.js";
import { errorDetails, transportError } from "./errors.js";
import type { HttpRequest, HttpResponse, Send } from "./types.js";

/** What the transport asks for: everything Node's zlib decodes. */
export const ACCEPT_ENCODING = "gzip, deflate, br";

export interface SizeLimits {
  /**
   * Largest 2xx body read whole into memory (default 64 MiB; a single Metadata item or action
   * result is at most a few MiB). Larger answers fail with ResponseTooLargeError.
   */
  maxResponseBytes?: number;
  /**
   * Bytes of a non-2xx body kept for the error (default 64 KiB); the rest is not read. A D365
   * error body is a few KiB; a gateway's HTML page is cut off, not buffered.
   */
  maxErrorBodyBytes?: number;
}

export const DEFAULT_SIZE_LIMITS: Required<SizeLimits> = {
  maxResponseBytes: 64 * 1024 * 1024,
  maxErrorBodyBytes: 64 * 1024,
};

export interface PoolOptions {
  /** Connections per origin (default 64: the limiter, not the pool, decides concurrency). */
  connections?: number;
  /** Idle keep-alive time of a pooled socket (default 30 s). */
  keepAliveTimeoutMs?: number;
  /** Connect timeout (default 5 s: a host that does not accept a connection in 5 s is down). */
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
  limits?: SizeLimits;
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

function decoderFor(encoding: string): NodeJS.ReadWriteStream | undefined {
  switch (encoding) {
    case "gzip":
    case "x-gzip":
      return createGunzip();
    case "deflate":
      return createInflate();
    case "br":
      return createBrotliDecompress();
    default:
      return undefined;
  }
}

/** More layers than this is not an HTTP server but an attack. */
const MAX_ENCODING_LAYERS = 2;

/**
 * The decoders for a `Content-Encoding` list (applied in reverse order of the list, RFC 9110
 * §8.4), or the encoding that cannot be decoded.
 */
export function decodersFor(
  contentEncoding: string | undefined,
): { decoders: NodeJS.ReadWriteStream[] } | { unsupported: string } {
  const codings = (contentEncoding ?? "")
    .split(",")
    .map((part) => part.trim().toLowerCase())
    .filter((part) => part !== "" && part !== "identity");
  if (codings.length > MAX_ENCODING_LAYERS) return { unsupported: contentEncoding ?? "" };
  const decoders: NodeJS.ReadWriteStream[] = [];
  for (const coding of codings.reverse()) {
    const decoder = decoderFor(coding);
    if (!decoder) return { unsupported: coding };
    decoders.push(decoder);
  }
  return { decoders };
}

/**
 * Wraps the raw body in decompressors for its `Content-Encoding` (gzip, deflate, br, or a list
 * of them) and, when asked, a byte counter after them (counters report decompressed bytes).
 * An encoding we cannot decode throws UnsupportedEncodingError; the raw body is discarded with
 * an error listener attached, so no error event goes unhandled.
 */
export function decompressBody(
  body: Readable,
  contentEncoding: string | undefined,
  onBytes?: (bytes: number) => void,
  details?: { method?: string; url?: string; status?: number; requestId?: string },
): Readable {
  const decoding = decodersFor(contentEncoding);
  if ("unsupported" in decoding) {
    body.on("error", () => {});
    body.destroy();
    throw new UnsupportedEncodingError(decoding.unsupported, details);
  }
  const stages: NodeJS.ReadWriteStream[] = [...decoding.decoders];
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
    connect: { timeout: pool.connectTimeoutMs ?? 5_000 },
    headersTimeout: timeouts.headersMs ?? 120_000,
    bodyTimeout: timeouts.bodyIdleMs ?? 60_000,
  });
  const onBytes = options.onBytes;
  const limits = { ...DEFAULT_SIZE_LIMITS, ...options.limits };

  const send: Send = async (request: HttpRequest): Promise<HttpResponse> => {
    let response: HttpResponse | undefined;
    try {
      const result = await agent.request({
        origin: request.url.origin,
        path: `${request.url.pathname}${request.url.search}`,
        method: request.method,
        headers: { "accept-encoding": ACCEPT_ENCODING, ...request.headers },
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
      const body = decompressBody(
        result.body as unknown as Readable,
        headers["content-encoding"],
        onBytes,
        errorDetails(request, response),
      );
      const ok = result.statusCode >= 200 && result.statusCode < 300;
      if (request.responseType === "stream" && ok) {
        response.stream = body;
        return response;
      }
      const limit = ok ? (request.maxResponseBytes ?? limits.maxResponseBytes) : limits.maxErrorBodyBytes;
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of body) {
        const buffer = chunk as Buffer;
        if (size + buffer.length > limit) {
          body.on("error", () => {});
          body.destroy();
          if (ok) {
            throw new ResponseTooLargeError(
              "response",
              limit,
              `${request.method} ${request.url.pathname}`,
              errorDetails(request, response),
            );
          }
          // An error body is evidence, not data: keep its start and stop reading.
          chunks.push(buffer.subarray(0, limit - size));
          response.bodyTruncated = true;
          break;
        }
        size += buffer.length;
        chunks.push(buffer);
      }
      response.buffer = Buffer.concat(chunks);
      return response;
    } catch (error) {
      throw transportError(request, error, response);
    }
  };

  return { send, close: () => agent.close() };
}
