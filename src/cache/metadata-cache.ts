/**
 * `MetadataCacheV2`: the facade over one environment's metadata in a (shared) store.
 * Skeleton: signatures are final, bodies land next.
 */
import type { EnvironmentVersionInfo } from "../version/models.js";
import type {
  ActionHit,
  CacheCleanupResult,
  CacheConfigV2,
  CacheStatistics,
  CacheSyncOptions,
  CacheSyncResult,
  CleanupOptions,
  DataEntityView,
  EnumerationView,
  EnvironmentComparison,
  EnvironmentVersionOptions,
  PublicEntityView,
  SearchOptions,
  SearchResultPage,
} from "./types.js";

function notYet(): never {
  throw new Error("MetadataCacheV2: not implemented yet");
}

export class MetadataCacheV2 {
  constructor(readonly config: CacheConfigV2) {}

  /** Opens the store and registers the environment; idempotent. */
  async initialize(): Promise<void> {
    notYet();
  }
  async syncIfNeeded(_options?: CacheSyncOptions): Promise<CacheSyncResult> {
    notYet();
  }
  async getEnvironmentVersion(_options?: EnvironmentVersionOptions): Promise<EnvironmentVersionInfo> {
    notYet();
  }
  async searchEntities(_text: string, _options?: SearchOptions): Promise<SearchResultPage> {
    notYet();
  }
  async getDataEntity(_name: string, _options?: { language?: string }): Promise<DataEntityView | undefined> {
    notYet();
  }
  async getPublicEntity(
    _name: string,
    _options?: { language?: string },
  ): Promise<PublicEntityView | undefined> {
    notYet();
  }
  async getEnumeration(
    _name: string,
    _options?: { language?: string },
  ): Promise<EnumerationView | undefined> {
    notYet();
  }
  async searchActions(_text: string, _options?: { limit?: number; offset?: number }): Promise<ActionHit[]> {
    notYet();
  }
  async getLabel(_id: string, _language?: string): Promise<string | undefined> {
    notYet();
  }
  async getLabels(_ids: readonly string[], _language?: string): Promise<Map<string, string>> {
    notYet();
  }
  async compareEnvironments(_a: string, _b: string): Promise<EnvironmentComparison> {
    notYet();
  }
  async getStatistics(): Promise<CacheStatistics> {
    notYet();
  }
  async cleanup(_options?: CleanupOptions): Promise<CacheCleanupResult> {
    notYet();
  }
  async close(): Promise<void> {
    notYet();
  }
}
