/**
 * The library's own secret scrubber. Errors are built deep inside the HTTP and auth layers, often
 * from text we do not control (an identity provider's error description, a server's error body),
 * so callers cannot be trusted to keep secrets out of messages. Every configured client secret
 * and every access token is registered here when the library first sees it, and `D365Error`, the
 * logger and JSON output pass their text through `scrubText`.
 *
 * The registry is process-wide on purpose: an error raised in a limiter callback has no handle on
 * the configuration that produced the secret. It is bounded (oldest entries dropped first), and
 * JWT-shaped strings and `Bearer …` / `client_secret=…` forms are scrubbed whatever their value.
 */

/** Shorter strings would scrub ordinary words; no real secret or token is this short. */
const MIN_SECRET_LENGTH = 8;
/** Tokens accumulate over a long-lived process (one per refresh); keep the newest. */
const MAX_SECRETS = 512;

const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const BEARER_PATTERN = /(Bearer\s+)[A-Za-z0-9._~+/=-]{16,}/g;
const CLIENT_SECRET_FIELD = /(client_secret=)[^&\s"']+/gi;

export const REDACTED = "[redacted]";

const secrets = new Set<string>();
/** `secrets`, longest first (a secret containing another is replaced whole); rebuilt on change. */
let ordered: string[] | undefined;

/** Remembers a secret (a client secret, an access token) so it is scrubbed from all output. */
export function registerSecret(secret: string | undefined | null): void {
  if (typeof secret !== "string" || secret.length < MIN_SECRET_LENGTH) return;
  if (secrets.has(secret)) {
    // Refresh its position so a secret in use is never the one evicted.
    secrets.delete(secret);
  } else if (secrets.size >= MAX_SECRETS) {
    const oldest = secrets.values().next().value;
    if (oldest !== undefined) secrets.delete(oldest);
  }
  secrets.add(secret);
  ordered = undefined;
}

/** Is `text` a registered secret? (Tests and the CLI's redactor.) */
export function isRegisteredSecret(text: string): boolean {
  return secrets.has(text);
}

/** `text` with every registered secret, JWT, bearer value and `client_secret=` field replaced. */
export function scrubText(text: string, extra: readonly string[] = []): string {
  let out = text;
  ordered ??= [...secrets].sort((a, b) => b.length - a.length);
  const all = extra.length === 0 ? ordered : [...extra.filter((s) => s && s.length >= 4), ...ordered];
  for (const secret of all) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out
    .replace(JWT_PATTERN, "[redacted-token]")
    .replace(BEARER_PATTERN, `$1${REDACTED}`)
    .replace(CLIENT_SECRET_FIELD, `$1${REDACTED}`);
}

/** A deep copy of JSON-like data with every string scrubbed (cycles and depth bounded). */
export function scrubValue<T>(value: T, depth = 0, seen: WeakSet<object> = new WeakSet()): T {
  if (typeof value === "string") return scrubText(value) as T;
  if (!value || typeof value !== "object" || depth > 16) return value;
  if (seen.has(value)) return "[circular]" as T;
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, depth + 1, seen)) as T;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = scrubValue(item, depth + 1, seen);
  return out as T;
}

function containsSecret(text: string): boolean {
  return scrubText(text) !== text;
}

/**
 * Scrubs an error chain in place: the `message` and `stack` of each error and of its `cause`s
 * (and an AggregateError's `errors`). In place, so `instanceof` and identity of causes hold.
 */
export function scrubErrorChain(error: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): void {
  if (!error || typeof error !== "object" || depth > 8 || seen.has(error)) return;
  seen.add(error);
  const record = error as { message?: unknown; stack?: unknown; cause?: unknown; errors?: unknown };
  for (const key of ["message", "stack"] as const) {
    const text = record[key];
    if (typeof text === "string" && containsSecret(text)) {
      try {
        Object.defineProperty(error, key, {
          value: scrubText(text),
          writable: true,
          configurable: true,
          enumerable: Object.prototype.propertyIsEnumerable.call(error, key),
        });
      } catch {
        // A frozen foreign error: nothing we can do in place; toJSON/inspect still scrub.
      }
    }
  }
  // Foreign errors (MSAL, undici) carry the server's text in enumerable fields too.
  for (const [key, value] of Object.entries(error)) {
    if (key === "cause" || key === "errors") continue;
    if (typeof value === "string" && containsSecret(value)) {
      try {
        (error as Record<string, unknown>)[key] = scrubText(value);
      } catch {
        // read-only field
      }
    }
  }
  scrubErrorChain(record.cause, depth + 1, seen);
  if (Array.isArray(record.errors))
    for (const inner of record.errors) scrubErrorChain(inner, depth + 1, seen);
}
