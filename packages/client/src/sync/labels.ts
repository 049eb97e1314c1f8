/**
 * Label resolution. The Metadata service has no batch label endpoint, so every label is one GET.
 * We hand the HTTP client many requests at once and let its adaptive limiter decide how many are
 * really on the wire (it backs off on 429s), and store results in chunks as they arrive.
 */
import { ServerError } from "../errors.js";
import type { Label } from "../metadata/models.js";
import type { MetadataSource } from "../metadata/source.js";

/**
 * A 500 on one label is a server-side failure for that label (an X++ exception), not for the
 * environment: it is retried a few times, then the label is left unresolved (not stored, so the
 * next sync asks again) instead of failing the whole sync.
 */
export const LABEL_500_ATTEMPTS = 3;
/** First pause between those attempts (doubled each time). */
const LABEL_500_DELAY_MS = 250;
/**
 * More unresolved labels than this (10, or 1 % of the ids) is not one bad label but a failing
 * environment: the sync fails with the server's error.
 */
export function maxUnresolvedLabels(ids: number): number {
  return Math.max(10, Math.floor(ids / 100));
}

export interface LabelFetchOptions {
  language: string;
  signal: AbortSignal;
  /** Requests handed to the client at once. */
  concurrency: number;
  /** Results per `onChunk` call. */
  chunkSize: number;
  /** Called with every `chunkSize` labels received (and the rest at the end); awaited. */
  onChunk: (labels: Label[], notFound: number) => void | Promise<void>;
  /** Injectable sleep between attempts of a label answered 500 (tests). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface LabelFetchResult {
  fetched: number;
  notFound: number;
  /** Ids the service kept answering 500 for: not stored, asked again by the next sync. */
  unresolved: string[];
}

const defaultSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/** One label, with a 500 retried `LABEL_500_ATTEMPTS` times; `"unresolved"` after that. */
async function labelWithRetries(
  source: Pick<MetadataSource, "getLabel">,
  id: string,
  language: string,
  signal: AbortSignal,
  sleep: (ms: number, signal: AbortSignal) => Promise<void>,
): Promise<Label | null | "unresolved"> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await source.getLabel(id, language, { signal });
    } catch (error) {
      if (!(error instanceof ServerError) || error.status !== 500) throw error;
      if (attempt >= LABEL_500_ATTEMPTS) return "unresolved";
      await sleep(LABEL_500_DELAY_MS * 2 ** (attempt - 1), signal);
    }
  }
}

/**
 * Resolves `ids` one request each with `concurrency` requests outstanding. A fixed pool of
 * workers pulls ids from a shared cursor, so there is never more than `concurrency` promises and
 * one chunk of results in memory. The first failure stops the pool and is rethrown (labels
 * already handed to `onChunk` stay stored, so a retry resumes from what is missing); a label the
 * service answers 500 for is retried and then left unresolved (see LABEL_500_ATTEMPTS), up to
 * `maxUnresolvedLabels`.
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
  const unresolved: string[] = [];
  const maxUnresolved = maxUnresolvedLabels(ids.length);
  const sleep = options.sleep ?? defaultSleep;
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
      const label = await labelWithRetries(source, id, language, signal, sleep);
      if (label === "unresolved") {
        unresolved.push(id);
        if (unresolved.length > maxUnresolved) {
          throw new ServerError(
            `${unresolved.length} labels kept failing with HTTP 500 (more than ${maxUnresolved} of ${ids.length}); the environment is failing, not one label`,
            { status: 500 },
          );
        }
        continue;
      }
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
  return { fetched, notFound, unresolved };
}
