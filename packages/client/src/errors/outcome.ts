/**
 * From any thrown value to what the user sees: the effective code (looking through wrappers to
 * the precise cause), the exit code and the hint that fits the cause. Pure; the CLI and `doctor`
 * use these, library users may too.
 */
import { AuthenticationError } from "./classes.js";
import {
  ERROR_REGISTRY,
  type ErrorCodeSpec,
  type ExitCodeValue,
  exitCodeForErrorCode,
  isErrorCode,
} from "./registry.js";

function codeOf(value: unknown): string | undefined {
  if (value && typeof value === "object" && "code" in value && typeof value.code === "string")
    return value.code;
  return undefined;
}

function spec(code: string | undefined): ErrorCodeSpec | undefined {
  return isErrorCode(code) ? ERROR_REGISTRY[code] : undefined;
}

/**
 * The code that best says what went wrong. A wrapper (version detection wraps whatever failed
 * underneath), or an error without a registered code, yields the first root-cause code in its
 * `cause` chain; the user's fix depends on that cause.
 */
export function effectiveErrorCode(error: unknown): string | undefined {
  const top = codeOf(error);
  if (isErrorCode(top) && !spec(top)?.wrapper) return top;
  let cause = (error as { cause?: unknown } | undefined)?.cause;
  for (let depth = 0; cause && depth < 8; depth++) {
    if (spec(codeOf(cause))?.rootCause) return codeOf(cause);
    cause = (cause as { cause?: unknown }).cause;
  }
  return top;
}

/** The error in the chain that carries the effective code (for cause-specific hints). */
function effectiveError(error: unknown): unknown {
  const code = effectiveErrorCode(error);
  let current: unknown = error;
  for (let depth = 0; current && depth < 9; depth++) {
    if (codeOf(current) === code) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return error;
}

/** The CLI exit code for anything thrown (unknown kinds: 1, "unexpected"). */
export function exitCodeForError(error: unknown): ExitCodeValue {
  return exitCodeForErrorCode(effectiveErrorCode(error));
}

/** The hint that fits the cause: the registry's, refined where one code has several causes. */
export function hintForError(error: unknown): string {
  const found = effectiveError(error);
  if (found instanceof AuthenticationError) {
    if (found.reason === "identity-provider-unreachable") {
      return "The identity provider could not be reached or its TLS certificate is not trusted: check the authority host (--authority-host / AZURE_AUTHORITY_HOST); for the emulator, trust its certificate with NODE_EXTRA_CA_CERTS=<its CA file>";
    }
    if (found.credentialKind === "access-token") {
      return "The access token was refused: it may have expired, or be for another environment (its audience must be the base URL); get a fresh token for <base URL>/.default";
    }
    if (found.reason === "token-refused") {
      return "The environment refused a valid token: register the app's client id in F&O (System administration > Microsoft Entra ID applications) and check the token is for this base URL";
    }
  }
  return hintForCode(effectiveErrorCode(error));
}

/** The registry's hint for a code (unknown codes: the "unexpected" hint). */
export function hintForCode(code: string | undefined): string {
  return (spec(code) ?? ERROR_REGISTRY.D365_UNEXPECTED).hint;
}
