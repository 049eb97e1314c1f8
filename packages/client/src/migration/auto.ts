/**
 * `autoMigrateCache`: on `initialize()`, when the configured environment is not served by this
 * cache yet and a Python cache holding it is found in the default locations, import that cache
 * first. It costs only the import itself; a source that cannot be read is logged and skipped
 * (the cache then syncs as usual), never fatal.
 */
import type { Logger } from "../logging.js";
import type { MetadataStore } from "../store/types.js";
import type { MigrationResult } from "./import.js";
import { normalizedBaseUrlOrNull } from "./keys.js";
import type { LocationContext } from "./locations.js";
import { MetadataMigrationManager } from "./manager.js";

export interface AutoMigrateOptions {
  store: MetadataStore;
  baseUrl: string;
  logger: Logger;
  locations?: Partial<LocationContext>;
  /** This cache's own directory, searched first (by default it is the Python tool's folder too). */
  cacheDir?: string;
  /** Told before the import starts (the CLI says so on stderr). */
  onImport?: (path: string) => void;
}

/** Imports the first Python cache that holds `baseUrl`, when this store does not serve it; null when nothing was done. */
export async function autoMigrate(options: AutoMigrateOptions): Promise<MigrationResult | null> {
  const baseUrl = normalizedBaseUrlOrNull(options.baseUrl);
  if (!baseUrl) return null;
  const known = await options.store.findEnvironment(baseUrl);
  if (known?.versionId !== null && known?.versionId !== undefined) return null;
  const manager = new MetadataMigrationManager({
    store: options.store,
    logger: options.logger,
    locations: options.locations,
  });
  const own = options.cacheDir ? await manager.detectSources(options.cacheDir) : [];
  const seen = new Set(own.map((s) => s.path));
  const sources = [...own, ...(await manager.detectSources()).filter((s) => !seen.has(s.path))];
  for (const source of sources) {
    if (source.error) {
      options.logger.warn(
        { path: source.path, code: source.error.code },
        "autoMigrateCache: skipping an unreadable Python cache",
      );
      continue;
    }
    if (!source.environments.some((e) => e.baseUrl === baseUrl && e.versionHash !== null)) continue;
    options.onImport?.(source.path);
    try {
      const result = await manager.migrate(source);
      options.logger.info(
        { path: source.path, message: result.message },
        "autoMigrateCache: imported a Python cache",
      );
      if ((await options.store.findEnvironment(baseUrl))?.versionId) return result;
    } catch (error) {
      options.logger.warn(
        { path: source.path, err: error },
        "autoMigrateCache: import failed; syncing as usual",
      );
    }
  }
  return null;
}
