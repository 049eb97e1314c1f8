/**
 * Label resolution. The Metadata service has no batch label endpoint, so every label is one GET.
 * We hand the HTTP client many requests at once and let its adaptive limiter decide how many are
 * really on the wire (it backs off on 429s), and store results in chunks as they arrive.
 */
import type { Label } from "../metadata/models.js";
import type { MetadataSource } from "../metadata/source.js";
import type { BulkLabelSource } from "./types.js";

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

/**
 * Resolves ids through the client's own bulk method when it has one, in slices so results are
 * stored as they come; two slices run at once so the limiter always has queued work.
 */
export async function fetchLabelsBulk(
  source: BulkLabelSource,
  ids: readonly string[],
  options: LabelFetchOptions & { sliceSize: number },
): Promise<LabelFetchResult> {
  let fetched = 0;
  let notFound = 0;
  let cursor = 0;
  let writes: Promise<void> = Promise.resolve();
  const runSlices = async () => {
    while (cursor < ids.length) {
      if (options.signal.aborted) throw options.signal.reason;
      const slice = ids.slice(cursor, cursor + options.sliceSize);
      cursor += slice.length;
      const answer = await source.getLabels(slice, options.language, { signal: options.signal });
      const labels = normaliseBulkAnswer(answer, slice, options.language);
      fetched += labels.length;
      const missing = slice.length - labels.length;
      notFound += missing;
      for (let i = 0; i < labels.length || (i === 0 && missing > 0); i += options.chunkSize) {
        const chunk = labels.slice(i, i + options.chunkSize);
        const chunkMissing = i === 0 ? missing : 0;
        writes = writes.then(() => options.onChunk(chunk, chunkMissing));
      }
      await writes;
    }
  };
  await Promise.all([runSlices(), runSlices()]);
  await writes;
  return { fetched, notFound };
}

function normaliseBulkAnswer(
  answer: Iterable<Label | null | undefined> | Map<string, Label | string | null | undefined>,
  askedIds: readonly string[],
  language: string,
): Label[] {
  const labels: Label[] = [];
  if (answer instanceof Map) {
    for (const id of askedIds) {
      const entry = answer.get(id);
      if (entry === null || entry === undefined) continue;
      if (typeof entry === "string") labels.push({ id, language, value: entry });
      else labels.push({ id, language: entry.language || language, value: entry.value });
    }
    return labels;
  }
  for (const entry of answer) {
    if (entry) labels.push({ id: entry.id, language: entry.language || language, value: entry.value });
  }
  return labels;
}
