/** The cache's lifecycle on the tiny preset: before any sync, factory configuration, close. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMetadataCache } from "../../packages/client/src/cache/factory.js";
import { MetadataCacheV2 } from "../../packages/client/src/cache/metadata-cache.js";
import { ConfigurationError, NotSyncedError } from "../../packages/client/src/errors.js";
import type { RunningEmulator } from "../../packages/emulator/src/api.js";
import { emulatorCredential, startTestEmulator, tempDir } from "./helpers.js";

let emulator: RunningEmulator;
let dir: ReturnType<typeof tempDir>;

beforeAll(async () => {
  emulator = await startTestEmulator({ preset: "tiny", environments: 1 });
  dir = tempDir("cache-life");
}, 60_000);

afterAll(async () => {
  await emulator?.close();
  dir?.remove();
});

describe("before the first sync", () => {
  it("throws NotSyncedError from every read", async () => {
    const cache = new MetadataCacheV2({
      baseUrl: emulator.environments[0].baseUrl,
      credential: emulatorCredential(emulator),
      cacheDir: dir.path,
    });
    try {
      await expect(cache.getPublicEntity("CustomerV3")).rejects.toBeInstanceOf(NotSyncedError);
      await expect(cache.searchEntities("customer")).rejects.toBeInstanceOf(NotSyncedError);
      await expect(cache.getLabel("@SYS7149")).rejects.toBeInstanceOf(NotSyncedError);
      await expect(cache.getEnumeration("NoYes")).rejects.toMatchObject({ code: "D365_NOT_SYNCED" });
      const stats = await cache.getStatistics();
      expect(stats.totalEnvironments).toBe(1);
      expect(stats.uniqueVersions).toBe(0);
      expect(stats.storageEfficiency).toBe(0);
    } finally {
      await cache.close();
    }
  });
});

describe("createMetadataCache", () => {
  it("refuses metadataVersion v1 with a ConfigurationError", () => {
    expect(() =>
      createMetadataCache({ baseUrl: emulator.environments[0].baseUrl, metadataVersion: "v1" }),
    ).toThrow(ConfigurationError);
  });

  it("creates a working v2 cache from client options, syncs and reads", async () => {
    const cache = createMetadataCache({
      baseUrl: emulator.environments[0].baseUrl,
      credential: emulatorCredential(emulator),
      enableMetadataCacheV2: true,
      metadataVersion: "v2",
      autoMigrateCache: true,
      metadataCacheDir: dir.path,
    });
    try {
      const result = await cache.syncIfNeeded();
      expect(result.outcome).toBe("synced");
      expect((await cache.getPublicEntity("CustomerV3"))?.labelText).toBe("Customers V3");
      expect((await cache.store.describe()).location.startsWith(dir.path)).toBe(true);
    } finally {
      await cache.close();
      await cache.close();
    }
  });

  it("returns a view without the labels it could not fetch, and completes it later", async () => {
    const env = emulator.environments[0];
    const cache = new MetadataCacheV2({
      baseUrl: env.baseUrl,
      credential: emulatorCredential(emulator),
      cacheDir: dir.path,
      http: { maxRetries: 0 },
    });
    try {
      await cache.syncIfNeeded();
      const german = env.release.labels.get("de-de")?.get("@AccountsReceivable:CustCustomerV3EntityLabel");
      expect(german).toBeTruthy();
      env.setKnobs({ faults: { error500Rate: 1, pathPattern: "Labels" } });
      const degraded = await cache.getPublicEntity("CustomerV3", { language: "de-DE" });
      expect(degraded?.name).toBe("CustomerV3");
      expect(degraded?.labelText).toBeNull();
      await expect(
        cache.getLabel("@AccountsReceivable:CustCustomerV3EntityLabel", "de-DE"),
      ).rejects.toMatchObject({
        code: "D365_SERVER_ERROR",
      });
      env.setKnobs({ faults: { error500Rate: 0 } });
      const complete = await cache.getPublicEntity("CustomerV3", { language: "de-DE" });
      expect(complete?.labelText).toBe(german);
    } finally {
      env.setKnobs({ faults: { error500Rate: 0 } });
      await cache.close();
    }
  });

  it("rejects bad read arguments with ConfigurationError", async () => {
    const cache = new MetadataCacheV2({
      baseUrl: emulator.environments[0].baseUrl,
      credential: emulatorCredential(emulator),
      cacheDir: dir.path,
    });
    try {
      await expect(cache.getPublicEntity("")).rejects.toBeInstanceOf(ConfigurationError);
      await expect(cache.getLabel("@SYS7149", "not a language")).rejects.toBeInstanceOf(ConfigurationError);
      await expect(cache.searchEntities("x", { offset: -1 })).rejects.toBeInstanceOf(ConfigurationError);
      await expect(cache.searchEntities("x", { kinds: ["nope" as never] })).rejects.toBeInstanceOf(
        ConfigurationError,
      );
    } finally {
      await cache.close();
    }
  });
});
