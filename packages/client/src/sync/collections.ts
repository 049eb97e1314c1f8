/**
 * Streaming helpers for the metadata collections: fixed-size chunks out of an async stream, and
 * public entities fetched in `$top`/`$skip` windows with a bounded read-ahead.
 */
import { setMaxListeners } from "node:events";
import type { PublicEntity } from "../metadata/models.js";
import type { MetadataSource } from "../metadata/source.js";

/** Groups a stream into arrays of at most `size` items, holding no more than one chunk. */
export async function* chunksOf<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let chunk: T[] = [];
  for await (const item of items) {
    chunk.push(item);
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** Splits an array into slices of at most `size`. */
export function slices<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface WindowOptions {
  /** Items already stored: the first window starts here. */
  startSkip: number;
  windowSize: number;
  /** Windows requested ahead of the consumer (>= 1). */
  inFlight: number;
  signal: AbortSignal;
}

/**
 * Yields public entities window by window, in collection order, starting at `startSkip`. Up to
 * `inFlight` windows are being downloaded while the consumer stores the current one, so the
 * server's latency, not our writes, paces the phase; memory stays bounded by `inFlight` windows.
 * The collection ends at the first window shorter than `windowSize`.
 */
export async function* publicEntityWindows(
  source: Pick<MetadataSource, "publicEntities">,
  options: WindowOptions,
): AsyncGenerator<{ skip: number; entities: PublicEntity[] }> {
  const { windowSize, signal } = options;
  const inFlight = Math.max(1, options.inFlight);
  const local = new AbortController();
  const combined = AbortSignal.any([signal, local.signal]);
  setMaxListeners(0, combined);
  const fetchWindow = async (skip: number): Promise<PublicEntity[]> => {
    const entities: PublicEntity[] = [];
    for await (const entity of source.publicEntities({ top: windowSize, skip, signal: combined })) {
      entities.push(entity);
    }
    return entities;
  };
  const pending: { skip: number; result: Promise<PublicEntity[]> }[] = [];
  let nextSkip = options.startSkip;
  const schedule = () => {
    const result = fetchWindow(nextSkip);
    // Windows abandoned after the end (or after a failure) must not surface as unhandled rejections.
    result.catch(() => {});
    pending.push({ skip: nextSkip, result });
    nextSkip += windowSize;
  };
  try {
    for (let i = 0; i < inFlight; i++) schedule();
    while (pending.length > 0) {
      const head = pending.shift()!;
      const entities = await head.result;
      if (entities.length > 0) yield { skip: head.skip, entities };
      if (entities.length < windowSize) return;
      schedule();
    }
  } finally {
    local.abort();
  }
}
