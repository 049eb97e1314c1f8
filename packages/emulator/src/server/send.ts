/**
 * Writing response bodies: known-size bodies made of buffers, streamed in ~64 KB writes with
 * backpressure, optionally through gzip, optionally paced (per-MB latency), truncated or stalled
 * (faults). Large collections are never concatenated into one buffer.
 */
import type { ServerResponse } from "node:http";
import { constants, createGzip, type Gzip } from "node:zlib";

export interface ResponseBody {
  /** Uncompressed size in bytes. */
  readonly size: number;
  /** The body's pieces, in order; iterated once. */
  chunks(): Iterable<Buffer>;
}

export function bufferBody(data: Buffer): ResponseBody {
  return { size: data.length, chunks: () => [data] };
}

export function jsonBody(value: unknown): ResponseBody {
  return bufferBody(Buffer.from(JSON.stringify(value)));
}

export const EMPTY_BODY: ResponseBody = bufferBody(Buffer.alloc(0));

export interface SendOptions {
  status: number;
  headers: Record<string, string | number | string[]>;
  body: ResponseBody;
  gzip: boolean;
  /** Pacing: milliseconds per MB of uncompressed body. */
  perMbMs: number;
  /** Cut the connection after this fraction of the body (0..1), or undefined. */
  truncateAt?: number;
  /** Send headers, then nothing for this many ms. */
  stallMs?: number;
  /** Counts bytes actually written to the socket's body (after compression). */
  onBytes: (count: number) => void;
  /** Measured just before headers are written (server-timing). */
  beforeHeaders?: () => Record<string, string | number>;
}

const WRITE_CHUNK = 64 * 1024;
const MB = 1024 * 1024;
// Level 1: gzip is still ~8x smaller on metadata JSON, at a fraction of level 6's CPU time.
const GZIP_LEVEL = 1;

/** Sleeps `ms`, or less if the response is closed meanwhile (the client went away). */
function pause(ms: number, res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off("close", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    res.on("close", done);
  });
}

/** Resolves when `stream` can take more data, or false when the response was closed first. */
function waitDrain(stream: NodeJS.WritableStream, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const onDrain = () => {
      cleanup();
      resolve(true);
    };
    const onClose = () => {
      cleanup();
      resolve(false);
    };
    const cleanup = () => {
      stream.off("drain", onDrain);
      res.off("close", onClose);
    };
    stream.on("drain", onDrain);
    res.on("close", onClose);
  });
}

/** Groups small pieces into writes of about WRITE_CHUNK bytes (one syscall per ~64 KB). */
function* coalesce(chunks: Iterable<Buffer>): Generator<Buffer> {
  let pending: Buffer[] = [];
  let size = 0;
  for (const chunk of chunks) {
    if (chunk.length >= WRITE_CHUNK && size === 0) {
      for (let offset = 0; offset < chunk.length; offset += WRITE_CHUNK) {
        yield chunk.subarray(offset, Math.min(chunk.length, offset + WRITE_CHUNK));
      }
      continue;
    }
    pending.push(chunk);
    size += chunk.length;
    if (size >= WRITE_CHUNK) {
      yield pending.length === 1 ? pending[0] : Buffer.concat(pending, size);
      pending = [];
      size = 0;
    }
  }
  if (size > 0) yield pending.length === 1 ? pending[0] : Buffer.concat(pending, size);
}

export async function sendBody(res: ServerResponse, options: SendOptions): Promise<void> {
  const { body } = options;
  const useGzip = options.gzip && body.size > 0;
  for (const [name, value] of Object.entries(options.headers)) res.setHeader(name, value);
  if (useGzip) {
    res.setHeader("Content-Encoding", "gzip");
    res.setHeader("Vary", "Accept-Encoding");
  } else if (options.status !== 204) {
    // RFC 9110 §8.6: no Content-Length on a 204.
    res.setHeader("Content-Length", body.size);
  }
  if (options.beforeHeaders) {
    for (const [name, value] of Object.entries(options.beforeHeaders())) res.setHeader(name, value);
  }
  res.writeHead(options.status);
  // A paced (slow-link) body still has its headers arrive first.
  if (options.perMbMs > 0) res.flushHeaders();
  if (options.stallMs && options.stallMs > 0) {
    res.flushHeaders();
    await pause(options.stallMs, res);
    if (res.destroyed) return;
  }
  let gzip: Gzip | undefined;
  if (useGzip) {
    gzip = createGzip({ level: GZIP_LEVEL, flush: constants.Z_NO_FLUSH });
    gzip.on("data", (chunk: Buffer) => {
      options.onBytes(chunk.length);
      if (!res.write(chunk)) gzip!.pause();
    });
    res.on("drain", () => gzip!.resume());
    res.on("close", () => gzip!.destroy());
  }
  const sink: NodeJS.WritableStream = gzip ?? res;
  const limit = options.truncateAt === undefined ? body.size : Math.floor(body.size * options.truncateAt);
  const started = Date.now();
  let written = 0;
  for (const chunk of coalesce(body.chunks())) {
    if (res.destroyed) return;
    const piece = written + chunk.length > limit ? chunk.subarray(0, limit - written) : chunk;
    if (options.perMbMs > 0) {
      // Pace so that each piece's last byte leaves when a link of 1 MB per perMbMs would deliver it.
      const ahead = started + ((written + piece.length) / MB) * options.perMbMs - Date.now();
      if (ahead > 1) await pause(ahead, res);
      if (res.destroyed) return;
    }
    if (piece.length > 0) {
      if (!gzip) options.onBytes(piece.length);
      const ok = sink.write(piece);
      written += piece.length;
      if (!ok && !(await waitDrain(sink, res))) return;
    }
    if (written >= limit && options.truncateAt !== undefined) {
      await cutOff(res, gzip);
      return;
    }
  }
  if (options.truncateAt !== undefined) {
    await cutOff(res, gzip);
    return;
  }
  sink.end();
  if (gzip) {
    await new Promise<void>((resolve) => gzip!.once("end", () => resolve()));
    res.end();
  }
}

/** Flushes what was written so far, then drops the connection mid-body. */
async function cutOff(res: ServerResponse, gzip: Gzip | undefined): Promise<void> {
  if (gzip) {
    await new Promise<void>((resolve) => gzip.flush(constants.Z_SYNC_FLUSH, () => resolve()));
    // Let the flushed output reach the socket before it is destroyed.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await new Promise<void>((resolve) => {
    if (res.writableLength === 0) return resolve();
    res.once("drain", () => resolve());
    setTimeout(resolve, 100);
  });
  res.socket?.destroy();
  res.destroy();
}
