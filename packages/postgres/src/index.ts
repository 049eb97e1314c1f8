/**
 * The PostgreSQL backend: `openPostgresStore({ url })` connects a pool, creates or migrates the
 * schema (advisory-locked, so machines starting together are safe) and returns the store. Loaded
 * only when a PostgreSQL cache URL is configured, so the driver never loads for SQLite users.
 */
import { type Logger, silentLogger } from "d365fo-client";
import type { MetadataStore, StoreInspection } from "d365fo-client/backend";
import { migrate, PgConnection } from "./connection.js";
import { PostgresMetadataStore } from "./store.js";

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (or `postgresql://`); libpq query parameters allowed. */
  url: string;
  logger?: Logger;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Schema holding the tables (default `public`); created if absent. */
  schema?: string;
}

export async function openPostgresStore(
  options: PostgresStoreOptions,
): Promise<MetadataStore & StoreInspection> {
  const logger = options.logger ?? silentLogger;
  const db = new PgConnection({
    url: options.url,
    poolSize: options.poolSize,
    schema: options.schema,
    logger,
  });
  try {
    const { from, to } = await migrate((fn) => db.transaction(fn), db.schema, db.location);
    if (from !== to) logger.info({ location: db.location, from, to }, "metadata store migrated");
  } catch (error) {
    await db.close().catch(() => undefined);
    throw db.storeError(error, "opening");
  }
  return new PostgresMetadataStore(db, logger);
}
