/**
 * `openMetadataStore`: picks the backend from configuration. A PostgreSQL URL (`cacheUrl`, else
 * `D365FO_CACHE_URL`) loads the PostgreSQL adapter (and its driver) on demand; otherwise the store
 * is the SQLite file in the cache directory, the embedded default.
 */
import { join } from "node:path";
import { ConfigurationError } from "../errors.js";
import type { Logger } from "../logging.js";
import { DEFAULT_STORE_FILE_NAME, resolveCacheDir } from "./cache-dir.js";
import { openSqliteStore } from "./sqlite/index.js";
import type { MetadataStore } from "./types.js";

export interface OpenMetadataStoreOptions {
  /**
   * A PostgreSQL URL (`postgres://…` / `postgresql://…`) for a store shared by a team; defaults to
   * `D365FO_CACHE_URL`. Without one the store is the SQLite file in the cache directory.
   */
  cacheUrl?: string;
  /** Cache directory; defaults to `resolveCacheDir()` (D365FO_CACHE_DIR, else the user cache dir). */
  cacheDir?: string;
  /** Database file name inside the cache directory (default `metadata-v2.db`). */
  fileName?: string;
  logger?: Logger;
  /** How long a statement waits for another process's lock before failing (default 10 s). */
  busyTimeoutMs?: number;
}

const POSTGRES_URL = /^postgres(?:ql)?:\/\//i;

/** The PostgreSQL backend ships separately, so a single user's install stays free of `pg`. */
export const POSTGRES_BACKEND_PACKAGE = "@d365fo/postgres";

/** What the library needs from the `@d365fo/postgres` package. */
interface PostgresBackendModule {
  openPostgresStore(options: { url: string; logger?: Logger }): Promise<MetadataStore>;
}

/** Loads the backend package (`specifier` is a parameter only so a test can name an absent one). */
export async function loadPostgresBackend(
  specifier: string = POSTGRES_BACKEND_PACKAGE,
): Promise<PostgresBackendModule> {
  try {
    // A variable specifier: the backend depends on this package, not the other way round.
    return (await import(specifier)) as PostgresBackendModule;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ERR_MODULE_NOT_FOUND" || !String(error).includes(specifier)) throw error;
    throw new ConfigurationError(
      `A PostgreSQL cache URL needs the ${specifier} package: npm install ${specifier}`,
      { cause: error },
    );
  }
}

/** The PostgreSQL URL configured by `options.cacheUrl` or `D365FO_CACHE_URL`, if any. */
export function configuredCacheUrl(
  options: Pick<OpenMetadataStoreOptions, "cacheUrl"> = {},
): string | undefined {
  const url = options.cacheUrl ?? process.env.D365FO_CACHE_URL;
  if (url === undefined || url.trim() === "") return undefined;
  if (!POSTGRES_URL.test(url.trim())) {
    throw new ConfigurationError("A cache URL must start with postgres:// or postgresql://");
  }
  return url.trim();
}

/** Opens (creating and migrating as needed) the configured metadata store. */
export async function openMetadataStore(options: OpenMetadataStoreOptions = {}): Promise<MetadataStore> {
  const url = configuredCacheUrl(options);
  if (url !== undefined) {
    const { openPostgresStore } = await loadPostgresBackend();
    return openPostgresStore({ url, logger: options.logger });
  }
  const path = join(resolveCacheDir(options.cacheDir), options.fileName ?? DEFAULT_STORE_FILE_NAME);
  return openSqliteStore(path, { logger: options.logger, busyTimeoutMs: options.busyTimeoutMs });
}
