/**
 * better-sqlite3 failures as the store's typed errors. Only this folder knows SQLite's result
 * codes; callers see stable codes (`D365_CACHE_BUSY`, `D365_CACHE_CORRUPT`, …) and a `cause`.
 */
import { CacheError, D365Error } from "../../errors.js";
import { CacheBusyError, CacheCorruptError, CacheFullError, CacheReadOnlyError } from "../errors.js";

/** The driver's extended result code (`SQLITE_BUSY_SNAPSHOT`, …), when `error` came from SQLite. */
export function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_") ? code : undefined;
}

const hasCode = (code: string, primary: string) => code === primary || code.startsWith(`${primary}_`);

/** True for an FTS5 query the engine could not parse (the adapter answers "no hits" instead). */
export function isFtsQueryError(error: unknown): boolean {
  const code = sqliteCode(error);
  return (
    code !== undefined &&
    hasCode(code, "SQLITE_ERROR") &&
    /fts5|syntax error|unterminated/i.test((error as Error).message)
  );
}

/**
 * Our typed error for a failure of a statement on `location`. Library errors pass through
 * unchanged; an error that is not SQLite's (a bug, bad input caught late) too.
 */
export function mapSqliteError(error: unknown, location: string): unknown {
  if (error instanceof D365Error) return error;
  const code = sqliteCode(error);
  if (code === undefined) return error;
  const detail = `Metadata store ${location}: ${(error as Error).message}`;
  if (hasCode(code, "SQLITE_BUSY") || hasCode(code, "SQLITE_LOCKED")) {
    return new CacheBusyError(`${detail} (another process held the cache for too long)`, { cause: error });
  }
  if (hasCode(code, "SQLITE_CORRUPT") || hasCode(code, "SQLITE_NOTADB")) {
    return new CacheCorruptError(location, { cause: error });
  }
  if (hasCode(code, "SQLITE_READONLY")) {
    return new CacheReadOnlyError(`${detail}; the cache is not writable`, { cause: error });
  }
  if (hasCode(code, "SQLITE_FULL")) {
    return new CacheFullError(`${detail}; free disk space and retry`, { cause: error });
  }
  return new CacheError(detail, { cause: error });
}
