import { describe, expect, it } from "vitest";
import {
  computeStatistics,
  hitRatio,
  storageEfficiency,
} from "../../packages/client/src/cache/statistics.js";
import type { EnvironmentRecord, GlobalVersionRecord } from "../../packages/client/src/store/types.js";

const env = (id: number, versionId: number | null, lastSyncAt: Date | null = null): EnvironmentRecord => ({
  id,
  baseUrl: `https://env${id}.example`,
  name: `env${id}`,
  createdAt: new Date(0),
  lastSyncAt,
  lastVersionCheckAt: null,
  versionId,
});

const version = (id: number, status: "pending" | "complete" = "complete"): GlobalVersionRecord => ({
  id,
  versionHash: `hash${id}`,
  modulesHash: `modules${id}`,
  status,
  firstSeenAt: new Date(0),
  lastUsedAt: new Date(0),
  completedAt: null,
  referenceCount: 0,
  moduleCount: 1,
  applicationVersion: null,
  applicationBuildVersion: null,
  platformVersion: null,
  createdByEnvironmentId: null,
  trust: "verified",
});

describe("statistics", () => {
  it("counts environments, versions in use, shared versions and the distribution", () => {
    const synced = new Date("2026-01-01T00:00:00Z");
    const stats = computeStatistics({
      environments: [env(1, 1, synced), env(2, 1, synced), env(3, 2, synced), env(4, null)],
      versions: [version(1), version(2), version(3), version(4, "pending")],
      footprint: { totalBytes: 2000, metadataBytes: 1000, perEnvironmentCopyBytes: 3000 },
      lookups: { localHits: 9, fetched: 1, notFound: 5 },
    });
    expect(stats.totalEnvironments).toBe(4);
    expect(stats.uniqueVersions).toBe(2);
    expect(stats.storedVersions).toBe(3);
    expect(stats.sharedVersions).toBe(1);
    expect(stats.versionDistribution).toEqual({ hash1: 2, hash2: 1 });
    expect(stats.lastSyncTimes["https://env4.example"]).toBeNull();
    expect(stats.cacheHitRatio).toBeCloseTo(0.9);
    expect(stats.storageEfficiency).toBeCloseTo(2 / 3);
  });

  it("is 0, not NaN, with no lookups and no stored bytes", () => {
    expect(hitRatio({ localHits: 0, fetched: 0, notFound: 3 })).toBe(0);
    expect(storageEfficiency({ totalBytes: 0, metadataBytes: 0, perEnvironmentCopyBytes: 0 })).toBe(0);
    expect(storageEfficiency({ totalBytes: 10, metadataBytes: 20, perEnvironmentCopyBytes: 10 })).toBe(0);
  });
});
