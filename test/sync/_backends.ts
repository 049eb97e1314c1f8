/**
 * The store backends the sync's end-to-end tests run on. Each test names a store by a directory
 * of its own (a temp dir); a backend says where that store lives, so the same test (and its child
 * processes, which get the location through their environment) runs on every backend.
 *
 * SQLite is the store file in the directory. A PostgreSQL backend returns the same directory as
 * the cache directory plus a URL of a database kept for that directory (one database per store),
 * and sets `sharedAcrossCacheDirs`: processes with different cache directories (machines) then
 * share one store by using the same URL.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { DEFAULT_STORE_FILE_NAME, openMetadataStore } from "../../packages/client/src/store/index.js";
import type { MetadataStore, StoreBackend } from "../../packages/client/src/store/types.js";
import { createTestDatabase } from "../_support/postgres-database.js";

/** What `openMetadataStore` needs to open one store. */
export interface StoreLocation {
  cacheDir: string;
  /** Absent: the SQLite file in `cacheDir`. */
  cacheUrl?: string;
}

export interface SyncStoreBackend {
  readonly name: StoreBackend;
  /** True when two cache directories can point at one store (a database server: two machines). */
  readonly sharedAcrossCacheDirs: boolean;
  /** Where the store named by `dir` lives; the same `dir` always gives the same store. */
  locate(dir: string): Promise<StoreLocation>;
  /** Every byte the backend persisted for the store named by `dir` (to look for leaked secrets). */
  persistedBytes(dir: string): Promise<Buffer[]>;
}

const sqlite: SyncStoreBackend = {
  name: "sqlite",
  sharedAcrossCacheDirs: false,
  locate: async (dir) => ({ cacheDir: dir }),
  persistedBytes: async (dir) =>
    existsSync(dir)
      ? readdirSync(dir)
          .filter((file) => file.startsWith(DEFAULT_STORE_FILE_NAME))
          .map((file) => readFileSync(join(dir, file)))
      : [],
};

/**
 * PostgreSQL: one database (on the run's embedded server) per store directory, created on first
 * use. The cache directory stays the test's own, so two directories with one URL are two machines
 * sharing one team store.
 */
function postgres(): SyncStoreBackend {
  const databases = new Map<string, Promise<string>>();
  const urlOf = (dir: string) => {
    let url = databases.get(dir);
    if (!url) {
      url = createTestDatabase("d365fo_sync").then((database) => database.url);
      databases.set(dir, url);
    }
    return url;
  };
  return {
    name: "postgres",
    sharedAcrossCacheDirs: true,
    locate: async (dir) => ({ cacheDir: dir, cacheUrl: await urlOf(dir) }),
    async persistedBytes(dir) {
      if (!databases.has(dir)) return [];
      // Every row of every table of the store, as text (what a dump of the database would hold).
      const client = new pg.Client({ connectionString: await urlOf(dir) });
      await client.connect();
      try {
        const tables = await client.query<{ name: string }>(
          "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()",
        );
        const chunks: Buffer[] = [];
        for (const { name } of tables.rows) {
          const rows = await client.query<{ row: string }>(
            `SELECT t::text AS row FROM ${client.escapeIdentifier(name)} t`,
          );
          chunks.push(Buffer.from(rows.rows.map((r) => r.row).join("\n"), "utf8"));
        }
        return chunks;
      } finally {
        await client.end();
      }
    },
  };
}

/** The backends every sync end-to-end test runs on. */
export function syncStoreBackends(): SyncStoreBackend[] {
  return [sqlite, postgres()];
}

/**
 * Opens the store at `location`. An absent URL is passed as "none" so that a `D365FO_CACHE_URL`
 * in the developer's shell cannot turn a SQLite run into a run against their team database.
 */
export function openStoreAt(location: StoreLocation): Promise<MetadataStore> {
  return openMetadataStore({ cacheDir: location.cacheDir, cacheUrl: location.cacheUrl ?? "" });
}

/** Opens the store named by `dir` on `backend`. */
export async function openBackendStore(backend: SyncStoreBackend, dir: string): Promise<MetadataStore> {
  return openStoreAt(await backend.locate(dir));
}

/** Environment variables that give a child process (kill-child.ts) the store at `location`. */
export function storeLocationEnv(location: StoreLocation): Record<string, string> {
  return { SYNC_CACHE_DIR: location.cacheDir, SYNC_CACHE_URL: location.cacheUrl ?? "" };
}

/** The location a child process was given by `storeLocationEnv`. */
export function storeLocationFromEnv(env: NodeJS.ProcessEnv): StoreLocation | undefined {
  const cacheDir = env.SYNC_CACHE_DIR;
  if (!cacheDir) return undefined;
  const cacheUrl = env.SYNC_CACHE_URL;
  return cacheUrl ? { cacheDir, cacheUrl } : { cacheDir };
}
