/**
 * The connection pool and the two ways the adapter talks to it: a single statement (`query`,
 * auto-commit, any pooled connection) and a transaction (`transaction`, one connection, retried
 * as a whole on serialization failures and deadlocks). Every driver error leaves here as a typed
 * `D365Error` (errors.ts).
 */

import type { Logger } from "d365fo-client";
import { CacheClosedError, ConfigurationError, SchemaTooNewError } from "d365fo-client";
import pg from "pg";
import { type ErrorContext, isRetryable, toStoreError } from "./errors.js";
import { MIGRATIONS, type Migration } from "./schema.js";

export type Row = Record<string, unknown>;

/** What a statement runner offers: the pool (auto-commit) or one transaction's connection. */
export interface Queryable {
  query<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** A hot read as a named prepared statement: parsed and planned once per connection. */
  prepared<T = Row>(name: string, sql: string, params: readonly unknown[]): Promise<T[]>;
  /** Rows changed by an INSERT / UPDATE / DELETE. */
  execute(sql: string, params?: readonly unknown[]): Promise<number>;
}

const MAX_ATTEMPTS = 8;

/** The URL without user and password, for messages and `describe()`. */
export function publicLocation(url: string): { location: string; secret?: string } {
  try {
    const parsed = new URL(url);
    const secret = parsed.password ? decodeURIComponent(parsed.password) : undefined;
    parsed.username = "";
    parsed.password = "";
    for (const key of [...parsed.searchParams.keys()]) {
      if (/pass|secret|key|token/i.test(key)) parsed.searchParams.delete(key);
    }
    return { location: parsed.toString(), secret };
  } catch {
    return { location: "postgres://(unparseable URL)" };
  }
}

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`;

export interface ConnectionOptions {
  url: string;
  poolSize?: number;
  /** Schema holding the tables (default `public`). */
  schema?: string;
  logger: Logger;
}

class ClientRunner implements Queryable {
  constructor(private readonly client: pg.PoolClient) {}

  async query<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return (await this.client.query(sql, params as unknown[])).rows as T[];
  }

  async prepared<T = Row>(name: string, sql: string, params: readonly unknown[]): Promise<T[]> {
    return (await this.client.query({ name, text: sql, values: params as unknown[] })).rows as T[];
  }

  async execute(sql: string, params?: readonly unknown[]): Promise<number> {
    return (await this.client.query(sql, params as unknown[])).rowCount ?? 0;
  }
}

export class PgConnection implements Queryable {
  readonly location: string;
  readonly schema: string;
  private readonly pool: pg.Pool;
  private readonly context: ErrorContext;
  private readonly logger: Logger;
  private closed = false;

  constructor(options: ConnectionOptions) {
    const { location, secret } = publicLocation(options.url);
    this.location = location;
    this.context = { location, secret };
    this.logger = options.logger;
    this.schema = options.schema ?? "public";
    if (!/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(this.schema)) {
      throw new ConfigurationError(`Invalid PostgreSQL schema name ${JSON.stringify(this.schema)}`);
    }
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: Math.max(1, Math.floor(options.poolSize ?? 10)),
      connectionTimeoutMillis: 15_000,
      idleTimeoutMillis: 30_000,
      // pg_trgm lives in `public` when the tables live in another schema.
      // Named statements (hot reads, search) keep one generic plan per connection: planning the
      // search statement costs more than running it, and its generic plan reads the GIN index.
      options: `-c search_path=${quoteIdentifier(this.schema)},public -c plan_cache_mode=force_generic_plan`,
      application_name: "d365fo-client",
    });
    // An idle connection dropped by the server must not crash the process; the next query reconnects.
    this.pool.on("error", (error) => {
      this.logger.warn({ err: toStoreError(error, this.context).message }, "metadata store connection lost");
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new CacheClosedError(this.location);
  }

  /** The error as the library's, with this store's location and without credentials. */
  storeError(error: unknown, doing?: string) {
    return toStoreError(error, this.context, doing);
  }

  async query<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    this.assertOpen();
    try {
      return (await this.pool.query(sql, params as unknown[])).rows as T[];
    } catch (error) {
      throw this.storeError(error);
    }
  }

  async prepared<T = Row>(name: string, sql: string, params: readonly unknown[]): Promise<T[]> {
    this.assertOpen();
    try {
      return (await this.pool.query({ name, text: sql, values: params as unknown[] })).rows as T[];
    } catch (error) {
      throw this.storeError(error);
    }
  }

  async execute(sql: string, params?: readonly unknown[]): Promise<number> {
    this.assertOpen();
    try {
      return (await this.pool.query(sql, params as unknown[])).rowCount ?? 0;
    } catch (error) {
      throw this.storeError(error);
    }
  }

  /**
   * Runs `fn` in one transaction on one connection (READ COMMITTED unless told otherwise).
   * Serialization failures and deadlocks roll back and run `fn` again, with a growing random
   * pause, so concurrent machines converge instead of failing; `fn` must therefore only touch the
   * database and its own locals. A rollback requested by `fn` (`rollback: true`) keeps nothing.
   */
  async transaction<T>(
    fn: (tx: Queryable) => Promise<T>,
    options: { isolation?: "read committed" | "repeatable read" | "serializable"; rollback?: boolean } = {},
  ): Promise<T> {
    this.assertOpen();
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (error) {
        throw this.storeError(error, "connecting");
      }
      let broken = false;
      try {
        await client.query(`BEGIN ISOLATION LEVEL ${(options.isolation ?? "read committed").toUpperCase()}`);
        const result = await fn(new ClientRunner(client));
        await client.query(options.rollback ? "ROLLBACK" : "COMMIT");
        return result;
      } catch (error) {
        try {
          await client.query("ROLLBACK");
        } catch {
          broken = true;
        }
        if (isRetryable(error) && attempt < MAX_ATTEMPTS) {
          const pauseMs = Math.random() * 20 * 2 ** Math.min(attempt, 6);
          this.logger.debug(
            { attempt, pauseMs, code: (error as { code?: string }).code },
            "transaction retried",
          );
          await new Promise((resolve) => setTimeout(resolve, pauseMs));
          continue;
        }
        throw this.storeError(error);
      } finally {
        client.release(broken);
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/** A column of a bulk insert: its name and PostgreSQL type (the array parameter is `type[]`). */
export type BulkColumn = readonly [name: string, type: string];

/**
 * `INSERT … SELECT FROM unnest($1::t1[], $2::t2[], …)`: any number of rows in one statement and
 * one round trip, each column sent as one array parameter. `suffix` adds ON CONFLICT / RETURNING.
 */
export async function bulkInsert<T = Row>(
  db: Queryable,
  table: string,
  columns: readonly BulkColumn[],
  rows: readonly (readonly unknown[])[],
  suffix = "",
): Promise<{ count: number; rows: T[] }> {
  if (rows.length === 0) return { count: 0, rows: [] };
  const arrays = columns.map((_, i) => rows.map((row) => row[i] ?? null));
  const sql = `INSERT INTO ${table} (${columns.map(([name]) => name).join(", ")})
    SELECT * FROM unnest(${columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(", ")}) ${suffix}`;
  if (/\bRETURNING\b/i.test(suffix)) {
    const returned = await db.query<T>(sql, arrays);
    return { count: returned.length, rows: returned };
  }
  return { count: await db.execute(sql, arrays), rows: [] };
}

/**
 * Metadata writes hold this advisory lock shared and cleanup holds it exclusively (both until
 * commit), so cleanup never deletes a definition a concurrent write has just found and reuses.
 */
export async function lockMetadata(tx: Queryable, mode: "shared" | "exclusive"): Promise<void> {
  await tx.query(
    `SELECT ${mode === "shared" ? "pg_advisory_xact_lock_shared" : "pg_advisory_xact_lock"}(hashtext('d365fo-client:metadata'))`,
  );
}

/** Serialises migrations of one schema across processes and machines (held until commit). */
const MIGRATION_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('d365fo-client:migrate:' || $1))";

/**
 * Creates or migrates the schema in one transaction under an advisory lock, so processes starting
 * together on a fresh database do not race (DDL is transactional in PostgreSQL: a failed
 * migration leaves nothing behind). Refuses a schema newer than this library's.
 */
export async function migrate(
  transaction: <T>(fn: (tx: Queryable) => Promise<T>) => Promise<T>,
  schema: string,
  location: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<{ from: number; to: number }> {
  const supported = migrations.length === 0 ? 0 : migrations[migrations.length - 1].version;
  return transaction(async (tx) => {
    await tx.query(MIGRATION_LOCK_SQL, [schema]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
    // Trusted extension (PostgreSQL 13+): a database owner may create it. Kept in public so that
    // several schemas of one database share it.
    const trgm = await tx.query("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'");
    if (trgm.length === 0) await tx.query("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public");
    await tx.query(`SET LOCAL search_path TO ${quoteIdentifier(schema)}, public`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS d365fo_schema_version (
         singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
         version integer NOT NULL,
         migrated_at timestamptz NOT NULL DEFAULT now())`,
    );
    const rows = await tx.query<{ version: number }>("SELECT version FROM d365fo_schema_version");
    const from = rows.length === 0 ? 0 : rows[0].version;
    if (from > supported) throw new SchemaTooNewError(from, supported, location);
    for (const migration of migrations.filter((m) => m.version > from)) {
      await tx.query(migration.up);
    }
    if (from !== supported) {
      await tx.query(
        `INSERT INTO d365fo_schema_version (singleton, version) VALUES (true, $1)
         ON CONFLICT (singleton) DO UPDATE SET version = excluded.version, migrated_at = now()`,
        [supported],
      );
    }
    return { from, to: Math.max(from, supported) };
  });
}
