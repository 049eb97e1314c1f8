/** `d365fo cache stats|cleanup`: the local store, shared by every environment. */
import type { CleanupOptions } from "../../cache/types.js";
import { resolveCacheDir } from "../../store/cache-dir.js";
import type { CliContext } from "../context.js";
import { renderCleanup, renderStatistics } from "../render.js";
import type { ConnectionSettings } from "../settings.js";

/**
 * The statistics and cleanup concern the whole store, not one environment, so without a selected
 * environment they still work: any configured environment (or a placeholder) opens the store.
 */
function storeSettings(ctx: CliContext): ConnectionSettings {
  try {
    return ctx.connection();
  } catch {
    return {
      profileName: null,
      baseUrl: "https://store-only.invalid",
      secretSource: "none",
      cacheDir: ctx.globals.cacheDir ?? ctx.env.D365FO_CACHE_DIR,
    };
  }
}

export async function cacheStatsCommand(ctx: CliContext): Promise<number> {
  const settings = storeSettings(ctx);
  const cache = await ctx.openCache(settings);
  const stats = await cache.getStatistics();
  const location = resolveCacheDir(settings.cacheDir, ctx.env);
  ctx.output.result({ cacheDir: location, ...stats }, () => renderStatistics(stats, location));
  return 0;
}

export interface CleanupCommandOptions {
  dryRun?: boolean;
  retentionDays?: number;
}

export async function cacheCleanupCommand(ctx: CliContext, options: CleanupCommandOptions): Promise<number> {
  const cache = await ctx.openCache(storeSettings(ctx));
  const cleanupOptions: CleanupOptions = { dryRun: options.dryRun === true };
  if (options.retentionDays !== undefined) cleanupOptions.retentionDays = options.retentionDays;
  const result = await cache.cleanup(cleanupOptions);
  ctx.output.result(result, () => renderCleanup(result));
  return 0;
}
