/**
 * Every error the library throws is a `D365Error` with a stable string `code` (safe to switch on,
 * never reworded) and, where one exists, the underlying `cause`. HTTP-originated errors also carry
 * the status, our `x-ms-client-request-id`, the server's `ms-dyn-aid` activity id and the parsed
 * D365 error body, so a failure can be quoted to Microsoft support.
 *
 * Messages never contain secrets or tokens: callers build them from URLs (without query secrets),
 * statuses and server-provided error text only.
 */

/** The D365 OData error envelope: `{"error":{"code","message","innererror":{…}}}`. */
export interface ODataErrorBody {
  error: {
    code?: string;
    message?: string;
    innererror?: { message?: string; type?: string; stacktrace?: string; [key: string]: unknown };
    [key: string]: unknown;
  };
}

/** The ASP.NET Web API error form F&O uses for 401 and some 404s: `{"Message": "…"}`. */
export interface AspNetErrorBody {
  Message: string;
  ExceptionType?: string | null;
  StackTrace?: string | null;
  [key: string]: unknown;
}

export type D365ErrorBody = ODataErrorBody | AspNetErrorBody;

export interface HttpErrorDetails {
  /** HTTP status, when a response was received. */
  status?: number;
  /** The `x-ms-client-request-id` we sent. */
  requestId?: string;
  /** The `ms-dyn-aid` activity id the server answered with. */
  activityId?: string;
  /** HTTP method and URL (query string included, it never carries secrets in this API). */
  method?: string;
  url?: string;
  /** Parsed D365 error body, when the server sent one. */
  body?: D365ErrorBody;
}

export interface D365ErrorOptions extends HttpErrorDetails {
  cause?: unknown;
}

export class D365Error extends Error {
  /** Stable machine-readable code, e.g. `D365_AUTH`. */
  readonly code: string;
  readonly status?: number;
  readonly requestId?: string;
  readonly activityId?: string;
  readonly method?: string;
  readonly url?: string;
  readonly body?: D365ErrorBody;

  constructor(code: string, message: string, options: D365ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status;
    this.requestId = options.requestId;
    this.activityId = options.activityId;
    this.method = options.method;
    this.url = options.url;
    this.body = options.body;
  }

  /** The most specific server-provided message, if any (innererror first, then message). */
  get serverMessage(): string | undefined {
    const body = this.body;
    if (!body) return undefined;
    if ("error" in body && body.error) {
      const error = (body as ODataErrorBody).error;
      return error.innererror?.message || error.message || undefined;
    }
    if ("Message" in body) return (body as AspNetErrorBody).Message;
    return undefined;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      status: this.status,
      requestId: this.requestId,
      activityId: this.activityId,
      method: this.method,
      url: this.url,
      body: this.body,
    };
  }
}

/** 401 / 403, or a credential that could not produce a token. */
export class AuthenticationError extends D365Error {
  constructor(message: string, options?: D365ErrorOptions) {
    super("D365_AUTH", message, options);
  }
}

/** 403 on an otherwise authenticated call (a role-gated action, a user without privileges). */
export class ForbiddenError extends D365Error {
  constructor(message: string, options?: D365ErrorOptions) {
    super("D365_FORBIDDEN", message, options);
  }
}

/** 404: unknown entity set, key, label or route. */
export class NotFoundError extends D365Error {
  constructor(message: string, options?: D365ErrorOptions) {
    super("D365_NOT_FOUND", message, options);
  }
}

/** 400: the server rejected the request (bad query, bad literal). */
export class BadRequestError extends D365Error {
  constructor(message: string, options?: D365ErrorOptions) {
    super("D365_BAD_REQUEST", message, options);
  }
}

/** 429 after every retry was spent. `retryAfterMs` is the server's last advice, when it gave one. */
export class ThrottledError extends D365Error {
  readonly retryAfterMs?: number;
  readonly attempts: number;
  constructor(message: string, options: D365ErrorOptions & { retryAfterMs?: number; attempts: number }) {
    super("D365_THROTTLED", message, options);
    this.retryAfterMs = options.retryAfterMs;
    this.attempts = options.attempts;
  }
}

/** 5xx after retries, or a non-retryable 5xx. */
export class ServerError extends D365Error {
  constructor(message: string, options?: D365ErrorOptions) {
    super("D365_SERVER_ERROR", message, options);
  }
}

/** The request (or reading its body) took longer than the configured timeout. */
export class TimeoutError extends D365Error {
  constructor(message: string, options?: D365ErrorOptions) {
    super("D365_TIMEOUT", message, options);
  }
}

/** Connection refused / reset / DNS failure after retries. */
export class NetworkError extends D365Error {
  constructor(message: string, options?: D365ErrorOptions) {
    super("D365_NETWORK", message, options);
  }
}

/** Malformed or truncated JSON, or an item missing a required field (the message names the item). */
export class ProtocolError extends D365Error {
  constructor(message: string, options?: D365ErrorOptions) {
    super("D365_PROTOCOL", message, options);
  }
}

/** The operation was cancelled through an AbortSignal. */
export class AbortedError extends D365Error {
  constructor(message = "The operation was aborted", options?: D365ErrorOptions) {
    super("D365_ABORTED", message, options);
  }
}

/** Invalid configuration or arguments supplied by the caller. */
export class ConfigurationError extends D365Error {
  constructor(message: string, options?: D365ErrorOptions) {
    super("D365_CONFIG", message, options);
  }
}

/** The environment's installed modules could not be determined. */
export class VersionDetectionError extends D365Error {
  constructor(message: string, options?: D365ErrorOptions) {
    super("D365_VERSION_DETECTION", message, options);
  }
}

/** A local cache / database problem (corrupt file, schema written by a newer version, I/O). */
export class CacheError extends D365Error {
  constructor(message: string, options?: D365ErrorOptions & { code?: string }) {
    super(options?.code ?? "D365_CACHE", message, options);
  }
}

/** The cache file was written by a newer schema than this library understands. */
export class SchemaTooNewError extends CacheError {
  readonly found: number;
  readonly supported: number;
  constructor(found: number, supported: number, location: string) {
    super(
      `Metadata cache ${location} has schema version ${found}, newer than the ${supported} this version of d365fo-client supports; upgrade d365fo-client or use another cache directory`,
      { code: "D365_CACHE_SCHEMA_TOO_NEW" },
    );
    this.found = found;
    this.supported = supported;
  }
}

/** Another process is syncing the same version and the caller asked not to wait. */
export class SyncInProgressError extends D365Error {
  constructor(message: string, options?: D365ErrorOptions) {
    super("D365_SYNC_IN_PROGRESS", message, options);
  }
}

/** No synced metadata is available for the environment yet (call syncIfNeeded first). */
export class NotSyncedError extends D365Error {
  constructor(message: string, options?: D365ErrorOptions) {
    super("D365_NOT_SYNCED", message, options);
  }
}

export function isD365Error(value: unknown): value is D365Error {
  return value instanceof D365Error;
}
