/**
 * Label texts per version and language: one store pass for any number of ids, then only the misses
 * are fetched from the environment (bulk when the source can, else a bounded pool of single
 * requests), stored with `storeFetchedLabels` and returned. Ids the environment does not know are
 * remembered for the version and language, so they are not asked for again by this process.
 *
 * A read never writes into a complete, shared version's content: a fetched miss needs no sync
 * lease and changes nothing another reader has cached (search results, counts, content hash).
 */
import { type Logger, silentLogger } from "../logging.js";
import type { Label } from "../metadata/models.js";
import type { MetadataStore } from "../store/types.js";
import type { LookupCounter } from "./statistics.js";

/** How label misses reach the environment (MetadataApiClient implements it). */
export interface LabelFetcher {
  getLabel(id: string, language: string, options?: { signal?: AbortSignal }): Promise<Label | null>;
  getLabels?(
    ids: readonly string[],
    language: string,
    options?: { signal?: AbortSignal },
  ): Promise<Iterable<Label | null | undefined> | Map<string, Label | string | null | undefined>>;
}

export interface LabelResolverOptions {
  store: MetadataStore;
  fetcher?: LabelFetcher;
  counter: LookupCounter;
  concurrency: number;
  logger?: Logger;
}

/** Collects the texts a bulk answer carries, whatever of its documented shapes it uses. */
function bulkTexts(
  answer: Iterable<Label | null | undefined> | Map<string, Label | string | null | undefined>,
): Map<string, string> {
  const texts = new Map<string, string>();
  if (answer instanceof Map) {
    for (const [id, value] of answer) {
      if (typeof value === "string") texts.set(id, value);
      else if (value && typeof value.value === "string") texts.set(id, value.value);
    }
    return texts;
  }
  for (const label of answer) if (label && typeof label.value === "string") texts.set(label.id, label.value);
  return texts;
}

export interface ResolveOptions {
  signal?: AbortSignal;
  /**
   * Called instead of throwing when fetching misses fails (the texts found locally are returned).
   * Views use it: an entity read from the store should not fail because a label fetch did.
   */
  onFetchError?: (error: unknown) => void;
  /** Answer from the store only: misses stay absent and are neither fetched nor remembered as unknown. */
  localOnly?: boolean;
}

/**
 * Texts already read from the store, per version and language. Label texts of a version never
 * change once stored (an upgrade is a new version), so a long-lived process (an AI assistant's
 * server) answers repeated label lookups from memory; a one-shot command pays nothing up front.
 */
const MAX_MEMO_ENTRIES_PER_KEY = 200_000;

export class LabelResolver {
  private readonly unknown = new Map<string, Set<string>>();
  private readonly memo = new Map<string, Map<string, string>>();
  private readonly logger: Logger;

  constructor(private readonly options: LabelResolverOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  /** Forgets remembered unknown ids and texts (after a sync, the environment may know more). */
  forgetUnknown(): void {
    this.unknown.clear();
    this.memo.clear();
  }

  private remember(key: string, texts: Map<string, string>): void {
    let memo = this.memo.get(key);
    if (!memo) {
      memo = new Map();
      this.memo.set(key, memo);
    }
    if (memo.size + texts.size > MAX_MEMO_ENTRIES_PER_KEY) memo.clear();
    for (const [id, text] of texts) memo.set(id, text);
  }

  /**
   * Texts for `ids` in `language` (as the service spells it, e.g. `en-US`), for version
   * `versionId`. Ids without a text anywhere are absent from the map.
   */
  async resolve(
    versionId: number,
    ids: readonly string[],
    language: string,
    options: ResolveOptions = {},
  ): Promise<Map<string, string>> {
    const { store, counter } = this.options;
    const unique = [...new Set(ids.filter((id) => typeof id === "string" && id.length > 0))];
    if (unique.length === 0) return new Map();
    const storeLanguage = language.toLowerCase();
    const unknownKey = `${versionId}\u0000${storeLanguage}`;
    const memo = this.memo.get(unknownKey);
    const found = new Map<string, string>();
    const notInMemory: string[] = [];
    for (const id of unique) {
      const text = memo?.get(id);
      if (text === undefined) notInMemory.push(id);
      else found.set(id, text);
    }
    if (notInMemory.length > 0) {
      const stored = await store.getLabels(versionId, notInMemory, storeLanguage);
      this.remember(unknownKey, stored);
      for (const [id, text] of stored) found.set(id, text);
    }
    counter.localHits += found.size;
    if (found.size === unique.length || options.localOnly) return found;

    let known = this.unknown.get(unknownKey);
    const misses: string[] = [];
    for (const id of unique) {
      if (found.has(id)) continue;
      if (known?.has(id)) counter.notFound++;
      else misses.push(id);
    }
    if (misses.length === 0 || !this.options.fetcher) {
      if (!this.options.fetcher) counter.notFound += misses.length;
      return found;
    }

    let fetched: Map<string, string>;
    try {
      fetched = await this.fetch(misses, language, options.signal);
    } catch (error) {
      if (!options.onFetchError) throw error;
      // Misses stay unresolved (and are not remembered as unknown): the environment may answer later.
      options.onFetchError(error);
      this.logger.warn(
        { err: error, versionId, language, misses: misses.length },
        "label misses not fetched",
      );
      return found;
    }
    const labels: Label[] = [];
    for (const id of misses) {
      const text = fetched.get(id);
      if (text === undefined) {
        counter.notFound++;
        if (!known) {
          known = new Set();
          this.unknown.set(unknownKey, known);
        }
        known.add(id);
        continue;
      }
      counter.fetched++;
      found.set(id, text);
      labels.push({ id, language: storeLanguage, value: text });
    }
    if (labels.length > 0) {
      await store.storeFetchedLabels(versionId, labels);
      this.remember(unknownKey, new Map(labels.map((l) => [l.id, l.value])));
    }
    this.logger.debug({ versionId, language, misses: misses.length, fetched: labels.length }, "label misses");
    return found;
  }

  private async fetch(
    ids: readonly string[],
    language: string,
    signal?: AbortSignal,
  ): Promise<Map<string, string>> {
    const fetcher = this.options.fetcher!;
    if (fetcher.getLabels && ids.length > 1) {
      return bulkTexts(await fetcher.getLabels(ids, language, { signal }));
    }
    const texts = new Map<string, string>();
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++];
        const label = await fetcher.getLabel(id, language, { signal });
        if (label && typeof label.value === "string") texts.set(id, label.value);
      }
    };
    const workers = Math.min(this.options.concurrency, ids.length);
    await Promise.all(Array.from({ length: workers }, worker));
    return texts;
  }
}
