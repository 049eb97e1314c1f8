/** `d365fo version` and `d365fo sync`: the two commands that talk to the environment itself. */
import type { SyncOptions, SyncResult, SyncStrategy } from "d365fo-client";
import type { CliContext } from "../context.js";
import { createProgressReporter } from "../progress.js";
import { renderSyncResult, renderVersion, versionReport } from "../render.js";

export interface VersionOptions {
  modules?: boolean;
  cached?: boolean;
}

export async function versionCommand(ctx: CliContext, options: VersionOptions): Promise<number> {
  const settings = ctx.connection();
  // `--cached` never contacts the environment: no network services at all.
  const cached = options.cached === true;
  const cache = await ctx.openCache(settings, { network: !cached });
  const info = await cache.getEnvironmentVersion({
    useCache: cached,
    cachedOnly: cached,
    signal: ctx.signal,
  });
  const report = versionReport(settings.baseUrl, info, options.modules === true);
  ctx.output.result(report, () => renderVersion(report));
  return 0;
}

/** CLI strategy names → the sync layer's (SmartSyncManagerV2) strategy names. */
export const SYNC_STRATEGY_MAP = {
  full: "full",
  entities: "entitiesOnly",
  labels: "labelsOnly",
  reverify: "reverify",
} as const satisfies Record<string, SyncStrategy>;

export type CliSyncStrategy = keyof typeof SYNC_STRATEGY_MAP;

export interface SyncCommandOptions {
  strategy: CliSyncStrategy;
  wait: boolean;
  progress: boolean;
  force?: boolean;
}

/**
 * `full` is the smart default (`syncIfNeeded`: nothing when up to date, a link when another
 * environment already synced the module set, else the missing phases); the other strategies
 * run explicitly.
 */
export async function syncCommand(ctx: CliContext, options: SyncCommandOptions): Promise<number> {
  const settings = ctx.connection();
  const cache = await ctx.openCache(settings, { network: true });
  const reporter = createProgressReporter(ctx.streams.stderr, {
    enabled: options.progress !== false,
    label: settings.profileName ?? undefined,
  });
  const syncOptions: SyncOptions = {
    wait: options.wait !== false,
    ...(options.force ? { force: true } : {}),
    signal: ctx.signal,
    onProgress: (event) => reporter.update(event),
  };
  if (ctx.globals.language) syncOptions.languages = [ctx.globals.language];
  let result: SyncResult;
  try {
    result =
      options.strategy === "full"
        ? await cache.syncIfNeeded(syncOptions)
        : await cache.sync({ ...syncOptions, strategy: SYNC_STRATEGY_MAP[options.strategy] });
  } catch (error) {
    reporter.stop({ failed: true });
    throw error;
  }
  reporter.stop();
  const document = { baseUrl: settings.baseUrl, profile: settings.profileName, ...result };
  ctx.output.result(document, () => renderSyncResult(settings.baseUrl, result));
  return 0;
}
