/** The default network side of a cache: HTTP client, credential, version detector, sync manager. */
import type { CacheServices, CacheServicesFactory } from "./metadata-cache.js";

export const createNetworkServices: CacheServicesFactory = (): CacheServices => {
  // Wired to MetadataApiClient, ModuleVersionDetector and SmartSyncManagerV2 once they land.
  return {};
};
