/** `d365fo compare <profileA> <profileB>`: two synced environments of one cache, side by side. */
import type { CliContext } from "../context.js";
import { UsageError } from "../errors.js";
import { renderComparison } from "../render.js";
import { settingsForProfile } from "../settings.js";

export async function compareCommand(ctx: CliContext, profileA: string, profileB: string): Promise<number> {
  if (profileA === profileB) throw new UsageError("compare needs two different profiles");
  const file = ctx.profiles.load();
  const a = settingsForProfile(file, profileA, ctx.globals, ctx.env);
  const b = settingsForProfile(file, profileB, ctx.globals, ctx.env);
  // Both environments live in the same store; one facade reads both.
  const cache = await ctx.openCache(a);
  const comparison = await cache.compareEnvironments(a.baseUrl, b.baseUrl);
  ctx.output.result({ profileA, profileB, ...comparison }, () =>
    renderComparison(profileA, profileB, comparison),
  );
  return 0;
}
