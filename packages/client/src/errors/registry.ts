/**
 * Every error code in one place: code → the class that raises it → the CLI's exit code → the
 * hint shown to a user. `D365Error` only accepts a registered code (the `ErrorCode` type), the
 * CLI derives its exit codes and doctor hints from this table, and a test walks every entry.
 *
 * Codes and exit numbers are a public contract (scripts switch on them): never reword or renumber.
 */

/** The CLI's exit codes, one per kind of outcome. Documented in docs/cli.md. */
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
  /** A data request contradicts the metadata; nothing was sent (docs/data.md). */
  dataValidation: 12,
  /** An ETag conflict (412): the row changed since it was read. */
  conflict: 13,
  /** The server's answer was refused as unsafe or implausible (endless paging, oversized data). */
  badResponse: 14,
  /** The environment changed under a sync (an upgrade): a normal outcome, run it again. */
  environmentChanged: 15,
  /** Another process took over this sync (its lease expired): that process finishes the work. */
  syncLeaseLost: 16,
  /** `codegen --check`: the generated types no longer match the environment's metadata. */
  codegenDrift: 17,
  aborted: 130,
} as const;

export type ExitCodeName = keyof typeof ExitCode;
export type ExitCodeValue = (typeof ExitCode)[ExitCodeName];

export interface ErrorCodeSpec {
  /** The class raising it (`src/errors/`, or `src/cli/errors.ts` for the CLI's own). */
  readonly className: string;
  readonly exit: ExitCodeName;
  /** What the user can do about it (CLI error line and `doctor`). */
  readonly hint: string;
  /**
   * Precise enough to decide the exit code even when a wrapper reports it (a rejected secret
   * underneath a version-detection failure is an authentication problem).
   */
  readonly rootCause?: boolean;
  /** Says what was being done rather than what went wrong: look at the cause instead. */
  readonly wrapper?: boolean;
}

const RETRY_LATER = "retry later";

export const ERROR_REGISTRY = {
  D365_USAGE: {
    className: "UsageError",
    exit: "usage",
    hint: "See 'd365fo <command> --help'",
  },
  D365_VALIDATION: {
    className: "ValidationError",
    exit: "usage",
    hint: "Fix the named argument; nothing was sent to the environment",
  },
  D365_BAD_REQUEST: {
    className: "BadRequestError",
    exit: "usage",
    hint: "The environment rejected the request as malformed; check names, keys and filters",
  },
  D365_CONFIG: {
    className: "ConfigurationError",
    exit: "configuration",
    hint: "Fix the configuration named in the message (profile, D365FO_* variables or options)",
  },
  D365_INSECURE_TRANSPORT: {
    className: "InsecureTransportError",
    exit: "configuration",
    hint: "Use an https URL; plain http is only accepted for loopback hosts (the emulator)",
  },
  D365_PROFILE: {
    className: "ProfileError",
    exit: "configuration",
    hint: "Fix the profile with 'd365fo profile add <name> --force …'",
  },
  D365_AUTH: {
    className: "AuthenticationError",
    exit: "authentication",
    hint: "Check tenantId, clientId and the client secret, and that the app is registered in F&O (System administration > Microsoft Entra ID applications)",
    rootCause: true,
  },
  D365_FORBIDDEN: {
    className: "ForbiddenError",
    exit: "authentication",
    hint: "The app's F&O user lacks a role for this call; grant it in F&O",
    rootCause: true,
  },
  D365_NOT_FOUND: {
    className: "NotFoundError",
    exit: "notFound",
    hint: "Check the name; 'd365fo search' lists what exists",
  },
  D365_NETWORK: {
    className: "NetworkError",
    exit: "network",
    hint: "Check the base URL, your network / VPN / proxy, and that the environment is running",
    rootCause: true,
  },
  D365_UNREACHABLE: {
    className: "EnvironmentUnreachableError",
    exit: "network",
    hint: "The host refused or did not answer connections: check the base URL, VPN / proxy, and that the environment is running (LCS / PPAC)",
    rootCause: true,
  },
  D365_TIMEOUT: {
    className: "TimeoutError",
    exit: "network",
    hint: "The environment did not answer in time; retry, or raise --timeout",
    rootCause: true,
  },
  D365_THROTTLED: {
    className: "ThrottledError",
    exit: "throttled",
    hint: `The environment is throttling; ${RETRY_LATER}`,
    rootCause: true,
  },
  D365_SERVER_ERROR: {
    className: "ServerError",
    exit: "serverError",
    hint: `The environment answered with a server error; ${RETRY_LATER} or check its health in LCS / PPAC`,
    rootCause: true,
  },
  D365_PROTOCOL: {
    className: "ProtocolError",
    exit: "serverError",
    hint: "The environment's answer was malformed; run again with --verbose and report the request id",
  },
  D365_UNSUPPORTED_ENCODING: {
    className: "UnsupportedEncodingError",
    exit: "badResponse",
    hint: "A proxy or gateway between you and the environment re-encodes responses; bypass it or have it pass gzip, deflate or br",
    rootCause: true,
  },
  D365_RESPONSE_TOO_LARGE: {
    className: "ResponseTooLargeError",
    exit: "badResponse",
    hint: "The environment (or something in front of it) sent far more data than Dynamics 365 ever does; check the base URL",
    rootCause: true,
  },
  D365_ENDLESS_PAGING: {
    className: "EndlessPagingError",
    exit: "badResponse",
    hint: "The environment's paging never ends; check the base URL and report the request id",
    rootCause: true,
  },
  D365_IMPLAUSIBLE_METADATA: {
    className: "ImplausibleMetadataError",
    exit: "badResponse",
    hint: "The environment returned implausibly little metadata, so it was not published; the last good version is still served. Sync again later, or with --force if the change is real",
  },
  D365_VERSION_DETECTION: {
    className: "VersionDetectionError",
    exit: "versionDetection",
    hint: "GetInstalledModules failed; the app's F&O user may need the System administrator role",
    wrapper: true,
  },
  D365_MODULE_PARSE: {
    className: "ModuleParseError",
    exit: "versionDetection",
    hint: "The environment's module list has an unexpected form; report it with the line quoted",
  },
  D365_CACHE: {
    className: "CacheError",
    exit: "cache",
    hint: "Check the cache location (--cache-dir / --cache-url) and run again with --verbose for details",
  },
  D365_CACHE_BUSY: {
    className: "CacheBusyError",
    exit: "cache",
    hint: "Another process holds the cache; retry when it has finished",
  },
  D365_CACHE_SCHEMA_TOO_NEW: {
    className: "SchemaTooNewError",
    exit: "cache",
    hint: "The cache was written by a newer d365fo-client: upgrade, or use another --cache-dir / --cache-url",
  },
  D365_CACHE_READ_ONLY: {
    className: "CacheReadOnlyError",
    exit: "cache",
    hint: "The cache is read-only: reads are served, writes are refused. Make the cache directory writable by you, or choose another with --cache-dir / D365FO_CACHE_DIR",
  },
  D365_CACHE_LOCATION: {
    className: "CacheLocationError",
    exit: "cache",
    hint: "The cache location is unsafe (a symbolic link or not a regular file): choose another with --cache-dir / D365FO_CACHE_DIR",
  },
  D365_CACHE_CORRUPT: {
    className: "CacheCorruptError",
    exit: "cache",
    hint: "Rebuild the cache with 'd365fo cache reset', then sync again",
  },
  D365_CACHE_FULL: {
    className: "CacheFullError",
    exit: "cache",
    hint: "Free disk space where the cache lives, then run 'd365fo cache cleanup'",
  },
  D365_CACHE_CLOSED: {
    className: "CacheClosedError",
    exit: "unexpected",
    hint: "The metadata store was used after close(); this is a bug in the calling code",
  },
  D365_CACHE_CONFLICT: {
    className: "CacheError",
    exit: "cache",
    hint: "Another process wrote the same record at the same moment; run again",
  },
  D365_CACHE_AUTH: {
    className: "CacheError",
    exit: "cache",
    hint: "The shared cache refused the user or password of the cache URL (--cache-url / D365FO_CACHE_URL)",
  },
  D365_CACHE_UNAVAILABLE: {
    className: "CacheError",
    exit: "cache",
    hint: "The shared cache's PostgreSQL server cannot be reached: check that it runs and the cache URL's host and port",
  },
  D365_CACHE_IMPORT_SOURCE: {
    className: "MigrationSourceError",
    exit: "cache",
    hint: "The file is not a readable Python d365fo-client cache; check the path (nothing was written)",
  },
  D365_CACHE_IMPORT_LAYOUT: {
    className: "MigrationSourceError",
    exit: "cache",
    hint: "The Python cache has a layout this version cannot import; see docs/migration.md (nothing was written)",
  },
  D365_WRITE_REFUSED: {
    className: "WriteRefusedError",
    exit: "configuration",
    hint: "The profile is read-only (production profiles are by default): set readOnly to false in its profile to allow writes",
  },
  D365_DATA_VALIDATION: {
    className: "DataValidationError",
    exit: "dataValidation",
    hint: "The request contradicts the environment's metadata (see the problems listed); nothing was sent",
  },
  D365_CONFLICT: {
    className: "ConcurrencyConflictError",
    exit: "conflict",
    hint: "The row changed since it was read: read it again (new ETag) and retry the change",
  },
  D365_NOT_SYNCED: {
    className: "NotSyncedError",
    exit: "cache",
    hint: "Run 'd365fo sync' first",
  },
  D365_SYNC_IN_PROGRESS: {
    className: "SyncInProgressError",
    exit: "syncInProgress",
    hint: "Another process is syncing this version; wait for it, or run without --no-wait",
  },
  D365_ENVIRONMENT_CHANGED: {
    className: "EnvironmentChangedError",
    exit: "environmentChanged",
    hint: "The environment was upgraded during the sync; run the sync again",
  },
  D365_SYNC_LEASE_LOST: {
    className: "SyncLeaseLostError",
    exit: "syncLeaseLost",
    hint: "Another process took over this sync and finishes it; nothing to do",
  },
  D365_CODEGEN_DRIFT: {
    className: "CodegenDriftError",
    exit: "codegenDrift",
    hint: "The environment's metadata changed since the code was generated (see the changes listed); regenerate with 'd365fo codegen --out <dir>' and fix what no longer compiles",
  },
  D365_DOCTOR_FAILED: {
    className: "DoctorFailedError",
    exit: "unexpected",
    hint: "See the failed checks above",
  },
  D365_ABORTED: {
    className: "AbortedError",
    exit: "aborted",
    hint: "The operation was interrupted; run it again",
    rootCause: true,
  },
  D365_UNEXPECTED: {
    className: "Error",
    exit: "unexpected",
    hint: "Run again with --verbose for details; this is probably a bug, please report it",
  },
} as const satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof ERROR_REGISTRY;
/** The codes a `CacheError` may carry. */
export type CacheErrorCode = Extract<ErrorCode, `D365_CACHE${string}`>;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_REGISTRY, code);
}

/** The registry entry of a code; unknown codes get the "unexpected" entry. */
export function errorCodeSpec(code: string | undefined): ErrorCodeSpec {
  return isErrorCode(code) ? ERROR_REGISTRY[code] : ERROR_REGISTRY.D365_UNEXPECTED;
}

/** The exit code for an error `code` (unknown and missing codes: 1, "unexpected"). */
export function exitCodeForErrorCode(code: string | undefined): ExitCodeValue {
  return ExitCode[errorCodeSpec(code).exit];
}
