/** Opening the shared store for a cache that was not given one. */
import type { Logger } from "../logging.js";
import { openMetadataStore } from "../store/index.js";
import type { MetadataStore } from "../store/types.js";

export async function openStore(cacheDir: string | undefined, logger?: Logger): Promise<MetadataStore> {
  return openMetadataStore({ cacheDir, logger });
}
