/**
 * Opening the SQLite file safely and the connection every module of this folder works through.
 *
 * - A missing cache directory is created owner-only (0700); an existing one is never changed, but
 *   one writable by group/other is reported (logger and `locationWarnings`).
 * - The database file is never followed through a symbolic link (refused, and a dangling link
 *   never creates a file); a new file is created 0600 with O_EXCL | O_NOFOLLOW.
 * - A cache the user cannot write (no owner write bit on the file or directory, or no access) is
 *   opened read-only: reads and search work, writes reject with `CacheReadOnlyError`, no
 *   permission is changed. In a read-only directory SQLite cannot create the WAL index, so the
 *   file is then read into memory (a snapshot).
 * - Forward migrations run under an exclusive write transaction (two processes opening a fresh
 *   file do not both migrate); a newer schema is refused.
 */
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
} from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { CacheError, SchemaTooNewError } from "../../errors.js";
import type { Logger } from "../../logging.js";
import { CacheClosedError, CacheLocationError, CacheReadOnlyError } from "../errors.js";
import { mapSqliteError, sqliteCode } from "./errors.js";
import { MIGRATIONS, type Migration, SCHEMA_VERSION } from "./schema.js";

export type SqliteDatabase = Database.Database;
export type SqliteStatement = Database.Statement<unknown[], unknown>;

export const BUSY_TIMEOUT_MS = 10_000;

const POSIX = process.platform !== "win32";

function canWrite(path: string, mode: number): boolean {
  // The owner write bit is honoured even for root, who bypasses it: a 0400 cache is meant read-only.
  if (POSIX && (mode & 0o200) === 0) return false;
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export interface PreparedLocation {
  readOnly: boolean;
  /** Problems worth reporting that did not prevent opening (e.g. a world-writable directory). */
  warnings: string[];
}

/** Creates or checks the directory and the file; decides whether the store must be read-only. */
export function prepareLocation(path: string, logger?: Logger): PreparedLocation {
  const dir = dirname(path);
  const warnings: string[] = [];
  let dirStat: ReturnType<typeof statSync> | undefined;
  try {
    dirStat = statSync(dir);
  } catch {
    dirStat = undefined;
  }
  if (dirStat === undefined) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // mkdir's mode is filtered by the umask; the cache holds tenant metadata, keep it private.
      chmodSync(dir, 0o700);
      dirStat = statSync(dir);
    } catch (error) {
      throw new CacheReadOnlyError(`Cannot create the metadata cache directory ${dir}`, { cause: error });
    }
  } else if (!dirStat.isDirectory()) {
    throw new CacheLocationError(`The metadata cache directory ${dir} is not a directory`);
  } else if (POSIX && (Number(dirStat.mode) & 0o022) !== 0) {
    // Not ours to change: we did not create it. Others could replace the cache file.
    const mode = (Number(dirStat.mode) & 0o777).toString(8);
    warnings.push(
      `cache directory ${dir} is writable by group or others (mode ${mode}); run chmod 700 on it`,
    );
    logger?.warn({ dir, mode }, "metadata cache directory is writable by group or others");
  }
  const dirWritable = canWrite(dir, Number(dirStat.mode));

  let fileStat: ReturnType<typeof lstatSync> | undefined;
  try {
    fileStat = lstatSync(path);
  } catch {
    fileStat = undefined;
  }
  if (fileStat === undefined) {
    if (!dirWritable) {
      throw new CacheReadOnlyError(
        `Cannot create the metadata cache ${path}: the directory ${dir} is not writable`,
      );
    }
    try {
      // O_EXCL | O_NOFOLLOW: a link planted meanwhile is neither followed nor overwritten.
      const flags = constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | (constants.O_NOFOLLOW ?? 0);
      closeSync(openSync(path, flags, 0o600));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new CacheError(`Cannot create the metadata cache file ${path}`, { cause: error });
      }
      return prepareLocation(path, logger);
    }
    return { readOnly: false, warnings };
  }
  if (fileStat.isSymbolicLink()) {
    throw new CacheLocationError(
      `The metadata cache ${path} is a symbolic link; refusing to follow it (point D365FO_CACHE_DIR at the real directory instead)`,
    );
  }
  if (!fileStat.isFile()) throw new CacheLocationError(`The metadata cache ${path} is not a regular file`);
  const fileMode = Number(fileStat.mode);
  if (!canWrite(path, fileMode) || !dirWritable) {
    logger?.info({ location: path }, "metadata cache is not writable; opened read-only");
    return { readOnly: true, warnings };
  }
  const ownUid = typeof process.getuid === "function" ? process.getuid() : undefined;
  if (POSIX && (fileMode & 0o077) !== 0 && ownUid !== undefined && Number(fileStat.uid) === ownUid) {
    chmodSync(path, 0o600);
  }
  return { readOnly: false, warnings };
}

/**
 * Applies `migrations` with a version above the file's `user_version`, each in its own
 * immediate transaction; `afterMigration` runs inside the same transaction (data back-fills).
 */
export function migrate(
  db: SqliteDatabase,
  location: string,
  migrations: readonly Migration[] = MIGRATIONS,
  afterMigration?: (db: SqliteDatabase, migration: Migration) => void,
): { from: number; to: number } {
  const supported = migrations.length === 0 ? 0 : migrations[migrations.length - 1].version;
  const from = db.pragma("user_version", { simple: true }) as number;
  if (from > supported) throw new SchemaTooNewError(from, supported, location);
  let current = from;
  // Nothing to do (the usual case) takes no write lock: opening never waits for a writer.
  for (const migration of migrations.filter((m) => m.version > from)) {
    const step = db.transaction(() => {
      const found = db.pragma("user_version", { simple: true }) as number;
      if (found >= migration.version) return found;
      if (found !== migration.version - 1) {
        throw new CacheError(
          `Metadata cache ${location} is at schema version ${found}; cannot apply migration ${migration.version}`,
        );
      }
      db.exec(migration.up);
      afterMigration?.(db, migration);
      db.pragma(`user_version = ${migration.version}`);
      return migration.version;
    });
    current = step.immediate();
  }
  return { from, to: current };
}

export interface OpenConnectionOptions {
  logger?: Logger;
  /** How long a statement waits for another connection's lock (default 10 s). */
  busyTimeoutMs?: number;
  afterMigration?: (db: SqliteDatabase, migration: Migration) => void;
}

function openReadOnly(path: string, timeout: number, logger?: Logger): SqliteDatabase {
  let db: SqliteDatabase | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout });
    // The first read opens the WAL index: that is where a read-only directory fails.
    db.pragma("user_version", { simple: true });
    return db;
  } catch (error) {
    db?.close();
    const code = sqliteCode(error) ?? "";
    if (!code.startsWith("SQLITE_READONLY") && !code.startsWith("SQLITE_CANTOPEN")) throw error;
  }
  // A WAL file in a directory we cannot write: SQLite cannot create its shared-memory index.
  const image = readFileSync(path);
  // Bytes 18-19 say "WAL"; an in-memory copy has no WAL, so mark it rollback-journal.
  if (image.length >= 20 && image[18] === 2 && image[19] === 2) {
    image[18] = 1;
    image[19] = 1;
  }
  let walBytes = 0;
  try {
    walBytes = statSync(`${path}-wal`).size;
  } catch {
    // No WAL file: the snapshot is complete.
  }
  if (walBytes > 0) {
    logger?.warn({ location: path, walBytes }, "read-only snapshot omits changes still in the WAL file");
  } else {
    logger?.info({ location: path }, "metadata cache directory is read-only; serving an in-memory snapshot");
  }
  return new Database(image, { readonly: true });
}

/**
 * WAL is persistent, so it is switched on once. Switching needs a lock that SQLite does not wait
 * for (the busy handler is not called): when several processes open a new store at once, one can
 * be refused at once with SQLITE_BUSY. So check first, and retry the switch until `timeoutMs`.
 */
function enableWal(db: SqliteDatabase, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (String(db.pragma("journal_mode", { simple: true })).toLowerCase() === "wal") return;
      db.pragma("journal_mode = WAL");
      return;
    } catch (error) {
      const code = String((error as { code?: unknown }).code ?? "");
      if (!/^SQLITE_(BUSY|LOCKED)/.test(code) || Date.now() >= deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

/** Opens the database (read-only when the location requires it), applies pragmas and migrations. */
export function openDatabase(
  path: string,
  options: OpenConnectionOptions = {},
): { db: SqliteDatabase; readOnly: boolean; warnings: string[] } {
  const { readOnly, warnings } = prepareLocation(path, options.logger);
  const timeout = Math.max(0, Math.floor(options.busyTimeoutMs ?? BUSY_TIMEOUT_MS));
  let db: SqliteDatabase | undefined;
  try {
    if (readOnly) {
      db = openReadOnly(path, timeout, options.logger);
      const found = db.pragma("user_version", { simple: true }) as number;
      if (found > SCHEMA_VERSION) throw new SchemaTooNewError(found, SCHEMA_VERSION, path);
      if (found < SCHEMA_VERSION) {
        throw new CacheReadOnlyError(
          `Metadata cache ${path} needs an upgrade (schema ${found} to ${SCHEMA_VERSION}) but is not writable`,
        );
      }
      return { db, readOnly, warnings };
    }
    db = new Database(path, { timeout });
    db.pragma(`busy_timeout = ${timeout}`);
    enableWal(db, timeout);
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    // Keeps a large sync's transaction in memory instead of spilling to the WAL repeatedly.
    db.pragma("cache_size = -65536");
    const { from, to } = migrate(db, path, MIGRATIONS, options.afterMigration);
    if (from !== to) options.logger?.info({ location: path, from, to }, "metadata store migrated");
    return { db, readOnly, warnings };
  } catch (error) {
    db?.close();
    throw mapSqliteError(error, path);
  }
}

/** Thrown inside a transaction to roll it back on purpose (cleanup dry runs). */
export class DryRunRollback extends Error {}

/**
 * One open database with cached prepared statements and the transaction helpers. The modules of
 * this folder are functions over it; `SqliteMetadataStore` composes them.
 */
export class SqliteConnection {
  readonly location: string;
  readonly db: SqliteDatabase;
  readonly readOnly: boolean;
  readonly warnings: readonly string[];
  readonly logger: Logger;
  private readonly statements = new Map<string, SqliteStatement>();
  private closed = false;
  /** Called after every write that changes a version's content (search scopes depend on it). */
  onContentChange: () => void = () => {};

  constructor(location: string, opened: ReturnType<typeof openDatabase>, logger: Logger) {
    this.location = location;
    this.db = opened.db;
    this.readOnly = opened.readOnly;
    this.warnings = opened.warnings;
    this.logger = logger;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  assertOpen(): void {
    if (this.closed) throw new CacheClosedError(this.location);
  }

  /** Prepared statements are compiled once per SQL text and reused. */
  stmt(sql: string): SqliteStatement {
    let statement = this.statements.get(sql);
    if (!statement) {
      this.assertOpen();
      statement = this.db.prepare<unknown[], unknown>(sql);
      this.statements.set(sql, statement);
    } else if (this.closed) {
      throw new CacheClosedError(this.location);
    }
    return statement;
  }

  get<T>(sql: string, ...params: unknown[]): T | undefined {
    return this.stmt(sql).get(...params) as T | undefined;
  }

  all<T>(sql: string, ...params: unknown[]): T[] {
    return this.stmt(sql).all(...params) as T[];
  }

  /** Rows as arrays in column order: about twice as fast as objects for wide rows on hot read paths. */
  allRaw(sql: string, ...params: unknown[]): unknown[][] {
    const key = `raw\u0000${sql}`;
    let statement = this.statements.get(key);
    if (!statement) {
      this.assertOpen();
      statement = this.db.prepare<unknown[], unknown>(sql).raw(true);
      this.statements.set(key, statement);
    } else if (this.closed) {
      throw new CacheClosedError(this.location);
    }
    return statement.all(...params) as unknown[][];
  }

  run(sql: string, ...params: unknown[]): number {
    return this.stmt(sql).run(...params).changes;
  }

  /** Runs `fn` in a `BEGIN IMMEDIATE` transaction (takes the write lock up front: no upgrade deadlocks). */
  write<T>(fn: () => T): T {
    this.assertOpen();
    if (this.readOnly) {
      throw new CacheReadOnlyError(
        `Metadata cache ${this.location} is read-only (the file or its directory is not writable); make it writable or use another cache directory`,
      );
    }
    return this.db.transaction(fn).immediate();
  }

  /** A write that changes which definitions or label texts a version contains. */
  writeContent<T>(fn: () => T): T {
    try {
      return this.write(fn);
    } finally {
      this.onContentChange();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.statements.clear();
    if (!this.readOnly) {
      try {
        // Cheap, and keeps the planner's statistics current for the next process.
        this.db.pragma("optimize");
      } catch {
        // Busy: statistics can wait.
      }
    }
    this.db.close();
  }
}

/**
 * Deletes the store file and its `-wal` / `-shm` companions; returns the paths removed. Refuses a
 * symbolic link (its target is not ours to delete) and anything that is not a regular file.
 */
export function removeSqliteStoreFiles(path: string): string[] {
  const removed: string[] = [];
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    let stat: ReturnType<typeof lstatSync>;
    try {
      stat = lstatSync(file);
    } catch {
      continue;
    }
    if (!stat.isFile()) {
      throw new CacheLocationError(`${file} is not a regular file (a link or a directory); not deleting it`);
    }
    try {
      unlinkSync(file);
    } catch (error) {
      throw new CacheError(`Cannot delete ${file}`, { cause: error });
    }
    removed.push(file);
  }
  return removed;
}
