/**
 * What the sync layer needs from an environment: the Metadata service's collections as streams of
 * parsed models, single labels, and transfer counters. `MetadataApiClient` (src/metadata/client.ts)
 * implements it over HTTP; tests may implement it over fixtures.
 */
import type { DataEntity, Enumeration, Label, PublicEntity } from "./models.js";

export interface CollectionRequestOptions {
  signal?: AbortSignal;
  /** OData `$filter` expression, passed through verbatim. */
  filter?: string;
  /** OData `$select` fields. */
  select?: readonly string[];
  /** OData `$top` / `$skip` (used e.g. to fetch a large collection in resumable windows). */
  top?: number;
  skip?: number;
}

export interface TransferCounters {
  /** HTTP requests sent (retries included). */
  requests: number;
  /** Response body bytes received (after decompression). */
  bytesReceived: number;
  /** 429 answers received. */
  throttled: number;
  /** Retries performed. */
  retries: number;
}

export interface MetadataSource {
  /** Environment base URL, lowercase, no trailing slash. */
  readonly baseUrl: string;
  /** Streams `/Metadata/DataEntities`, item by item, following nextLinks. */
  dataEntities(options?: CollectionRequestOptions): AsyncIterable<DataEntity>;
  /** Streams `/Metadata/PublicEntities` item by item without buffering the whole body. */
  publicEntities(options?: CollectionRequestOptions): AsyncIterable<PublicEntity>;
  /** Streams `/Metadata/PublicEnumerations`. */
  enumerations(options?: CollectionRequestOptions): AsyncIterable<Enumeration>;
  /** `/Metadata/Labels(Id='…',Language='…')`; `null` when the service answers 404. */
  getLabel(id: string, language: string, options?: { signal?: AbortSignal }): Promise<Label | null>;
  /** Cumulative transfer counters since the client was created. */
  counters(): TransferCounters;
  /** How the server throttles this environment now, when the source knows (for progress). */
  throttling?(): ThrottlingSnapshot;
}

/** The environment's request budget as the client's limiter sees it. */
export interface ThrottlingSnapshot {
  /** Requests in flight now. */
  inFlight: number;
  /** Requests admitted at once now. */
  limit: number;
  /** The server's concurrency ceiling as learned from its 429s; null before one. */
  ceiling: number | null;
  /** 429s received. */
  throttled: number;
  /** Wall time every request waited on Retry-After (ms). */
  retryAfterWaitMs: number;
}
