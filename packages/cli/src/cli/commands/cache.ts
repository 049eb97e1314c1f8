/**
 * `d365fo cache stats|cleanup|reset`: the store as a whole, shared by every environment. These work on
 * the store directly (no environment is selected or registered, nothing goes over the network),
 * with the cache's own statistics and retention rules.
 */

import type { CacheCleanupResult, MetadataStore } from "d365fo-client";
import {
  computeStatistics,
  DEFAULT_RETENTION_DAYS,
  openMetadataStore,
  resetMetadataStore,
  retentionCutoff,
} from "d365fo-client";
import type { CliContext } from "../context.js";
import { renderCleanup, renderStatistics } from "../render.js";
import { resolveCacheUrl } from "../settings.js";

function storeOptions(ctx: CliContext): { cacheDir?: string; cacheUrl?: string } {
  return {
    cacheDir: ctx.globals.cacheDir ?? ctx.env.D365FO_CACHE_DIR,
    cacheUrl: resolveCacheUrl(ctx.globals, ctx.env),
  };
}

/** The configured store: `--cache-url` / `D365FO_CACHE_URL`, else the SQLite file in the cache directory. */
export function openConfiguredStore(ctx: CliContext): Promise<MetadataStore> {
  return openMetadataStore({ ...storeOptions(ctx), logger: ctx.logger });
}

async function withStore<T>(ctx: CliContext, use: (store: MetadataStore) => Promise<T>): Promise<T> {
  const store = await openConfiguredStore(ctx);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

export async function cacheStatsCommand(ctx: CliContext): Promise<number> {
  await withStore(ctx, async (store) => {
    const description = await store.describe();
    const environments = await store.listEnvironments();
    const versions = await store.listVersions();
    const footprint = await store.getStorageFootprint();
    const stats = computeStatistics({
      environments,
      versions,
      footprint,
      lookups: { localHits: 0, fetched: 0, notFound: 0 },
    });
    const versionRows = versions.map((v) => ({
      versionHash: v.versionHash,
      status: v.status,
      environments: v.referenceCount,
      modules: v.moduleCount,
      applicationVersion: v.applicationVersion,
      platformVersion: v.platformVersion,
      trust: v.trust,
      lastUsedAt: v.lastUsedAt,
    }));
    const { lookups: _lookups, cacheHitRatio: _ratio, ...storeStats } = stats;
    ctx.output.result(
      { location: description.location, backend: description.backend, ...storeStats, versions: versionRows },
      () => renderStatistics(stats, description.location),
    );
  });
  return 0;
}

export interface CleanupCommandOptions {
  dryRun?: boolean;
  retentionDays?: number;
}

export async function cacheCleanupCommand(ctx: CliContext, options: CleanupCommandOptions): Promise<number> {
  const retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
  const dryRun = options.dryRun === true;
  const cutoff = retentionCutoff(new Date(), retentionDays);
  await withStore(ctx, async (store) => {
    const hashes = new Map((await store.listVersions()).map((v) => [v.id, v.versionHash]));
    const removed = await store.cleanupVersions({ olderThan: cutoff, dryRun });
    const result: CacheCleanupResult = {
      dryRun,
      cutoff,
      versionHashes: removed.versionIds.map((id) => hashes.get(id) ?? String(id)),
      definitionsDeleted: removed.definitionsDeleted,
      labelsDeleted: removed.labelsDeleted,
    };
    ctx.output.result({ retentionDays, ...result }, () => renderCleanup(result));
  });
  return 0;
}

/**
 * Deletes the SQLite cache file (and its WAL / shared-memory files) without opening it: the way
 * out of a corrupt cache. A shared PostgreSQL cache is refused (that is its administrator's call).
 */
export async function cacheResetCommand(ctx: CliContext): Promise<number> {
  const result = await resetMetadataStore(storeOptions(ctx));
  ctx.output.result(result, () =>
    result.removed.length === 0
      ? `No cache at ${result.location}; nothing to remove.`
      : `Removed ${result.removed.join(", ")}.\nThe next 'd365fo sync' rebuilds the cache.`,
  );
  return 0;
}
