/**
 * The CLI's exit codes: one per error kind, derived only from the stable `code` of src/errors.ts
 * (never from message text), so scripts can branch on `$?`. Documented in docs/cli.md; changing a
 * number is a breaking change.
 */

export const ExitCode = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  configuration: 3,
  authentication: 4,
  notFound: 5,
  network: 6,
  throttled: 7,
  serverError: 8,
  versionDetection: 9,
  cache: 10,
  syncInProgress: 11,
  aborted: 130,
} as const;

export type ExitCodeName = keyof typeof ExitCode;
export type ExitCodeValue = (typeof ExitCode)[ExitCodeName];

/** Error codes raised by the CLI itself (argument parsing, profiles, doctor). */
export const CliErrorCode = {
  usage: "D365_USAGE",
  profile: "D365_PROFILE",
  doctor: "D365_DOCTOR_FAILED",
} as const;

/** Error `code` → exit code. Every code of src/errors.ts appears here. */
export const EXIT_CODE_BY_ERROR_CODE: Readonly<Record<string, ExitCodeValue>> = {
  D365_USAGE: ExitCode.usage,
  D365_BAD_REQUEST: ExitCode.usage,
  D365_CONFIG: ExitCode.configuration,
  D365_PROFILE: ExitCode.configuration,
  D365_AUTH: ExitCode.authentication,
  D365_FORBIDDEN: ExitCode.authentication,
  D365_NOT_FOUND: ExitCode.notFound,
  D365_NETWORK: ExitCode.network,
  D365_TIMEOUT: ExitCode.network,
  D365_THROTTLED: ExitCode.throttled,
  D365_SERVER_ERROR: ExitCode.serverError,
  D365_PROTOCOL: ExitCode.serverError,
  D365_VERSION_DETECTION: ExitCode.versionDetection,
  D365_MODULE_PARSE: ExitCode.versionDetection,
  D365_CACHE: ExitCode.cache,
  D365_CACHE_SCHEMA_TOO_NEW: ExitCode.cache,
  D365_NOT_SYNCED: ExitCode.cache,
  D365_SYNC_IN_PROGRESS: ExitCode.syncInProgress,
  D365_ABORTED: ExitCode.aborted,
};

/**
 * The exit code for an error `code`. Specialised cache codes (`D365_CACHE_*`, which `CacheError`
 * allows) share the cache exit code; anything unknown is "unexpected".
 */
export function exitCodeForErrorCode(code: string | undefined): ExitCodeValue {
  if (!code) return ExitCode.unexpected;
  const exact = EXIT_CODE_BY_ERROR_CODE[code];
  if (exact !== undefined) return exact;
  if (code.startsWith("D365_CACHE_")) return ExitCode.cache;
  return ExitCode.unexpected;
}

function codeOf(value: unknown): string | undefined {
  if (value && typeof value === "object" && "code" in value && typeof value.code === "string")
    return value.code;
  return undefined;
}

/** Kinds precise enough to decide the exit code even when a wrapper reports them. */
const ROOT_CAUSE_CODES = new Set([
  "D365_AUTH",
  "D365_FORBIDDEN",
  "D365_NETWORK",
  "D365_TIMEOUT",
  "D365_THROTTLED",
  "D365_SERVER_ERROR",
  "D365_ABORTED",
]);

/** Codes that describe what was being done rather than what went wrong. */
const WRAPPER_CODES = new Set(["D365_VERSION_DETECTION"]);

/**
 * The code that best says what went wrong. Version detection wraps whatever failed underneath
 * (a rejected secret, a refused connection), and the user's fix depends on that cause: a wrapper,
 * or an error without a D365 code, yields the first precise code in its `cause` chain.
 */
export function effectiveErrorCode(error: unknown): string | undefined {
  const top = codeOf(error);
  if (top?.startsWith("D365_") && !WRAPPER_CODES.has(top)) return top;
  let cause = (error as { cause?: unknown } | undefined)?.cause;
  for (let depth = 0; cause && depth < 8; depth++) {
    const code = codeOf(cause);
    if (code && ROOT_CAUSE_CODES.has(code)) return code;
    cause = (cause as { cause?: unknown }).cause;
  }
  return top;
}

/** The exit code for anything thrown, from its effective code (unknown kinds are "unexpected"). */
export function exitCodeForError(error: unknown): ExitCodeValue {
  return exitCodeForErrorCode(effectiveErrorCode(error));
}
