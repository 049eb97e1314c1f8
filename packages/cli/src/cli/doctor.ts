/**
 * `d365fo doctor`: local checks (Node, the configured metadata store, cache and config permissions) and, per
 * profile, connectivity and authentication. Every failing check carries a fix hint. The
 * evaluation of what was observed is pure (the `evaluate*` functions); probing is separate.
 */
import { statSync } from "node:fs";
import type { MetadataStore } from "d365fo-client";
import { CACHE_RESET_COMMAND, probeStore, type StoreProbe } from "d365fo-client";
import { ExitCode, effectiveErrorCode, exitCodeForError, hintForError } from "./exit-codes.js";

export type CheckStatus = "ok" | "warn" | "fail" | "skip";

export interface DoctorCheck {
  /** Stable id, e.g. `node`, `store`, `profile:dev:auth`. */
  id: string;
  title: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a warn / fail. */
  fix?: string;
  /** The error code behind a failure, when there was one. */
  errorCode?: string;
  /** The exit code a failure of this check maps to. */
  exitCode?: number;
}

export const MIN_NODE_VERSION = "20.19.0";

function parseVersion(version: string): number[] {
  return version
    .replace(/^v/, "")
    .split(".")
    .map((part) => Number.parseInt(part, 10) || 0);
}

export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const diff = (x[i] ?? 0) - (y[i] ?? 0);
    if (diff !== 0) return diff < 0 ? -1 : 1;
  }
  return 0;
}

export function evaluateNodeVersion(version: string): DoctorCheck {
  const ok = compareVersions(version, MIN_NODE_VERSION) >= 0;
  return {
    id: "node",
    title: "Node.js version",
    status: ok ? "ok" : "fail",
    detail: `${version} (needs >= ${MIN_NODE_VERSION})`,
    fix: ok ? undefined : `Install Node.js ${MIN_NODE_VERSION} or newer (https://nodejs.org)`,
    exitCode: ok ? undefined : ExitCode.configuration,
  };
}

export type PathState =
  | { exists: false }
  | { exists: true; isDirectory: boolean; mode: number; ownedByCurrentUser: boolean | null };

export function statPath(path: string): PathState {
  try {
    const stats = statSync(path);
    const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
    return {
      exists: true,
      isDirectory: stats.isDirectory(),
      mode: stats.mode & 0o777,
      ownedByCurrentUser: uid === undefined ? null : stats.uid === uid,
    };
  } catch {
    return { exists: false };
  }
}

const octal = (mode: number) => `0${mode.toString(8).padStart(3, "0")}`;

/**
 * A private location: no group/other bits. `platform` matters because Windows has no POSIX modes
 * (Node reports 0666/0777 there), so the check is skipped.
 */
export function evaluatePrivatePath(
  id: string,
  title: string,
  path: string,
  state: PathState,
  expected: { directory: boolean; mode: number; missingIsOk: boolean; missingHint: string },
  platform: NodeJS.Platform = process.platform,
): DoctorCheck {
  if (!state.exists) {
    return {
      id,
      title,
      status: expected.missingIsOk ? "warn" : "fail",
      detail: `${path} does not exist`,
      fix: expected.missingHint,
      exitCode: expected.missingIsOk ? undefined : ExitCode.configuration,
    };
  }
  if (state.isDirectory !== expected.directory) {
    return {
      id,
      title,
      status: "fail",
      detail: `${path} is not a ${expected.directory ? "directory" : "file"}`,
      fix: `Remove or rename ${path}`,
      exitCode: ExitCode.configuration,
    };
  }
  if (platform === "win32") {
    return { id, title, status: "ok", detail: `${path} (permissions not checked on Windows)` };
  }
  if (state.ownedByCurrentUser === false) {
    return {
      id,
      title,
      status: "fail",
      detail: `${path} belongs to another user`,
      fix: `chown $(id -u) ${path}`,
      exitCode: ExitCode.configuration,
    };
  }
  if ((state.mode & 0o077) !== 0) {
    return {
      id,
      title,
      status: "fail",
      detail: `${path} has mode ${octal(state.mode)}; others can read it`,
      fix: `chmod ${octal(expected.mode).slice(1)} ${path}`,
      exitCode: ExitCode.configuration,
    };
  }
  return { id, title, status: "ok", detail: `${path} (mode ${octal(state.mode)})` };
}

/**
 * The configured metadata store, whichever backend: opens it (which proves the driver loads and
 * the schema is one this version understands), then the store's own probe says what it is, checks
 * its integrity and lists warnings. The store is closed afterwards; `open` decides where (the
 * doctor command passes a scratch directory when no SQLite cache file exists yet, so checking
 * creates nothing).
 */
export async function checkMetadataStore(
  open: () => Promise<MetadataStore>,
  note?: string,
): Promise<DoctorCheck> {
  let store: MetadataStore | undefined;
  try {
    store = await open();
    return evaluateStore(await probeStore(store), note);
  } catch (error) {
    return failedCheck("store", "Metadata store", error);
  } finally {
    await store?.close().catch(() => undefined);
  }
}

/** What a store's probe found, as a check: fail on a broken integrity, warn on warnings. Pure. */
export function evaluateStore(probe: StoreProbe, note?: string): DoctorCheck {
  const { description, integrity, warnings } = probe;
  const what = `${description.backend} ${description.location} (schema ${description.schemaVersion}${description.readOnly ? ", read-only" : ""})`;
  const base = { id: "store", title: "Metadata store" };
  if (!integrity.ok) {
    return {
      ...base,
      status: "fail",
      detail: `${what}: integrity check failed: ${integrity.messages.join("; ")}`,
      fix:
        description.backend === "sqlite"
          ? `Rebuild the cache with '${CACHE_RESET_COMMAND}', then sync again`
          : "Ask the database's administrator to check it, or point --cache-url at another database and sync again",
      errorCode: "D365_CACHE",
      exitCode: ExitCode.cache,
    };
  }
  const suffix = note ? `; ${note}` : "";
  if (warnings.length > 0) {
    return {
      ...base,
      status: "warn",
      detail: `${what}: integrity ok; ${warnings.join("; ")}${suffix}`,
      fix: description.readOnly
        ? "Make the cache writable by you, or choose another with --cache-dir / D365FO_CACHE_DIR"
        : "See the warnings; the store works as it is",
    };
  }
  return { ...base, status: "ok", detail: `${what}: integrity ok${suffix}` };
}

/** Turns a probe's error into a failed check with a hint chosen by the error's code. */
export function failedCheck(id: string, title: string, error: unknown): DoctorCheck {
  const code = effectiveErrorCode(error);
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, " ");
  return {
    id,
    title,
    status: "fail",
    detail: message,
    fix: hintForError(error),
    errorCode: code,
    exitCode: exitCodeForError(error),
  };
}

/** Doctor's exit code: 0 when nothing failed, else the exit code of the first failure. */
export function doctorExitCode(checks: readonly DoctorCheck[]): number {
  const failed = checks.find((check) => check.status === "fail");
  if (!failed) return ExitCode.ok;
  return failed.exitCode ?? ExitCode.unexpected;
}
