/**
 * `HttpClient`: one environment's HTTP stack. The concerns, outermost first:
 * headers (request id, OData) → retry → reachability (fail fast when the host refuses connections)
 * → auth (bearer, 401 refresh) → limiter → observe → transport.
 * JSON helpers turn non-2xx answers into the typed errors of src/errors.ts; `streamCollection`
 * pages through a collection item by item.
 */
import { assertTransportSecurity, normalizeBaseUrl } from "../auth/config.js";
import {
  AbortedError,
  D365Error,
  EndlessPagingError,
  ProtocolError,
  ResponseTooLargeError,
} from "../errors.js";
import { type Logger, silentLogger } from "../logging.js";
import type { TransferCounters } from "../metadata/source.js";
import { authMiddleware, type BearerTokenSource } from "./auth.js";
import { errorDetails, errorForResponse, isTransportFailure, transportError } from "./errors.js";
import { headersMiddleware } from "./headers.js";
import { AdaptiveLimiter, type LimiterOptions, type LimiterState, limiterMiddleware } from "./limiter.js";
import { sharedLimiter } from "./limiter-registry.js";
import { type MutableCounters, observeMiddleware } from "./observe.js";
import { type ReachabilityOptions, ReachabilityTracker, reachabilityMiddleware } from "./reachability.js";
import {
  backoffDelay,
  type ResolvedRetryOptions,
  type RetryOptions,
  resolveRetryOptions,
  retryMiddleware,
} from "./retry.js";
import {
  type CollectionAnnotations,
  CollectionParseError,
  DEFAULT_MAX_ITEM_BYTES,
  streamCollectionItems,
} from "./stream-json.js";
import {
  createTransport,
  type PoolOptions,
  type SizeLimits,
  type TimeoutOptions,
  type Transport,
} from "./transport.js";
import {
  compose,
  type HttpMethod,
  type HttpRequest,
  type HttpResponse,
  type Middleware,
  type Send,
} from "./types.js";

export interface HttpOptions {
  timeouts?: TimeoutOptions;
  retry?: RetryOptions;
  /**
   * Without this, the limiter shared by every client of the environment in this process;
   * options give this client a limiter of its own; an instance is used as given.
   */
  limiter?: LimiterOptions | AdaptiveLimiter;
  pool?: PoolOptions;
  /** Bounds on buffered bodies and on single collection items (typed errors beyond them). */
  limits?: HttpLimits;
  /** When a host that refuses connections counts as unreachable; `false` retries every request in full. */
  reachability?: ReachabilityOptions | false;
  /** Allow http:// to a non-loopback host (tokens would travel in clear text). */
  allowInsecureHttp?: boolean;
  userAgent?: string;
  /** Extra concerns placed just outside the transport (tests, tracing). */
  middlewares?: Middleware[];
}

export interface HttpLimits extends SizeLimits {
  /** Largest single item of a streamed collection (default 16 MiB). */
  maxItemBytes?: number;
  /**
   * Pages one collection may have (default 10,000). A nextLink chain longer than this, or one that
   * returns to a page already read or repeats a page's content, fails with EndlessPagingError.
   */
  maxPages?: number;
}

const DEFAULT_MAX_PAGES = 10_000;
/** Empty pages that still carry a nextLink, in a row, before the chain counts as endless. */
const MAX_EMPTY_PAGES = 3;

export interface HttpClientOptions extends HttpOptions {
  baseUrl: string;
  /** Bearer tokens; without one no Authorization header is sent. */
  tokenProvider?: BearerTokenSource;
  logger?: Logger;
}

export interface RequestOptions {
  body?: unknown;
  /** A body sent as is (e.g. a multipart `$batch`); set its `content-type` in `headers`. */
  rawBody?: string;
  /** Resendable after an unknown outcome (default: true for GET, false otherwise). */
  safe?: boolean;
  signal?: AbortSignal;
  responseType?: "buffer" | "stream";
  headers?: Record<string, string>;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  /** Bound of this request's buffered 2xx body (default: the client's `limits.maxResponseBytes`). */
  maxResponseBytes?: number;
}

export interface CollectionStreamOptions {
  signal?: AbortSignal;
  /** Extra request headers for every page (e.g. `prefer: odata.maxpagesize=…`). */
  headers?: Record<string, string>;
  /** Called once per page with its annotations (after the page's last item). */
  onPage?: (page: { url: string; items: number; count?: number; nextLink?: string }) => void;
}

/** A page's identity for repeat detection: its first item (with the count, added by the caller). */
function pageSignature(item: unknown): string {
  try {
    return JSON.stringify(item)?.slice(0, 4096) ?? "";
  } catch {
    return "";
  }
}

export class HttpClient {
  readonly baseUrl: string;
  readonly origin: string;
  readonly limiter: AdaptiveLimiter;
  private readonly transport: Transport;
  private readonly send: Send;
  private readonly retry: ResolvedRetryOptions;
  private readonly logger: Logger;
  private readonly counts: MutableCounters = { requests: 0, bytesReceived: 0, throttled: 0, retries: 0 };
  private readonly tokenProvider?: BearerTokenSource;
  private readonly maxItemBytes: number;
  private readonly maxPages: number;
  /** Closes or releases the limiter when this client closes. */
  private readonly dropLimiter: () => void;
  private closed = false;

  constructor(options: HttpClientOptions) {
    this.baseUrl = normalizeBaseUrl(options.baseUrl);
    assertTransportSecurity(this.baseUrl, options.allowInsecureHttp);
    this.origin = new URL(this.baseUrl).origin;
    this.logger = options.logger ?? silentLogger;
    this.retry = resolveRetryOptions(options.retry);
    // A Retry-After pause obeys the same cap as the retry sleep, so tests can scale both at once.
    const pauses = {
      maxPauseMs: this.retry.retryAfterCapMs,
      defaultPauseMs: Math.min(1_000, this.retry.throttledBaseDelayMs),
    };
    if (options.limiter instanceof AdaptiveLimiter) {
      this.limiter = options.limiter;
      this.dropLimiter = () => {};
    } else if (options.limiter) {
      const own = new AdaptiveLimiter({ ...pauses, ...options.limiter });
      this.limiter = own;
      this.dropLimiter = () => own.close();
    } else {
      const entry = sharedLimiter(`${this.baseUrl}|${pauses.maxPauseMs}|${pauses.defaultPauseMs}`, pauses);
      this.limiter = entry.limiter;
      this.dropLimiter = entry.release;
    }
    this.tokenProvider = options.tokenProvider;
    this.maxItemBytes = options.limits?.maxItemBytes ?? DEFAULT_MAX_ITEM_BYTES;
    this.maxPages = Math.max(1, options.limits?.maxPages ?? DEFAULT_MAX_PAGES);
    this.transport = createTransport({
      pool: options.pool,
      timeouts: options.timeouts,
      limits: options.limits,
      onBytes: (bytes) => {
        this.counts.bytesReceived += bytes;
      },
    });
    const concerns: Middleware[] = [
      headersMiddleware(options.userAgent),
      retryMiddleware(this.retry, (event) => {
        this.counts.retries++;
        this.logger.debug(
          {
            method: event.request.method,
            url: `${event.request.url.pathname}${event.request.url.search}`,
            requestId: event.request.requestId,
            attempt: event.attempt,
            delayMs: event.delayMs,
            reason: event.reason,
          },
          "http retry",
        );
      }),
    ];
    if (options.reachability !== false) {
      concerns.push(reachabilityMiddleware(new ReachabilityTracker(options.reachability)));
    }
    if (options.tokenProvider) concerns.push(authMiddleware(options.tokenProvider, this.origin));
    concerns.push(limiterMiddleware(this.limiter), observeMiddleware(this.counts, this.logger));
    concerns.push(...(options.middlewares ?? []));
    this.send = compose(concerns, this.transport.send);
  }

  /** A path (`/Metadata/…`, resolved against the base URL) or an absolute URL on the same origin. */
  resolve(pathOrUrl: string | URL): URL {
    const url =
      pathOrUrl instanceof URL
        ? pathOrUrl
        : /^https?:\/\//i.test(pathOrUrl)
          ? new URL(pathOrUrl)
          : new URL(`${this.baseUrl}${pathOrUrl.startsWith("/") ? "" : "/"}${pathOrUrl}`);
    if (url.origin !== this.origin) {
      throw new ProtocolError(
        `Refusing a URL on another origin (${url.origin}); the environment is ${this.origin}`,
        {
          url: url.toString(),
        },
      );
    }
    return url;
  }

  /** Sends one request (with every concern) and throws the typed error for a non-2xx answer. */
  async request(
    method: HttpMethod,
    pathOrUrl: string | URL,
    options: RequestOptions = {},
  ): Promise<HttpResponse> {
    const request: HttpRequest = {
      method,
      url: this.resolve(pathOrUrl),
      headers: options.headers ?? {},
      body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
      safe: options.safe ?? method === "GET",
      responseType: options.responseType ?? "buffer",
      signal: options.signal,
      headersTimeoutMs: options.headersTimeoutMs,
      bodyTimeoutMs: options.bodyTimeoutMs,
      maxResponseBytes: options.maxResponseBytes,
    };
    let response: HttpResponse;
    try {
      response = await this.send(request);
    } catch (error) {
      // Aborts surface from several places (limiter queue, retry sleep, undici); one type for all.
      if (options.signal?.aborted && !(error instanceof AbortedError)) {
        throw new AbortedError(`${method} ${request.url.pathname}${request.url.search} was aborted`, {
          method,
          url: request.url.toString(),
          cause: options.signal.reason,
        });
      }
      throw error;
    }
    if (response.status >= 200 && response.status < 300) return response;
    throw errorForResponse(
      { ...request, requestId: response.requestId ?? request.requestId },
      response,
      response.buffer,
      {
        attempts: response.attempts,
        retryAfterMs: response.retryAfterMs,
        credentialKind: this.tokenProvider?.credentialKind,
      },
    );
  }

  /** GET and parse JSON; `undefined` on 404 when `notFoundAsUndefined`. */
  async getJson<T = unknown>(
    pathOrUrl: string | URL,
    options: RequestOptions & { notFoundAsUndefined?: boolean } = {},
  ): Promise<T | undefined> {
    let response: HttpResponse;
    try {
      response = await this.request("GET", pathOrUrl, options);
    } catch (error) {
      if (options.notFoundAsUndefined && error instanceof D365Error && error.status === 404) return undefined;
      throw error;
    }
    return this.parseJson<T>(response, "GET", pathOrUrl);
  }

  /** POST a JSON body; `undefined` for 204 / empty bodies. */
  async postJson<T = unknown>(
    pathOrUrl: string | URL,
    body: unknown,
    options: RequestOptions = {},
  ): Promise<T | undefined> {
    const response = await this.request("POST", pathOrUrl, { ...options, body });
    if (response.status === 204) return undefined;
    return this.parseJson<T>(response, "POST", pathOrUrl);
  }

  private parseJson<T>(response: HttpResponse, method: HttpMethod, pathOrUrl: string | URL): T | undefined {
    const buffer = response.buffer ?? Buffer.alloc(0);
    if (buffer.length === 0) return undefined;
    try {
      return JSON.parse(buffer.toString("utf8")) as T;
    } catch (error) {
      const url = this.resolve(pathOrUrl);
      throw new ProtocolError(
        `${method} ${url.pathname}${url.search} returned malformed JSON (${buffer.length} bytes)`,
        {
          method,
          url: url.toString(),
          status: response.status,
          requestId: response.requestId,
          activityId: response.activityId,
          cause: error,
        },
      );
    }
  }

  /**
   * Streams the items of a collection, following `@odata.nextLink`s (only on this origin: the
   * token must never go elsewhere). A page cut off part-way is requested again and its
   * already-delivered items skipped: Metadata pages are deterministic for a release.
   *
   * A hostile or broken server cannot keep it reading forever: a nextLink back to a page already
   * read, a page whose content repeats the previous one, a run of empty pages that still link on,
   * or more pages than `limits.maxPages` all end it with EndlessPagingError.
   */
  async *streamCollection(
    pathOrUrl: string | URL,
    options: CollectionStreamOptions = {},
  ): AsyncGenerator<unknown> {
    let url = this.resolve(pathOrUrl);
    const first = url;
    const visited = new Set<string>();
    let previousSignature: string | undefined;
    let emptyRun = 0;
    for (let page = 1; ; page++) {
      visited.add(url.toString());
      let delivered = 0;
      let signature = "";
      let annotations: CollectionAnnotations = { sawValue: false };
      for (let attempt = 1; ; attempt++) {
        annotations = { sawValue: false };
        const response = await this.request("GET", url, {
          responseType: "stream",
          signal: options.signal,
          headers: options.headers,
        });
        const stream = response.stream;
        if (!stream)
          throw new ProtocolError(
            `GET ${url.pathname} returned no body`,
            errorDetails({ method: "GET", url } as HttpRequest, response),
          );
        let seen = 0;
        try {
          for await (const item of streamCollectionItems(stream, annotations, {
            maxItemBytes: this.maxItemBytes,
          })) {
            seen++;
            if (seen <= delivered) continue;
            delivered++;
            if (delivered === 1) signature = pageSignature(item);
            yield item;
          }
          break;
        } catch (error) {
          const failure = this.bodyFailure(error, url, response, options.signal);
          const retryable =
            (isTransportFailure(failure) || (error instanceof CollectionParseError && error.truncated)) &&
            attempt < this.retry.maxAttempts &&
            !options.signal?.aborted;
          if (!retryable) throw failure;
          this.counts.retries++;
          const delayMs = backoffDelay(
            attempt - 1,
            this.retry.baseDelayMs,
            this.retry.maxDelayMs,
            this.retry.random,
          );
          this.logger.debug(
            {
              url: `${url.pathname}${url.search}`,
              requestId: response.requestId,
              attempt,
              delayMs,
              delivered,
              reason: failure.code,
            },
            "collection page cut off; resuming",
          );
          await this.retry.sleep(delayMs, options.signal).catch((reason: unknown) => {
            throw new AbortedError(`GET ${url.pathname}${url.search} was aborted`, { cause: reason });
          });
        } finally {
          if (!stream.destroyed) stream.destroy();
        }
      }
      if (!annotations.sawValue) {
        throw new ProtocolError(
          `GET ${url.pathname}${url.search} did not return a collection (no "value" array)`,
          {
            method: "GET",
            url: url.toString(),
          },
        );
      }
      options.onPage?.({
        url: url.toString(),
        items: delivered,
        count: annotations.count,
        nextLink: annotations.nextLink,
      });
      if (!annotations.nextLink) return;
      const next = this.nextLinkUrl(annotations.nextLink, url);
      const endless = (reason: "repeat" | "page-cap", why: string) =>
        new EndlessPagingError(
          `GET ${first.pathname}${first.search}: ${why} after ${page} page(s); stopped`,
          {
            method: "GET",
            url: next.toString(),
            pages: page,
            reason,
          },
        );
      if (visited.has(next.toString()))
        throw endless("repeat", "the nextLink points back to a page already read");
      signature = `${delivered}:${signature}`;
      if (delivered > 0 && signature === previousSignature) {
        throw endless("repeat", "a page repeats the previous page's items under a new nextLink");
      }
      emptyRun = delivered === 0 ? emptyRun + 1 : 0;
      if (emptyRun >= MAX_EMPTY_PAGES)
        throw endless("repeat", `${emptyRun} empty pages in a row still link on`);
      if (page >= this.maxPages)
        throw endless("page-cap", `the collection goes on past the ${this.maxPages}-page cap`);
      previousSignature = signature;
      url = next;
    }
  }

  private nextLinkUrl(nextLink: string, current: URL): URL {
    let next: URL;
    try {
      next = new URL(nextLink, current);
    } catch (error) {
      throw new ProtocolError(`Malformed @odata.nextLink ${JSON.stringify(nextLink.slice(0, 200))}`, {
        cause: error,
      });
    }
    if (next.origin !== this.origin) {
      throw new ProtocolError(
        `Refusing @odata.nextLink to another origin (${next.origin}); the environment is ${this.origin}`,
        { method: "GET", url: current.toString() },
      );
    }
    return next;
  }

  private bodyFailure(error: unknown, url: URL, response: HttpResponse, signal?: AbortSignal): D365Error {
    const request = { method: "GET", url, requestId: response.requestId, signal } as HttpRequest;
    if (error instanceof ResponseTooLargeError && error.url === undefined) {
      return new ResponseTooLargeError(error.kind, error.limit, `GET ${url.pathname}${url.search}`, {
        ...errorDetails(request, response),
        unit: error.unit,
      });
    }
    if (error instanceof CollectionParseError) {
      return new ProtocolError(`GET ${url.pathname}${url.search}: ${error.message}`, {
        ...errorDetails(request, response),
        cause: error,
      });
    }
    return transportError(request, error, response);
  }

  counters(): TransferCounters {
    return { ...this.counts };
  }

  limiterState(): LimiterState {
    return this.limiter.state();
  }

  /** Closes the connection pool; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.dropLimiter();
    await this.transport.close();
  }
}
