/**
 * `d365fo doctor`: local checks (Node, SQLite FTS5, cache and config permissions) and, per
 * profile, connectivity and authentication. Every failing check carries a fix hint. The
 * evaluation of what was observed is pure (the `evaluate*` functions); probing is separate.
 */
import { statSync } from "node:fs";
import Database from "better-sqlite3";
import { ExitCode, effectiveErrorCode, exitCodeForError } from "./exit-codes.js";

export type CheckStatus = "ok" | "warn" | "fail" | "skip";

export interface DoctorCheck {
  /** Stable id, e.g. `node`, `sqlite-fts5`, `profile:dev:auth`. */
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

/** Opens an in-memory database and creates an FTS5 table: the search index needs it. */
export function checkSqliteFts5(): DoctorCheck {
  try {
    const db = new Database(":memory:");
    try {
      const version = (db.prepare("select sqlite_version() as v").get() as { v: string }).v;
      db.exec("create virtual table doctor_probe using fts5(body)");
      db.prepare("insert into doctor_probe(body) values (?)").run("customer account");
      const hit = db
        .prepare("select count(*) as n from doctor_probe where doctor_probe match ?")
        .get("custom*") as {
        n: number;
      };
      if (hit.n !== 1) throw new Error("FTS5 query returned no row");
      return {
        id: "sqlite-fts5",
        title: "SQLite with FTS5",
        status: "ok",
        detail: `SQLite ${version}, FTS5 works`,
      };
    } finally {
      db.close();
    }
  } catch (error) {
    return {
      id: "sqlite-fts5",
      title: "SQLite with FTS5",
      status: "fail",
      detail: `better-sqlite3 / FTS5 unavailable: ${(error as Error).message}`,
      fix: "Reinstall dependencies so better-sqlite3's native module is built for this Node (npm rebuild better-sqlite3)",
      exitCode: ExitCode.cache,
    };
  }
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
    fix: hintForCode(code),
    errorCode: code,
    exitCode: exitCodeForError(error),
  };
}

export function hintForCode(code: string | undefined): string {
  switch (code) {
    case "D365_AUTH":
      return "Check tenantId, clientId and the client secret, and that the app is registered in F&O (System administration > Microsoft Entra ID applications)";
    case "D365_FORBIDDEN":
      return "The app's F&O user lacks a role for this call; grant it in F&O";
    case "D365_NETWORK":
    case "D365_TIMEOUT":
      return "Check the base URL, your network / VPN / proxy, and that the environment is running";
    case "D365_CONFIG":
    case "D365_PROFILE":
      return "Fix the profile with 'd365fo profile add <name> --force …'";
    case "D365_THROTTLED":
      return "The environment is throttling; retry later";
    case "D365_SERVER_ERROR":
      return "The environment answered with a server error; retry later or check its health in LCS / PPAC";
    case "D365_VERSION_DETECTION":
      return "GetInstalledModules failed; the app's F&O user may need the System administrator role";
    default:
      return "Run again with --verbose for details";
  }
}

/** Doctor's exit code: 0 when nothing failed, else the exit code of the first failure. */
export function doctorExitCode(checks: readonly DoctorCheck[]): number {
  const failed = checks.find((check) => check.status === "fail");
  if (!failed) return ExitCode.ok;
  return failed.exitCode ?? ExitCode.unexpected;
}
