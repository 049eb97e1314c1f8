/**
 * `connect(config)`: one environment's connection. It owns the environment's single HTTP
 * pipeline (credential, retry, adaptive limiter), which the metadata cache's sync and label
 * fetches use too, so data calls and metadata calls share one limiter.
 */
import { MetadataCacheV2 } from "../cache/metadata-cache.js";
import { metadataClientFor, servicesOverClient } from "../cache/services.js";
import type { CacheConfigV2 } from "../cache/types.js";
import { ConfigurationError } from "../errors.js";
import type { LimiterState } from "../http/limiter.js";
import type { MetadataApiClient } from "../metadata/client.js";
import type { TransferCounters } from "../metadata/source.js";
import { BatchBuilder } from "./batch.js";
import { DataClient } from "./client.js";
import { SchemaResolver } from "./resolve.js";

export interface ConnectConfig extends CacheConfigV2 {
  /** Check every request against the cached metadata before sending it (default true). */
  validate?: boolean;
  /**
   * Sync the metadata on connect when the environment's module set is not in the cache yet
   * (default false: validation then needs an earlier sync, e.g. `d365fo sync`).
   */
  syncMetadata?: boolean;
}

export class D365Connection extends DataClient {
  /** The environment's metadata cache (entities, enums, labels, search), sharing this pipeline. */
  readonly cache: MetadataCacheV2;
  /** The Metadata API client over the same pipeline. */
  readonly metadata: MetadataApiClient;

  constructor(cache: MetadataCacheV2, metadata: MetadataApiClient, validate: boolean) {
    super({ http: metadata.http, schemas: new SchemaResolver(cache), validate });
    this.cache = cache;
    this.metadata = metadata;
  }

  /** A new `$batch` (operations and changesets; sent with `send()`). */
  batch(): BatchBuilder {
    return new BatchBuilder(this, this.http.baseUrl);
  }

  /** Requests sent, bytes received, 429s and retries since connecting (data and metadata). */
  counters(): TransferCounters {
    return this.http.counters();
  }

  limiterState(): LimiterState {
    return this.http.limiterState();
  }

  /** Closes the cache and the connection pool; idempotent. */
  async close(): Promise<void> {
    await this.cache.close();
  }
}

/** Opens the environment's connection: the metadata cache and the HTTP pipeline they share. */
export async function connect(config: ConnectConfig): Promise<D365Connection> {
  if (typeof config !== "object" || config === null)
    throw new ConfigurationError("connect() needs a configuration with at least baseUrl");
  const { validate = true, syncMetadata = false, ...cacheConfig } = config;
  let metadata: MetadataApiClient | undefined;
  const cache = new MetadataCacheV2(cacheConfig, (context) => {
    const client = metadataClientFor(context.config, context.logger);
    metadata = client;
    return { ...servicesOverClient(client, context), close: () => client.close() };
  });
  try {
    await cache.initialize();
    if (!metadata) throw new ConfigurationError("The metadata cache did not build its network services");
    if (syncMetadata) await cache.syncIfNeeded();
  } catch (error) {
    await cache.close();
    throw error;
  }
  return new D365Connection(cache, metadata, validate);
}
