/**
 * `d365fo compare <a> <b>`: two synced environments of one cache, side by side. Each side is a
 * profile name or an environment's base URL (nothing is sent to either: both are read from the
 * cache).
 */
import type { CliContext } from "../context.js";
import { UsageError } from "../errors.js";
import type { ProfilesFile } from "../profiles.js";
import { renderComparison } from "../render.js";
import { type ConnectionSettings, resolveConnectionSettings, settingsForProfile } from "../settings.js";

const ABSOLUTE_URL = /^https?:\/\//i;

function settingsFor(ctx: CliContext, file: ProfilesFile, side: string): ConnectionSettings {
  if (!ABSOLUTE_URL.test(side)) return settingsForProfile(file, side, ctx.globals, ctx.env);
  // A base URL selects no profile, whatever D365FO_PROFILE says; the cache directory still applies.
  return resolveConnectionSettings(
    file,
    { baseUrl: side, cacheDir: ctx.globals.cacheDir },
    { ...ctx.env, D365FO_PROFILE: undefined },
  );
}

export async function compareCommand(ctx: CliContext, profileA: string, profileB: string): Promise<number> {
  const file = ctx.profiles.load();
  const a = settingsFor(ctx, file, profileA);
  const b = settingsFor(ctx, file, profileB);
  const { normalizeBaseUrl } = await import("d365fo-client");
  if (profileA === profileB || normalizeBaseUrl(a.baseUrl) === normalizeBaseUrl(b.baseUrl)) {
    throw new UsageError("compare needs two different environments (profile names or base URLs)");
  }
  // Both environments live in the same store; one facade reads both.
  const cache = await ctx.openCache(a);
  const comparison = await cache.compareEnvironments(a.baseUrl, b.baseUrl);
  ctx.output.result({ profileA, profileB, ...comparison }, () =>
    renderComparison(profileA, profileB, comparison),
  );
  return 0;
}
