/**
 * Configuration of the cache: validation of `CacheConfigV2` (zod, since it often comes from files
 * or the environment) and the specification's `FOClientConfig` compatibility options.
 */
import { z } from "zod";
import { normalizeBaseUrl } from "../auth/config.js";
import { ConfigurationError } from "../errors.js";
import type { CacheConfigV2, FOClientConfig } from "./types.js";

export const DEFAULT_LANGUAGES: readonly string[] = ["en-US"];
export const DEFAULT_RETENTION_DAYS = 30;
export const DEFAULT_LABEL_FETCH_CONCURRENCY = 8;
export const DEFAULT_VIEW_CACHE_SIZE = 256;

/** `en-US`, `de`, `zh-Hans-CN`: the BCP-47 shapes F&O label languages use. */
const LANGUAGE_TAG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

const languagesSchema = z
  .array(z.string().regex(LANGUAGE_TAG, "must be a language tag such as en-US"))
  .min(1, "must name at least one language");

const objectLike = z.custom<object>((v) => typeof v === "object" && v !== null, "must be an object");

const cacheConfigSchema = z
  .object({
    baseUrl: z.string().min(1, "is required"),
    credential: objectLike.optional(),
    tenantId: z.string().min(1).optional(),
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    authorityHost: z.string().min(1).optional(),
    useDefaultCredential: z.boolean().optional(),
    credentialOptions: z.record(z.string(), z.unknown()).optional(),
    cacheDir: z.string().min(1).optional(),
    store: objectLike.optional(),
    languages: languagesSchema.optional(),
    retentionDays: z.number().int().min(0).optional(),
    versionCheckIntervalMs: z.number().int().min(0).optional(),
    labelFetchConcurrency: z.number().int().min(1).max(256).optional(),
    viewCacheSize: z.number().int().min(0).optional(),
    logger: objectLike.optional(),
    http: objectLike.optional(),
  })
  .loose();

const foClientConfigSchema = cacheConfigSchema.extend({
  enableMetadataCache: z.boolean().optional(),
  enableMetadataCacheV2: z.boolean().optional(),
  metadataVersion: z.string().optional(),
  autoMigrateCache: z.boolean().optional(),
  metadataCacheDir: z.string().min(1).optional(),
  metadataSyncIntervalMinutes: z.number().min(0).optional(),
});

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "config"} ${issue.message}`)
    .join("; ");
}

/**
 * `https://Contoso.Operations.Dynamics.com/` → `https://contoso.operations.dynamics.com`: the
 * environment's identity in the store. The auth layer's rule (lowercase, no trailing slash, query
 * or fragment), so every layer names an environment alike.
 */
export function normalizeEnvironmentUrl(baseUrl: string): string {
  return normalizeBaseUrl(baseUrl);
}

export interface ResolvedCacheConfig extends CacheConfigV2 {
  baseUrl: string;
  languages: string[];
  retentionDays: number;
  versionCheckIntervalMs: number;
  labelFetchConcurrency: number;
  viewCacheSize: number;
}

/** Validates a `CacheConfigV2` and fills defaults; throws ConfigurationError naming every problem. */
export function resolveCacheConfig(config: CacheConfigV2): ResolvedCacheConfig {
  if (typeof config !== "object" || config === null) {
    throw new ConfigurationError("Cache configuration must be an object with at least baseUrl");
  }
  const parsed = cacheConfigSchema.safeParse(config);
  if (!parsed.success) {
    throw new ConfigurationError(`Invalid cache configuration: ${describeIssues(parsed.error)}`);
  }
  return {
    ...config,
    baseUrl: normalizeEnvironmentUrl(config.baseUrl),
    languages: [...(config.languages ?? DEFAULT_LANGUAGES)],
    retentionDays: config.retentionDays ?? DEFAULT_RETENTION_DAYS,
    versionCheckIntervalMs: config.versionCheckIntervalMs ?? 0,
    labelFetchConcurrency: config.labelFetchConcurrency ?? DEFAULT_LABEL_FETCH_CONCURRENCY,
    viewCacheSize: config.viewCacheSize ?? DEFAULT_VIEW_CACHE_SIZE,
  };
}

/**
 * Maps the specification's client options onto `CacheConfigV2`.
 * - `metadataVersion: "v1"` is refused: this project never had a v1 cache (the spec's v1 is the
 *   Python client's SQLite file, and importing it is not implemented).
 * - `enableMetadataCache: false` is refused: the caller asked for no cache.
 * - `enableMetadataCacheV2` is accepted either way (v2 is the only cache).
 * - `autoMigrateCache` is accepted and is a no-op until a migration exists.
 * - `metadataCacheDir` wins over `cacheDir`.
 */
export function cacheConfigFromClientConfig(config: FOClientConfig): CacheConfigV2 {
  if (typeof config !== "object" || config === null) {
    throw new ConfigurationError("Client configuration must be an object with at least baseUrl");
  }
  const parsed = foClientConfigSchema.safeParse(config);
  if (!parsed.success) {
    throw new ConfigurationError(`Invalid client configuration: ${describeIssues(parsed.error)}`);
  }
  const version = config.metadataVersion ?? "v2";
  if (version === "v1") {
    throw new ConfigurationError(
      'metadataVersion "v1" is not available: d365fo-client has only the v2 metadata cache (the v1 cache of the Python client is not supported); use metadataVersion "v2" or omit it',
    );
  }
  if (version !== "v2") {
    throw new ConfigurationError(`metadataVersion must be "v2", got ${JSON.stringify(version)}`);
  }
  if (config.enableMetadataCache === false) {
    throw new ConfigurationError(
      "enableMetadataCache is false: no metadata cache to create (set it to true or do not call createMetadataCache)",
    );
  }
  const {
    enableMetadataCache: _enable,
    enableMetadataCacheV2: _enableV2,
    metadataVersion: _version,
    autoMigrateCache: _migrate,
    metadataCacheDir,
    metadataSyncIntervalMinutes: _interval,
    ...rest
  } = config as FOClientConfig & { cacheDir?: string };
  return { ...rest, cacheDir: metadataCacheDir ?? rest.cacheDir };
}
