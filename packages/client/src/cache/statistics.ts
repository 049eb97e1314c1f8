/**
 * Cache statistics from measured data: the store's environments, versions and byte sizes, and the
 * lookups this process really served. Pure: the facade passes what it read.
 */
import {
  type EnvironmentRecord,
  type GlobalVersionRecord,
  type StorageFootprint,
  VERSION_TRUSTS,
  type VersionTrust,
} from "../store/types.js";
import type { CacheStatistics, LookupCounters } from "./types.js";

/** Counts real lookups: served from the store, fetched from the environment, or found nowhere. */
export class LookupCounter implements LookupCounters {
  localHits = 0;
  fetched = 0;
  notFound = 0;

  snapshot(): LookupCounters {
    return { localHits: this.localHits, fetched: this.fetched, notFound: this.notFound };
  }

  reset(): void {
    this.localHits = 0;
    this.fetched = 0;
    this.notFound = 0;
  }
}

/** Share of answered lookups served locally; lookups that found nothing are not counted. */
export function hitRatio(counters: LookupCounters): number {
  const answered = counters.localHits + counters.fetched;
  return answered === 0 ? 0 : counters.localHits / answered;
}

/**
 * Fraction of bytes sharing saves: 1 − (metadata bytes stored once) / (bytes one copy per
 * environment would take). 0 with nothing stored or nothing shared; never negative.
 */
export function storageEfficiency(footprint: StorageFootprint): number {
  if (footprint.perEnvironmentCopyBytes <= 0) return 0;
  const saved = 1 - footprint.metadataBytes / footprint.perEnvironmentCopyBytes;
  return Math.min(1, Math.max(0, saved));
}

export function computeStatistics(input: {
  environments: readonly EnvironmentRecord[];
  versions: readonly GlobalVersionRecord[];
  footprint: StorageFootprint;
  lookups: LookupCounters;
  /** Ids of pending versions whose schema is ready (entity phases complete, labels not). */
  schemaReadyVersionIds?: readonly number[];
  /** Whether the facade's environment serves a version with complete labels; null when none. */
  labelsComplete?: boolean | null;
}): CacheStatistics {
  const hashById = new Map(input.versions.map((v) => [v.id, v.versionHash]));
  const versionDistribution: Record<string, number> = {};
  const lastSyncTimes: Record<string, Date | null> = {};
  for (const env of input.environments) {
    lastSyncTimes[env.baseUrl] = env.lastSyncAt;
    if (env.versionId === null) continue;
    const hash = hashById.get(env.versionId);
    if (hash === undefined) continue;
    versionDistribution[hash] = (versionDistribution[hash] ?? 0) + 1;
  }
  const complete = input.versions.filter((v) => v.status === "complete");
  const versionsByTrust = Object.fromEntries(VERSION_TRUSTS.map((t) => [t, 0])) as Record<
    VersionTrust,
    number
  >;
  for (const v of complete) versionsByTrust[v.trust] += 1;
  return {
    totalEnvironments: input.environments.length,
    uniqueVersions: Object.keys(versionDistribution).length,
    storedVersions: input.versions.filter((v) => v.status === "complete").length,
    sharedVersions: Object.values(versionDistribution).filter((count) => count > 1).length,
    cacheHitRatio: hitRatio(input.lookups),
    storageEfficiency: storageEfficiency(input.footprint),
    lastSyncTimes,
    versionDistribution,
    versionsByTrust,
    versionsNeedingReverification: complete
      .filter((v) => v.trust === "needsReverification")
      .map((v) => v.versionHash),
    versionsWithLabelsPending: (input.schemaReadyVersionIds ?? []).flatMap((id) => {
      const hash = hashById.get(id);
      return hash === undefined ? [] : [hash];
    }),
    labelsComplete: input.labelsComplete ?? null,
    lookups: { ...input.lookups },
    storage: { ...input.footprint },
  };
}
