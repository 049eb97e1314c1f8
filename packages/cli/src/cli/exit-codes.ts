/**
 * The CLI's exit codes: derived only from the stable `code` of an error through the error
 * registry (src/errors/registry.ts: code → class → exit code → hint), never from message text, so
 * scripts can branch on `$?`. Documented in docs/cli.md; changing a number is a breaking change.
 */
import { ERROR_REGISTRY, type ErrorCode, ExitCode } from "d365fo-client";

export {
  ExitCode,
  type ExitCodeName,
  type ExitCodeValue,
  effectiveErrorCode,
  exitCodeForError,
  exitCodeForErrorCode,
  hintForError,
} from "d365fo-client";

/** Error codes raised by the CLI itself (argument parsing, profiles, doctor). */
export const CliErrorCode = {
  usage: "D365_USAGE",
  profile: "D365_PROFILE",
  doctor: "D365_DOCTOR_FAILED",
} as const satisfies Record<string, ErrorCode>;

/** Error `code` → exit code, for every registered code (the table docs/cli.md shows). */
export const EXIT_CODE_BY_ERROR_CODE: Readonly<Record<ErrorCode, number>> = Object.fromEntries(
  Object.entries(ERROR_REGISTRY).map(([code, spec]) => [code, ExitCode[spec.exit]]),
) as Record<ErrorCode, number>;
