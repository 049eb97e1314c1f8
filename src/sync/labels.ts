/**
 * Label resolution. The Metadata service has no batch label endpoint, so every label is one GET.
 * We hand the HTTP client many requests at once and let its adaptive limiter decide how many are
 * really on the wire (it backs off on 429s), and store results in chunks as they arrive.
 */
import type { Label } from "../metadata/models.js";
import type { MetadataSource } from "../metadata/source.js";

export interface LabelFetchOptions {
  language: string;
  signal: AbortSignal;
  /** Requests handed to the client at once. */
  concurrency: number;
  /** Results per `onChunk` call. */
  chunkSize: number;
  /** Called with every `chunkSize` labels received (and the rest at the end); awaited. */
  onChunk: (labels: Label[], notFound: number) => void | Promise<void>;
}

export interface LabelFetchResult {
  fetched: number;
  notFound: number;
}

/**
 * Resolves `ids` one request each with `concurrency` requests outstanding. A fixed pool of
 * workers pulls ids from a shared cursor, so there is never more than `concurrency` promises and
 * one chunk of results in memory. The first failure stops the pool and is rethrown (labels
 * already handed to `onChunk` stay stored, so a retry resumes from what is missing).
 */
export async function fetchLabels(
  source: Pick<MetadataSource, "getLabel">,
  ids: readonly string[],
  options: LabelFetchOptions,
): Promise<LabelFetchResult> {
  const { language, signal, chunkSize } = options;
  let cursor = 0;
  let fetched = 0;
  let notFound = 0;
  let pendingNotFound = 0;
  let buffer: Label[] = [];
  let failure: unknown;
  let flushing: Promise<void> = Promise.resolve();

  const flush = (force: boolean) => {
    if (buffer.length === 0 && pendingNotFound === 0) return;
    if (!force && buffer.length < chunkSize) return;
    const labels = buffer;
    const missing = pendingNotFound;
    buffer = [];
    pendingNotFound = 0;
    // Writes are serialised so chunks are stored in the order they were filled.
    flushing = flushing.then(() => options.onChunk(labels, missing));
  };

  const worker = async () => {
    while (failure === undefined && cursor < ids.length) {
      if (signal.aborted) throw signal.reason;
      const id = ids[cursor++];
      const label = await source.getLabel(id, language, { signal });
      if (label) {
        // The service echoes the id; keep the id we asked for (ids are case-sensitive).
        buffer.push({ id, language: label.language || language, value: label.value });
        fetched++;
      } else {
        pendingNotFound++;
        notFound++;
      }
      flush(false);
      await flushing;
    }
  };

  const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency, ids.length)) }, () =>
    worker().catch((error: unknown) => {
      failure ??= error;
    }),
  );
  await Promise.all(workers);
  if (failure !== undefined) {
    // Keep what was received before the failure: a resumed sync then skips it.
    flush(true);
    await flushing.catch(() => {});
    throw failure;
  }
  flush(true);
  await flushing;
  return { fetched, notFound };
}
