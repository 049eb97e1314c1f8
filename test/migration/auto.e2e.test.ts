/**
 * `autoMigrateCache: true`: the cache facade imports the Python cache holding its environment on
 * `initialize()`, serves it offline at once (marked as imported), and its first sync costs the
 * version check only.
 */
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMetadataCache } from "../../packages/client/src/cache/index.js";
import { writePythonV2Cache } from "../../packages/client/src/store/sqlite/python/fixture-writer.js";
import type { RunningEmulator } from "../../packages/emulator/src/api.js";
import { emulatorCredential, startTestEmulator } from "../cache/helpers.js";
import { releaseContent, tempDir } from "./helpers.js";

let emulator: RunningEmulator;
let dir: string;
let cleanup: () => void;

beforeEach(async () => {
  ({ dir, cleanup } = tempDir("auto"));
  emulator = await startTestEmulator({ preset: "tiny", seed: 42, environments: 2 });
});
afterEach(async () => {
  await emulator.close();
  cleanup();
});

function config(baseUrl: string, autoMigrateCache: boolean) {
  return {
    baseUrl,
    credential: emulatorCredential(emulator),
    cacheDir: dir,
    cacheUrl: undefined,
    autoMigrateCache,
    onAutoMigrate: (path: string) => imported.push(path),
  };
}
const imported: string[] = [];

describe("autoMigrateCache", () => {
  it("imports on initialize(), serves at once, and the first sync is the version check", async () => {
    const [env] = emulator.environments;
    const tiny = releaseContent("tiny");
    writePythonV2Cache(join(dir, "metadata_v2.db"), {
      versions: [{ modules: tiny.modules, content: tiny.content }],
      environments: [{ baseUrl: env.baseUrl, version: 0 }],
    });
    imported.length = 0;
    const cache = createMetadataCache(config(env.baseUrl, true));
    try {
      await cache.initialize();
      expect(imported).toEqual([join(dir, "metadata_v2.db")]);
      env.resetCounters();
      const entity = await cache.getPublicEntity(tiny.content.publicEntities[0].name);
      expect(entity?.properties.length).toBe(tiny.content.publicEntities[0].properties.length);
      expect((await cache.getEnvironmentVersion()).trust).toBe("imported");
      expect(env.counters().requests).toBe(0);
      const result = await cache.syncIfNeeded();
      expect(result.outcome).toBe("upToDate");
      const c = env.counters();
      expect(c.requests - (c.byRoute.token ?? 0)).toBeLessThanOrEqual(3);
      expect((await cache.getStatistics()).versionsByTrust).toMatchObject({ verified: 1, imported: 0 });
    } finally {
      await cache.close();
    }
  });

  it("does nothing when off, or when the Python cache does not hold the environment", async () => {
    const [first, second] = emulator.environments;
    const tiny = releaseContent("tiny");
    writePythonV2Cache(join(dir, "metadata_v2.db"), {
      versions: [{ modules: tiny.modules, content: tiny.content }],
      environments: [{ baseUrl: first.baseUrl, version: 0 }],
    });
    imported.length = 0;
    const off = createMetadataCache(config(first.baseUrl, false));
    await off.initialize();
    expect((await off.getStatistics()).totalEnvironments).toBe(1);
    expect((await off.getStatistics()).storedVersions).toBe(0);
    await off.close();
    const other = createMetadataCache(config(second.baseUrl, true));
    await other.initialize();
    expect(imported).toEqual([]);
    expect((await other.getStatistics()).storedVersions).toBe(0);
    await other.close();
  });
});
