/**
 * `MetadataCacheV2.cleanup`: removes versions no environment serves that were unused for the
 * retention period, with every definition and label text no remaining version uses.
 */
import { ConfigurationError } from "../errors.js";
import type { MetadataStore } from "../store/types.js";
import type { CacheCleanupResult } from "./types.js";

const DAY_MS = 86_400_000;

/** Validates `retentionDays`, then cleans up (or, with `dryRun`, says what would go). */
export async function cleanupVersions(
  store: MetadataStore,
  retentionDays: unknown,
  dryRun: boolean,
): Promise<CacheCleanupResult & { versionIds: number[] }> {
  if (typeof retentionDays !== "number" || !Number.isFinite(retentionDays) || retentionDays < 0) {
    throw new ConfigurationError(`retentionDays must be a number ≥ 0, got ${String(retentionDays)}`);
  }
  const cutoff = new Date(Date.now() - retentionDays * DAY_MS);
  const hashes = new Map((await store.listVersions()).map((v) => [v.id, v.versionHash]));
  const result = await store.cleanupVersions({ olderThan: cutoff, dryRun });
  return {
    dryRun,
    cutoff,
    versionIds: result.versionIds,
    versionHashes: result.versionIds.map((id) => hashes.get(id) ?? String(id)),
    definitionsDeleted: result.definitionsDeleted,
    labelsDeleted: result.labelsDeleted,
  };
}
