/** The library's error classes, one per registered code (see registry.ts for exit codes and hints). */
import { D365Error, type D365ErrorOptions } from "./base.js";
import type { CacheErrorCode } from "./registry.js";

/** Why authentication failed: each cause has its own fix. */
export type AuthFailureReason =
  /** The credential could not produce a token (wrong secret, unknown client, tenant). */
  | "credential"
  /** The identity provider could not be reached or its TLS certificate is not trusted. */
  | "identity-provider-unreachable"
  /** The environment refused the token (401). */
  | "token-refused";

/** What kind of credential produced the token (for the hint). */
export type CredentialKind = "client-secret" | "access-token" | "default" | "custom";

export interface AuthenticationErrorOptions extends D365ErrorOptions {
  reason?: AuthFailureReason;
  credentialKind?: CredentialKind;
}

/** 401, or a credential that could not produce a token. */
export class AuthenticationError extends D365Error {
  readonly reason?: AuthFailureReason;
  readonly credentialKind?: CredentialKind;
  constructor(message: string, options: AuthenticationErrorOptions = {}) {
    super("D365_AUTH", message, options);
    this.reason = options.reason;
    this.credentialKind = options.credentialKind;
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

/**
 * The environment's host refused or did not answer connections for longer than the client's
 * reachability budget: later requests fail at once instead of each retrying for a minute.
 * Deliberately not a `NetworkError`, so the retry concern does not retry it.
 */
export class EnvironmentUnreachableError extends D365Error {
  /** Connection failures seen, and how long they spanned. */
  readonly failures: number;
  readonly elapsedMs: number;
  constructor(message: string, options: D365ErrorOptions & { failures: number; elapsedMs: number }) {
    super("D365_UNREACHABLE", message, options);
    this.failures = options.failures;
    this.elapsedMs = options.elapsedMs;
  }
}

/** Malformed or truncated JSON, or an item missing a required field (the message names the item). */
export class ProtocolError extends D365Error {
  constructor(message: string, options?: D365ErrorOptions) {
    super("D365_PROTOCOL", message, options);
  }
}

/** A `Content-Encoding` this client cannot decode (it negotiates gzip, deflate and br). */
export class UnsupportedEncodingError extends D365Error {
  readonly encoding: string;
  constructor(encoding: string, options?: D365ErrorOptions) {
    super(
      "D365_UNSUPPORTED_ENCODING",
      `${options?.method ?? "The"} ${options?.url ? `${new URL(options.url).pathname} ` : ""}response has Content-Encoding ${JSON.stringify(encoding.slice(0, 100))}, which this client does not decode (gzip, deflate and br are supported)`,
      options,
    );
    this.encoding = encoding;
  }
}

/** What a size limit bounds. */
export type SizeLimitKind = "response" | "error body" | "item" | "label text";

/** A response, a single item, or a label text larger than any the real service sends. */
export class ResponseTooLargeError extends D365Error {
  readonly kind: SizeLimitKind;
  /** The limit exceeded, in `unit`s. */
  readonly limit: number;
  readonly unit: "bytes" | "characters" | "members";
  constructor(
    kind: SizeLimitKind,
    limit: number,
    what: string,
    options: D365ErrorOptions & { unit?: "bytes" | "characters" | "members" } = {},
  ) {
    const unit = options.unit ?? "bytes";
    super(
      "D365_RESPONSE_TOO_LARGE",
      `${what}: the ${kind} exceeds the limit of ${unit === "bytes" ? formatBytes(limit) : `${limit} ${unit}`}; refused (no Dynamics 365 answer is this large)`,
      options,
    );
    this.kind = kind;
    this.limit = limit;
    this.unit = unit;
  }
}

/** A nextLink chain that repeats a page or goes on past the page cap. */
export class EndlessPagingError extends D365Error {
  readonly pages: number;
  readonly reason: "repeat" | "page-cap";
  constructor(message: string, options: D365ErrorOptions & { pages: number; reason: "repeat" | "page-cap" }) {
    super("D365_ENDLESS_PAGING", message, options);
    this.pages = options.pages;
    this.reason = options.reason;
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
  constructor(
    message: string,
    options?: D365ErrorOptions & { code?: "D365_CONFIG" | "D365_VALIDATION" | "D365_INSECURE_TRANSPORT" },
  ) {
    super(options?.code ?? "D365_CONFIG", message, options);
  }
}

/**
 * Plain http to a host that is not loopback (an environment or an authority host). A
 * ConfigurationError with its own code (and exit code), so existing `instanceof` checks hold.
 */
export class InsecureTransportError extends ConfigurationError {
  constructor(message: string, options?: D365ErrorOptions) {
    super(message, { ...options, code: "D365_INSECURE_TRANSPORT" });
  }
}

/**
 * An argument outside its documented bounds (a search query too long, `limit: 501`, an unknown
 * category). Raised before anything reaches the network or the store; the message names the
 * argument and the accepted range. A ConfigurationError with its own code (exit 2, not 3).
 */
export class ValidationError extends ConfigurationError {
  /** The argument's name, e.g. `limit`. */
  readonly field: string;
  constructor(field: string, message: string, options?: D365ErrorOptions) {
    super(message, { ...options, code: "D365_VALIDATION" });
    this.field = field;
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
  constructor(message: string, options?: D365ErrorOptions & { code?: CacheErrorCode }) {
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

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
  if (bytes >= 1024) return `${Math.round((bytes / 1024) * 10) / 10} KiB`;
  return `${bytes} bytes`;
}
