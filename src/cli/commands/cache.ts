/**
 * `d365fo cache stats|cleanup`: the local store as a whole, shared by every environment. These
 * work on the store directly (no environment is selected or registered, nothing goes over the
 * network), with the cache's own statistics and retention rules.
 */
import { DEFAULT_RETENTION_DAYS } from "../../cache/config.js";
import { computeStatistics } from "../../cache/statistics.js";
import type { CacheCleanupResult } from "../../cache/types.js";
import { openMetadataStore, retentionCutoff } from "../../store/index.js";
import type { MetadataStore } from "../../store/types.js";
import type { CliContext } from "../context.js";
import { renderCleanup, renderStatistics } from "../render.js";

async function withStore<T>(ctx: CliContext, use: (store: MetadataStore) => T): Promise<T> {
  const store = openMetadataStore({
    cacheDir: ctx.globals.cacheDir ?? ctx.env.D365FO_CACHE_DIR,
    logger: ctx.logger,
  });
  try {
    return use(store);
  } finally {
    store.close();
  }
}

export async function cacheStatsCommand(ctx: CliContext): Promise<number> {
  await withStore(ctx, (store) => {
    const stats = computeStatistics({
      environments: store.listEnvironments(),
      versions: store.listVersions(),
      footprint: store.getStorageFootprint(),
      lookups: { localHits: 0, fetched: 0, notFound: 0 },
    });
    const versions = store.listVersions().map((v) => ({
      versionHash: v.versionHash,
      status: v.status,
      environments: v.referenceCount,
      modules: v.moduleCount,
      applicationVersion: v.applicationVersion,
      platformVersion: v.platformVersion,
      lastUsedAt: v.lastUsedAt,
    }));
    const { lookups: _lookups, cacheHitRatio: _ratio, ...storeStats } = stats;
    ctx.output.result({ location: store.location, ...storeStats, versions }, () =>
      renderStatistics(stats, store.location),
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
  await withStore(ctx, (store) => {
    const hashes = new Map(store.listVersions().map((v) => [v.id, v.versionHash]));
    const removed = store.cleanupVersions({ olderThan: cutoff, dryRun });
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
