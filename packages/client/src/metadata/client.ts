/**
 * `MetadataApiClient`: the D365 F&O Metadata service (`/Metadata/*`) and the read-only version
 * actions over one `HttpClient`. Collections are streamed and parsed item by item; single items
 * answer `undefined`/`null` on 404; labels go through the environment's adaptive limiter.
 */
import type { TokenCredential } from "@azure/identity";
import { createCredential, normalizeBaseUrl } from "../auth/config.js";
import { TokenProvider } from "../auth/token-provider.js";
import { AbortedError, ConfigurationError, ProtocolError } from "../errors.js";
import type { BearerTokenSource } from "../http/auth.js";
import { HttpClient, type HttpOptions } from "../http/client.js";
import type { LimiterState } from "../http/limiter.js";
import type { Logger } from "../logging.js";
import type { DataEntity, Enumeration, Label, PublicEntity } from "./models.js";
import {
  assertIdentifier,
  buildDataEntityFilter,
  buildQuery,
  type DataEntitySearch,
  encodePathSegment,
  formatKey,
  type KeyValue,
  stringLiteral,
} from "./odata-url.js";
import {
  type ItemContext,
  parseDataEntity,
  parseEnumeration,
  parseLabel,
  parsePublicEntity,
  unwrapActionValue,
} from "./parse.js";
import type {
  CollectionRequestOptions,
  MetadataSource,
  ThrottlingSnapshot,
  TransferCounters,
} from "./source.js";
import { DATA_ENTITIES_NAMESPACE } from "./wire.js";

export interface MetadataApiClientOptions {
  baseUrl: string;
  /** Any @azure/identity credential; wrapped in a caching TokenProvider. */
  credential?: TokenCredential;
  /** A ready token source (takes precedence over `credential`). */
  tokenProvider?: BearerTokenSource;
  /** Without `credential` or `tokenProvider`: DefaultAzureCredential, or no auth when `anonymous`. */
  anonymous?: boolean;
  http?: HttpOptions;
  logger?: Logger;
}

export interface ActionOptions {
  /** Entity key for an instance-bound action: a record of key fields, or a bare single key string. */
  key?: Record<string, KeyValue> | string;
  /** The action is read-only, so it may be resent after an unknown outcome. */
  safe?: boolean;
  signal?: AbortSignal;
}

export interface LabelBatchOptions {
  /** Workers issuing requests (default 64); the adaptive limiter decides how many are in flight. */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

const SYSTEM_NOTIFICATIONS = "SystemNotifications";
/** Room for the longest accepted label text (parse.ts) in UTF-8 JSON, escapes included. */
const MAX_LABEL_RESPONSE_BYTES = 1024 * 1024;
const DATA_MANAGEMENT_ENTITIES = "DataManagementEntities";

export class MetadataApiClient implements MetadataSource {
  readonly baseUrl: string;
  readonly http: HttpClient;

  constructor(options: MetadataApiClientOptions) {
    this.baseUrl = normalizeBaseUrl(options.baseUrl);
    let tokens: BearerTokenSource | undefined = options.tokenProvider;
    if (!tokens && options.credential) tokens = new TokenProvider(options.credential, this.baseUrl);
    if (!tokens && !options.anonymous) {
      tokens = new TokenProvider(createCredential({ baseUrl: this.baseUrl }), this.baseUrl);
    }
    this.http = new HttpClient({
      ...options.http,
      baseUrl: this.baseUrl,
      tokenProvider: tokens,
      logger: options.logger,
    });
  }

  // Collections ---------------------------------------------------------------------------------

  dataEntities(options: CollectionRequestOptions = {}): AsyncIterable<DataEntity> {
    return this.collection("DataEntities", options, parseDataEntity);
  }

  publicEntities(options: CollectionRequestOptions = {}): AsyncIterable<PublicEntity> {
    return this.collection("PublicEntities", options, parsePublicEntity);
  }

  enumerations(options: CollectionRequestOptions = {}): AsyncIterable<Enumeration> {
    return this.collection("PublicEnumerations", options, parseEnumeration);
  }

  private async *collection<T>(
    name: string,
    options: CollectionRequestOptions,
    parse: (item: unknown, ctx: ItemContext) => T,
  ): AsyncGenerator<T> {
    const query = buildQuery({
      filter: options.filter,
      select: options.select,
      top: options.top,
      skip: options.skip,
    });
    let index = options.skip ?? 0;
    for await (const item of this.http.streamCollection(`/Metadata/${name}${query}`, {
      signal: options.signal,
    })) {
      yield parse(item, { collection: name, index: index++ });
    }
  }

  /** DataEntities matching a search, with the `$filter` forms the Metadata service accepts. */
  async searchDataEntities(
    search: DataEntitySearch,
    options: { signal?: AbortSignal } = {},
  ): Promise<DataEntity[]> {
    const out: DataEntity[] = [];
    for await (const entity of this.dataEntities({
      filter: buildDataEntityFilter(search),
      signal: options.signal,
    })) {
      out.push(entity);
    }
    return out;
  }

  // Single items --------------------------------------------------------------------------------

  getDataEntity(name: string, options: { signal?: AbortSignal } = {}): Promise<DataEntity | undefined> {
    return this.single("DataEntities", name, options.signal, parseDataEntity);
  }

  getPublicEntity(name: string, options: { signal?: AbortSignal } = {}): Promise<PublicEntity | undefined> {
    return this.single("PublicEntities", name, options.signal, parsePublicEntity);
  }

  getEnumeration(name: string, options: { signal?: AbortSignal } = {}): Promise<Enumeration | undefined> {
    return this.single("PublicEnumerations", name, options.signal, parseEnumeration);
  }

  private async single<T>(
    collection: string,
    name: string,
    signal: AbortSignal | undefined,
    parse: (item: unknown, ctx: ItemContext) => T,
  ): Promise<T | undefined> {
    if (typeof name !== "string" || name === "")
      throw new ConfigurationError(`${collection} name must be a non-empty string`);
    const body = await this.http.getJson(`/Metadata/${collection}${encodePathSegment(formatKey(name))}`, {
      signal,
      notFoundAsUndefined: true,
    });
    if (body === undefined) return undefined;
    return parse(body, { collection });
  }

  // Labels --------------------------------------------------------------------------------------

  /** One label; `null` when the service answers 404 (unknown id or language). */
  async getLabel(
    id: string,
    language: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<Label | null> {
    if (!id || !language) throw new ConfigurationError("getLabel needs a label id and a language");
    const key = `(Id=${stringLiteral(id)},Language=${stringLiteral(language)})`;
    const body = await this.http.getJson(`/Metadata/Labels${encodePathSegment(key)}`, {
      signal: options.signal,
      notFoundAsUndefined: true,
      // A label answer is a few hundred bytes; do not buffer 50 MB to find out it is not a label.
      maxResponseBytes: MAX_LABEL_RESPONSE_BYTES,
    });
    if (body === undefined) return null;
    return parseLabel(body, { id, language });
  }

  /**
   * Many labels, one request each (the service has no batch form), through the adaptive limiter.
   * The map holds every requested id: the label, or `null` when the service has none.
   */
  async getLabels(
    ids: Iterable<string>,
    language: string,
    options: LabelBatchOptions = {},
  ): Promise<Map<string, Label | null>> {
    const unique = [...new Set(ids)];
    const results = new Map<string, Label | null>();
    const workers = Math.max(1, Math.min(options.concurrency ?? 64, unique.length));
    let next = 0;
    let done = 0;
    let failure: unknown;
    const worker = async () => {
      while (failure === undefined && next < unique.length) {
        if (options.signal?.aborted) throw new AbortedError("Label resolution was aborted");
        const id = unique[next++];
        try {
          results.set(id, await this.getLabel(id, language, { signal: options.signal }));
        } catch (error) {
          failure ??= error;
          return;
        }
        done++;
        options.onProgress?.(done, unique.length);
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
    if (failure !== undefined) throw failure;
    return results;
  }

  // Actions -------------------------------------------------------------------------------------

  /**
   * POST `/data/<Set>[(<keys>)]/Microsoft.Dynamics.DataEntities.<Action>`. Returns `undefined` for
   * 204, the `value` of a primitive or collection result, or the entity object otherwise.
   */
  async callAction(
    entitySet: string,
    action: string,
    params: Record<string, unknown> = {},
    options: ActionOptions = {},
  ): Promise<unknown> {
    assertIdentifier(entitySet, "entity set name");
    assertIdentifier(action, "action name");
    const key = options.key === undefined ? "" : encodePathSegment(formatKey(options.key));
    const path = `/data/${entitySet}${key}/${DATA_ENTITIES_NAMESPACE}.${action}`;
    const body = await this.http.postJson(path, params, {
      safe: options.safe ?? false,
      signal: options.signal,
    });
    if (body === undefined) return undefined;
    if (body && typeof body === "object" && !Array.isArray(body) && "value" in body)
      return unwrapActionValue(body);
    if (body && typeof body === "object" && !Array.isArray(body)) {
      const { "@odata.context": _context, ...entity } = body as Record<string, unknown>;
      return entity;
    }
    return body;
  }

  /** The raw `GetInstalledModules` lines. */
  async getInstalledModules(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    const value = await this.callAction(
      SYSTEM_NOTIFICATIONS,
      "GetInstalledModules",
      {},
      { safe: true, ...options },
    );
    if (!Array.isArray(value)) {
      throw new ProtocolError(
        `GetInstalledModules returned ${value === undefined ? "no body" : typeof value} instead of a collection of strings`,
      );
    }
    return value.filter((line): line is string => typeof line === "string");
  }

  getApplicationVersion(options: { signal?: AbortSignal } = {}): Promise<string | null> {
    return this.versionString("GetApplicationVersion", options.signal);
  }

  getApplicationBuildVersion(options: { signal?: AbortSignal } = {}): Promise<string | null> {
    return this.versionString("GetApplicationBuildVersion", options.signal);
  }

  getPlatformBuildVersion(options: { signal?: AbortSignal } = {}): Promise<string | null> {
    return this.versionString("GetPlatformBuildVersion", options.signal);
  }

  private async versionString(action: string, signal?: AbortSignal): Promise<string | null> {
    const value = await this.callAction(DATA_MANAGEMENT_ENTITIES, action, {}, { safe: true, signal });
    if (value === undefined || value === null) return null;
    if (typeof value === "string") return value.trim() === "" ? null : value.trim();
    if (typeof value === "number") return String(value);
    throw new ProtocolError(
      `${action} returned a ${Array.isArray(value) ? "collection" : typeof value}, not a string`,
    );
  }

  // Housekeeping --------------------------------------------------------------------------------

  counters(): TransferCounters {
    return this.http.counters();
  }

  limiterState(): LimiterState {
    return this.http.limiterState();
  }

  throttling(): ThrottlingSnapshot {
    const state = this.http.limiterState();
    return {
      inFlight: state.inFlight,
      limit: state.limit,
      ceiling: state.ceiling,
      throttled: state.throttled,
      retryAfterWaitMs: state.pausedMs,
    };
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
