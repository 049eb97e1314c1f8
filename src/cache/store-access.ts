/** Opening the shared store for a cache that was not given one. */
import { ConfigurationError } from "../errors.js";
import type { MetadataStore } from "../store/types.js";

export async function openStore(_cacheDir: string | undefined): Promise<MetadataStore> {
  // Wired to openMetadataStore() of src/store once it lands.
  throw new ConfigurationError("Opening a store by cacheDir is not available yet; pass `store`");
}
