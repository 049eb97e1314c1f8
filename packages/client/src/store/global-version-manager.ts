/**
 * The specification's `GlobalVersionManager`, over any `MetadataStore`: finds and creates global
 * versions by module set, links environments (reference counts equal linked environments),
 * cleans up unused versions with real date arithmetic, and reports how much sharing saves.
 */
import { ConfigurationError } from "../errors.js";
import type { EnvironmentVersionInfo } from "../version/models.js";
import type { CleanupResult, GlobalVersionRecord, MetadataStore, StorageFootprint } from "./types.js";

export const DAY_MS = 86_400_000;

export interface SharingStatistics {
  totalGlobalVersions: number;
  completeVersions: number;
  totalEnvironments: number;
  /** Environments currently linked to a version. */
  activeEnvironmentLinks: number;
  /** Versions serving more than one environment. */
  sharedVersions: number;
  /** Linked environments whose version also serves another environment. */
  sharedEnvironments: number;
  /** sharedEnvironments / activeEnvironmentLinks (0 when nothing is linked). */
  sharingEfficiency: number;
  /** Reference count → number of versions with that count (the specification's distribution). */
  sharingDistribution: Record<number, number>;
  /** versionHash → linked environment count. */
  versionDistribution: Record<string, number>;
  storage: StorageFootprint;
  /** perEnvironmentCopyBytes − metadataBytes, never negative. */
  storageSavedBytes: number;
}

/** cutoff = now − retentionDays × 86 400 000 ms: exact across month and year boundaries. */
export function retentionCutoff(now: Date, retentionDays: number): Date {
  if (!Number.isFinite(retentionDays) || retentionDays < 0) {
    throw new ConfigurationError(`retentionDays must be a non-negative number, got ${String(retentionDays)}`);
  }
  return new Date(now.getTime() - retentionDays * DAY_MS);
}

export class GlobalVersionManager {
  constructor(private readonly store: MetadataStore) {}

  /** The version with exactly this module set (any status), if the store has one. */
  async findCompatibleVersion(modulesHash: string): Promise<GlobalVersionRecord | undefined> {
    return this.store.findVersionByModulesHash(modulesHash);
  }

  /** Returns the version for the environment's module set, creating it (pending) when new. */
  async getOrCreateGlobalVersion(
    info: EnvironmentVersionInfo,
    environmentId: number | null,
  ): Promise<{ version: GlobalVersionRecord; created: boolean }> {
    return this.store.getOrCreateVersion(info, environmentId);
  }

  /** Makes the (complete) version the environment's serving version; false when already linked. */
  async linkEnvironmentToVersion(environmentId: number, versionId: number): Promise<boolean> {
    return (await this.store.linkEnvironment(environmentId, versionId)).changed;
  }

  async cleanupUnusedVersions(
    options: { retentionDays?: number; dryRun?: boolean; now?: Date } = {},
  ): Promise<CleanupResult> {
    const cutoff = retentionCutoff(options.now ?? new Date(), options.retentionDays ?? 30);
    return this.store.cleanupVersions({ olderThan: cutoff, dryRun: options.dryRun ?? false });
  }

  async getSharingStatistics(): Promise<SharingStatistics> {
    const versions = await this.store.listVersions();
    const environments = await this.store.listEnvironments();
    const linked = new Map<number, number>();
    for (const environment of environments) {
      if (environment.versionId !== null) {
        linked.set(environment.versionId, (linked.get(environment.versionId) ?? 0) + 1);
      }
    }
    const sharingDistribution: Record<number, number> = {};
    const versionDistribution: Record<string, number> = {};
    let sharedVersions = 0;
    let sharedEnvironments = 0;
    for (const version of versions) {
      const count = linked.get(version.id) ?? 0;
      sharingDistribution[count] = (sharingDistribution[count] ?? 0) + 1;
      if (count > 0) versionDistribution[version.versionHash] = count;
      if (count > 1) {
        sharedVersions += 1;
        sharedEnvironments += count;
      }
    }
    const activeEnvironmentLinks = [...linked.values()].reduce((a, b) => a + b, 0);
    const storage = await this.store.getStorageFootprint();
    return {
      totalGlobalVersions: versions.length,
      completeVersions: versions.filter((v) => v.status === "complete").length,
      totalEnvironments: environments.length,
      activeEnvironmentLinks,
      sharedVersions,
      sharedEnvironments,
      sharingEfficiency: activeEnvironmentLinks === 0 ? 0 : sharedEnvironments / activeEnvironmentLinks,
      sharingDistribution,
      versionDistribution,
      storage,
      storageSavedBytes: Math.max(0, storage.perEnvironmentCopyBytes - storage.metadataBytes),
    };
  }
}
