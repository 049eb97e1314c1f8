/** Opening the shared store for a cache that was not given one. */
import type { Logger } from "../logging.js";
import { openMetadataStore } from "../store/index.js";
import type { MetadataStore } from "../store/types.js";

/** The SQLite file in `cacheDir`, or the PostgreSQL database at `cacheUrl` (else `D365FO_CACHE_URL`). */
export async function openStore(
  location: { cacheDir?: string; cacheUrl?: string },
  logger?: Logger,
): Promise<MetadataStore> {
  return openMetadataStore({ cacheDir: location.cacheDir, cacheUrl: location.cacheUrl, logger });
}
