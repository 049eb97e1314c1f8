/**
 * Backend-neutral maintenance for the CLI: probing a store (`doctor`) and resetting a broken
 * cache (`d365fo cache reset`). Each backend answers in its own adapter; nothing here knows SQL.
 */
import { join } from "node:path";
import { ConfigurationError } from "../errors.js";
import { DEFAULT_STORE_FILE_NAME, resolveCacheDir } from "./cache-dir.js";
import { configuredCacheUrl, type OpenMetadataStoreOptions } from "./open.js";
import { probeSqliteFts5, removeSqliteStoreFiles } from "./sqlite/index.js";
import type { IntegrityReport, MetadataStore, StoreDescription } from "./types.js";

export interface StoreProbe {
  description: StoreDescription;
  integrity: IntegrityReport;
  /** Things worth fixing that do not stop the store from working (read-only, loose permissions). */
  warnings: string[];
}

/** What `doctor` reports about an open store: what it is, its integrity, and warnings. */
export async function probeStore(store: MetadataStore): Promise<StoreProbe> {
  const description = await store.describe();
  const integrity = await store.checkIntegrity();
  const warnings: string[] = [];
  const located = (store as { locationWarnings?: readonly string[] }).locationWarnings;
  if (Array.isArray(located)) warnings.push(...located);
  if (description.readOnly) {
    warnings.push(
      `${description.location} is read-only: reads and search work, syncs and label fetches fail`,
    );
  }
  if (description.backend === "sqlite") {
    const fts5 = probeSqliteFts5();
    if (!fts5.ok) warnings.push(fts5.detail);
  }
  return { description, integrity, warnings };
}

/** Where the SQLite store of these options lives (the file `openMetadataStore` would open). */
export function sqliteStorePath(
  options: Pick<OpenMetadataStoreOptions, "cacheDir" | "fileName"> = {},
): string {
  return join(resolveCacheDir(options.cacheDir), options.fileName ?? DEFAULT_STORE_FILE_NAME);
}

export interface ResetResult {
  location: string;
  /** Files deleted (the database and its WAL / shared-memory files that existed). */
  removed: string[];
}

/**
 * Deletes the local SQLite cache (file, -wal, -shm) so the next sync rebuilds it: the way out of a
 * corrupt cache. Refuses to follow a symbolic link. Other processes must not have it open. A
 * shared PostgreSQL cache is never dropped from here.
 */
export async function resetMetadataStore(options: OpenMetadataStoreOptions = {}): Promise<ResetResult> {
  if (configuredCacheUrl(options) !== undefined) {
    throw new ConfigurationError(
      "A shared PostgreSQL cache is not reset from a client; ask its administrator (or point --cache-url elsewhere)",
    );
  }
  const location = sqliteStorePath(options);
  return { location, removed: removeSqliteStoreFiles(location) };
}
