/**
 * Configuration of the cache: validation of `CacheConfigV2` (zod, since it often comes from files
 * or the environment) and the specification's `FOClientConfig` compatibility options.
 */
import { z } from "zod";
import { normalizeBaseUrl } from "../auth/config.js";
import { ConfigurationError } from "../errors.js";
import { SCHEMA_FIRST_MODES, type SchemaFirstMode } from "./staging.js";
import type { CacheConfigV2, FOClientConfig } from "./types.js";

export const DEFAULT_LANGUAGES: readonly string[] = ["en-US"];
export const DEFAULT_RETENTION_DAYS = 30;
export const DEFAULT_LABEL_FETCH_CONCURRENCY = 8;
export const DEFAULT_VIEW_CACHE_SIZE = 256;

/** `en-US`, `de`, `zh-Hans-CN`: the BCP-47 shapes F&O label languages use. */
const LANGUAGE_TAG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

/** A read's language: `fallback` when absent, else a tag (`ConfigurationError` otherwise). */
export function checkLanguage(language: unknown, fallback: string): string {
  if (language === undefined) return fallback;
  if (typeof language !== "string" || !LANGUAGE_TAG.test(language)) {
    throw new ConfigurationError(`Language must be a tag such as en-US, got ${JSON.stringify(language)}`);
  }
  return language;
}

/** A definition name to look up, trimmed (`ConfigurationError` when empty or not a string). */
export function checkDefinitionName(kind: string, name: unknown): string {
  if (typeof name !== "string" || name.trim() === "") {
    throw new ConfigurationError(`${kind} name must be a non-empty string`);
  }
  return name.trim();
}

const languagesSchema = z
  .array(z.string().regex(LANGUAGE_TAG, "must be a language tag such as en-US"))
  .min(1, "must name at least one language");

/**
 * A PostgreSQL connection URL. The message never repeats the value: it may carry a password.
 * `new URL` only checks that the rest parses (host, port); the driver reads the URL itself.
 */
const cacheUrlSchema = z.string().refine((value) => {
  if (!/^postgres(?:ql)?:\/\//i.test(value.trim())) return false;
  return URL.canParse(value.trim());
}, "must be a PostgreSQL URL (postgres://… or postgresql://…)");

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
    // "" is an explicit "no URL": the SQLite file, even when D365FO_CACHE_URL is set.
    cacheUrl: z.union([z.literal(""), cacheUrlSchema]).optional(),
    store: objectLike.optional(),
    languages: languagesSchema.optional(),
    retentionDays: z.number().int().min(0).optional(),
    versionCheckIntervalMs: z.number().int().min(0).optional(),
    labelFetchConcurrency: z.number().int().min(1).max(256).optional(),
    viewCacheSize: z.number().int().min(0).optional(),
    autoMigrateCache: z.boolean().optional(),
    schemaFirst: z.enum(SCHEMA_FIRST_MODES).optional(),
    onAutoMigrate: z
      .custom<(path: string) => void>((v) => typeof v === "function", "must be a function")
      .optional(),
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
  schemaFirst: SchemaFirstMode;
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
    schemaFirst: config.schemaFirst ?? "firstSync",
  };
}

/**
 * Maps the specification's client options onto `CacheConfigV2`.
 * - `metadataVersion: "v1"` is refused: this project never had a v1 cache (the spec's v1 is the
 *   Python client's SQLite file, and importing it is not implemented).
 * - `enableMetadataCache: false` is refused: the caller asked for no cache.
 * - `enableMetadataCacheV2` is accepted either way (v2 is the only cache).
 * - `autoMigrateCache` imports the Python d365fo-client's cache on `initialize()` (docs/migration.md).
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
    metadataCacheDir,
    metadataSyncIntervalMinutes: _interval,
    ...rest
  } = config as FOClientConfig & { cacheDir?: string };
  return { ...rest, cacheDir: metadataCacheDir ?? rest.cacheDir };
}
