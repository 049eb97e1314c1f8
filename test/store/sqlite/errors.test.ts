/**
 * SQLite-only: real better-sqlite3 failures mapped to the store's typed errors (stable codes, the
 * driver error kept as `cause`), and FTS5 syntax errors recognised so search can answer "no hits".
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CacheError, ConfigurationError } from "../../../packages/client/src/errors.js";
import {
  CacheBusyError,
  CacheCorruptError,
  CacheReadOnlyError,
} from "../../../packages/client/src/store/errors.js";
import {
  isFtsQueryError,
  mapSqliteError,
  sqliteCode,
} from "../../../packages/client/src/store/sqlite/errors.js";
import { makeTempDir } from "../fixtures.js";

function failure(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

describe("SQLite error mapping", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let path: string;
  beforeEach(() => {
    temp = makeTempDir();
    path = join(temp.dir, "x.db");
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    db.exec("CREATE TABLE t (a); CREATE VIRTUAL TABLE f USING fts5(body);");
    db.close();
  });
  afterEach(() => temp.cleanup());

  it("a write on a read-only connection becomes CacheReadOnlyError", () => {
    const db = new Database(path, { readonly: true });
    const error = failure(() => db.exec("INSERT INTO t VALUES (1)"));
    db.close();
    expect(sqliteCode(error)).toMatch(/^SQLITE_READONLY/);
    const mapped = mapSqliteError(error, path);
    expect(mapped).toBeInstanceOf(CacheReadOnlyError);
    expect(mapped).toMatchObject({ code: "D365_CACHE_READ_ONLY", cause: error });
  });

  it("a lock held past the busy timeout becomes CacheBusyError", () => {
    const holder = new Database(path);
    const waiter = new Database(path, { timeout: 10 });
    holder.exec("BEGIN IMMEDIATE");
    const error = failure(() => waiter.exec("BEGIN IMMEDIATE"));
    holder.exec("ROLLBACK");
    holder.close();
    waiter.close();
    expect(mapSqliteError(error, path)).toBeInstanceOf(CacheBusyError);
    expect(mapSqliteError(error, path)).toMatchObject({ code: "D365_CACHE_BUSY" });
  });

  it("a file that is not a database becomes CacheCorruptError naming the reset command", () => {
    const garbage = join(temp.dir, "garbage.db");
    writeFileSync(garbage, "not a database ".repeat(100));
    const db = new Database(garbage);
    const notADb = failure(() => db.pragma("user_version"));
    db.close();
    expect(sqliteCode(notADb)).toBe("SQLITE_NOTADB");
    const mapped = mapSqliteError(notADb, path) as CacheCorruptError;
    expect(mapped).toBeInstanceOf(CacheCorruptError);
    expect(mapped.message).toContain("d365fo cache reset");
  });

  it("recognises FTS5 query syntax errors; other errors pass through or become CacheError", () => {
    const db = new Database(path);
    const fts = failure(() => db.prepare("SELECT rowid FROM f WHERE f MATCH ?").all('"unterminated'));
    const missing = failure(() => db.prepare("SELECT nope FROM t").all());
    db.close();
    expect(isFtsQueryError(fts)).toBe(true);
    expect(isFtsQueryError(missing)).toBe(false);
    expect(mapSqliteError(missing, path)).toBeInstanceOf(CacheError);
    expect(mapSqliteError(missing, path)).toMatchObject({ code: "D365_CACHE" });
    // Library errors and non-SQLite errors are returned unchanged.
    const typed = new ConfigurationError("bad input");
    expect(mapSqliteError(typed, path)).toBe(typed);
    const bug = new TypeError("x is undefined");
    expect(mapSqliteError(bug, path)).toBe(bug);
  });
});
