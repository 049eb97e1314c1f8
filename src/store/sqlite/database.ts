/**
 * Opening the SQLite file: owner-only permissions, pragmas, forward migrations under an
 * exclusive write transaction (so two processes opening a fresh file do not both migrate), and
 * refusal of files written by a newer schema.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { CacheError, SchemaTooNewError } from "../../errors.js";
import type { Logger } from "../../logging.js";
import { MIGRATIONS, type Migration, SCHEMA_VERSION } from "./schema.js";

export type SqliteDatabase = Database.Database;
export type SqliteStatement = Database.Statement<unknown[], unknown>;

export const BUSY_TIMEOUT_MS = 10_000;

function ensureOwnerOnlyFile(path: string): void {
  const dir = dirname(path);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // mkdir's mode is filtered by the umask; the cache holds tenant metadata, keep it private.
    chmodSync(dir, 0o700);
  }
  if (!existsSync(path)) closeSync(openSync(path, "a", 0o600));
  chmodSync(path, 0o600);
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

export interface OpenDatabaseOptions {
  logger?: Logger;
  /** How long a statement waits for another connection's lock (default 10 s). */
  busyTimeoutMs?: number;
  afterMigration?: (db: SqliteDatabase, migration: Migration) => void;
}

export function openDatabase(path: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  try {
    ensureOwnerOnlyFile(path);
  } catch (error) {
    throw new CacheError(`Cannot create the metadata cache file ${path}`, { cause: error });
  }
  let db: SqliteDatabase | undefined;
  try {
    const timeout = Math.max(0, Math.floor(options.busyTimeoutMs ?? BUSY_TIMEOUT_MS));
    db = new Database(path, { timeout });
    db.pragma(`busy_timeout = ${timeout}`);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    // Keeps a large sync's transaction in memory instead of spilling to the WAL repeatedly.
    db.pragma("cache_size = -65536");
    const { from, to } = migrate(db, path, MIGRATIONS, options.afterMigration);
    if (from !== to) options.logger?.info({ location: path, from, to }, "metadata store migrated");
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof CacheError) throw error;
    const code = (error as { code?: string }).code;
    throw new CacheError(`Cannot open the metadata cache ${path}: ${(error as Error).message}`, {
      cause: error,
      code: code === "SQLITE_BUSY" || code === "SQLITE_LOCKED" ? "D365_CACHE_BUSY" : "D365_CACHE",
    });
  }
}

export { SCHEMA_VERSION };
