/**
 * Opens a Python `d365fo-client` cache file without ever writing to it or beside it.
 *
 * The files are in WAL mode: even a read-only open creates `-wal`/`-shm` next to the file, which
 * fails in a folder the user cannot write and would change the user's folder. This build of
 * SQLite takes no URI filenames (so no `immutable=1`), hence the file (and its `-wal`, if one holds
 * committed pages) is copied into a private temporary folder and the copy is opened. The source
 * is only read by `copyFile`. Before copying, the header is checked: not SQLite, or cut short
 * against the page count the header declares, is a typed error.
 */
import {
  closeSync,
  constants,
  copyFileSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { MigrationSourceError } from "../../../migration/errors.js";
import type { PythonCacheFile, PythonCacheReader } from "../../../migration/types.js";
import { detectLayout, type TableColumns } from "./layout.js";
import { SqlitePythonCacheReader } from "./reader.js";

const SQLITE_MAGIC = "SQLite format 3\u0000";

interface Header {
  pageSize: number;
  pageCount: number | null;
}

function readHeader(path: string): Header {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw new MigrationSourceError("unreadable", path, `Cannot read ${path}`, { cause: error });
  }
  try {
    const header = Buffer.alloc(100);
    const read = readSync(fd, header, 0, 100, 0);
    if (read < 100 || header.toString("latin1", 0, 16) !== SQLITE_MAGIC) {
      throw new MigrationSourceError("notSqlite", path, `${path} is not an SQLite database`);
    }
    const raw = header.readUInt16BE(16);
    const pageSize = raw === 1 ? 65536 : raw;
    // The in-header size is valid only when the change counter equals "version-valid-for".
    const valid = header.readUInt32BE(24) === header.readUInt32BE(92);
    const pageCount = valid ? header.readUInt32BE(28) : null;
    return { pageSize, pageCount };
  } finally {
    closeSync(fd);
  }
}

function statOrNull(path: string): { size: number; mtime: Date } | null {
  try {
    const s = statSync(path);
    return s.isFile() ? { size: s.size, mtime: s.mtime } : null;
  } catch {
    return null;
  }
}

function tableColumns(db: Database.Database): TableColumns {
  const tables = new Map<string, Set<string>>();
  const names = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .pluck()
    .all() as string[];
  for (const name of names) {
    // Virtual tables (FTS5 with contentless_delete) may need a newer module: skip what cannot be described.
    try {
      const cols = db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(name) as string[];
      tables.set(name, new Set(cols));
    } catch {
      tables.set(name, new Set());
    }
  }
  return tables;
}

function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === "SQLITE_CORRUPT" || code === "SQLITE_NOTADB" || code === "SQLITE_IOERR_SHORT_READ";
}

/** Opens `path` read-only (through a private copy); rejects with a `MigrationSourceError`. */
export async function openPythonCache(path: string): Promise<PythonCacheReader> {
  const stat = statOrNull(path);
  if (!stat) throw new MigrationSourceError("unreadable", path, `${path} is not a readable file`);
  const header = readHeader(path);
  if (header.pageCount !== null && stat.size < header.pageCount * header.pageSize) {
    throw new MigrationSourceError(
      "corrupt",
      path,
      `${path} is cut short: ${stat.size} bytes, its header declares ${header.pageCount * header.pageSize}`,
    );
  }
  const wal = statOrNull(`${path}-wal`);
  const hasWal = wal !== null && wal.size > 0;

  const dir = mkdtempSync(join(tmpdir(), "d365fo-python-cache-"));
  const copy = join(dir, "source.db");
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  let db: Database.Database | undefined;
  try {
    copyFileSync(path, copy, constants.COPYFILE_FICLONE);
    if (hasWal) copyFileSync(`${path}-wal`, `${copy}-wal`, constants.COPYFILE_FICLONE);
    db = new Database(copy, { fileMustExist: true });
    db.pragma("query_only = ON");
    const userVersion = db.pragma("user_version", { simple: true }) as number;
    const verdict = detectLayout(tableColumns(db));
    if (verdict.kind === "notPythonCache") {
      throw new MigrationSourceError(
        "notPythonCache",
        path,
        `${path} is an SQLite database but not a Python d365fo-client cache (no metadata_environments tables)`,
      );
    }
    if (verdict.kind === "unknownLayout" || userVersion !== 0) {
      throw new MigrationSourceError(
        "unknownLayout",
        path,
        `${path} has a Python cache layout this version cannot import (${
          verdict.kind === "unknownLayout" ? verdict.reason : `user_version ${userVersion}`
        }); nothing was imported`,
      );
    }
    const file: PythonCacheFile = {
      path,
      layout: verdict.layout,
      sizeBytes: stat.size + (hasWal ? (wal?.size ?? 0) : 0),
      modifiedAt: hasWal && wal && wal.mtime > stat.mtime ? wal.mtime : stat.mtime,
      hasWal,
    };
    return new SqlitePythonCacheReader(db, file, cleanup);
  } catch (error) {
    db?.close();
    cleanup();
    if (error instanceof MigrationSourceError) throw error;
    if (isCorruption(error)) {
      throw new MigrationSourceError("corrupt", path, `${path} is a damaged SQLite database`, {
        cause: error,
      });
    }
    throw new MigrationSourceError("unreadable", path, `Cannot open ${path} as a Python cache`, {
      cause: error,
    });
  }
}

export { isCorruption };
