/**
 * node-postgres failures as the library's typed errors with stable codes. The server's SQLSTATE
 * (`error.code`) and Node's socket codes decide; message text is never matched. Messages name the
 * store by its URL without credentials and are scrubbed of the password in case a driver message
 * ever echoes it.
 */
import {
  CacheBusyError,
  CacheCorruptError,
  CacheError,
  type CacheErrorCode,
  CacheFullError,
  ConfigurationError,
  D365Error,
} from "d365fo-client";

/** SQLSTATEs after which the whole transaction may simply be run again. */
const RETRYABLE = new Set(["40001", "40P01"]);

/** Server gone, shutting down, or not reachable (SQLSTATE class 08, 57P0x, socket errors). */
const UNAVAILABLE_SOCKET = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "EPIPE",
]);

export const PG_CODES = {
  uniqueViolation: "23505",
  foreignKeyViolation: "23503",
} as const;

export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Serialization failure or deadlock: the adapter retries the transaction. */
export function isRetryable(error: unknown): boolean {
  const code = sqlState(error);
  return code !== undefined && RETRYABLE.has(code);
}

function storeCode(error: unknown): CacheErrorCode {
  const code = sqlState(error);
  if (code === undefined) {
    // pg's own "Connection terminated" errors carry no code.
    return error instanceof Error && /terminated|timeout/i.test(error.message)
      ? "D365_CACHE_UNAVAILABLE"
      : "D365_CACHE";
  }
  if (RETRYABLE.has(code)) return "D365_CACHE_BUSY";
  if (code === "55P03" || code === "57014") return "D365_CACHE_BUSY"; // lock not available, statement timeout
  if (code === PG_CODES.uniqueViolation) return "D365_CACHE_CONFLICT";
  if (code === "28P01" || code === "28000") return "D365_CACHE_AUTH";
  if (code.startsWith("08") || code.startsWith("57P") || code === "3D000" || UNAVAILABLE_SOCKET.has(code)) {
    return "D365_CACHE_UNAVAILABLE";
  }
  return "D365_CACHE";
}

export interface ErrorContext {
  /** The store's URL without credentials. */
  location: string;
  /** The password to scrub from messages, if the URL carried one. */
  secret?: string;
}

function scrub(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join("***") : text;
}

/** Any error from the driver (or from our code) as a `D365Error`; our own errors pass through. */
export function toStoreError(error: unknown, context: ErrorContext, doing?: string): D365Error {
  if (error instanceof D365Error) return error;
  const message = scrub(error instanceof Error ? error.message : String(error), context.secret);
  const code = storeCode(error);
  const hint =
    code === "D365_CACHE_AUTH"
      ? " (check the user and password of the cache URL)"
      : code === "D365_CACHE_UNAVAILABLE"
        ? " (is the PostgreSQL server running and reachable?)"
        : "";
  const text = `Metadata store ${context.location}${doing ? ` (${doing})` : ""}: ${message}${hint}`;
  const state = sqlState(error);
  // The shared typed errors where the condition is the same as SQLite's (src/store/errors.ts).
  if (code === "D365_CACHE_BUSY") return new CacheBusyError(text, { cause: error });
  if (state === "53100") return new CacheFullError(text, { cause: error });
  if (state === "XX001" || state === "XX002")
    return new CacheCorruptError(context.location, { cause: error });
  return new CacheError(text, { code, cause: error });
}

/** A foreign-key violation on a referenced environment / version becomes the caller's mistake. */
export function unknownReference(error: unknown, what: string): D365Error | undefined {
  return sqlState(error) === PG_CODES.foreignKeyViolation
    ? new ConfigurationError(what, { cause: error })
    : undefined;
}
