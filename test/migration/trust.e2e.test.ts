/**
 * Trust, not faith, end to end against the emulator: the first live check adopts an imported
 * version whose only difference is the module lines the Python tool could not parse; a silently
 * incomplete version is re-verified by the next sync; a v1 legacy version is replaced by it.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MetadataMigrationManager } from "../../packages/client/src/migration/manager.js";
import { inspectStore, openMetadataStore } from "../../packages/client/src/store/index.js";
import {
  writePythonV1Cache,
  writePythonV2Cache,
} from "../../packages/client/src/store/sqlite/python/fixture-writer.js";
import type { MetadataStore } from "../../packages/client/src/store/types.js";
import { computeModulesHash, ModuleVersionInfo } from "../../packages/client/src/version/models.js";
import type { RunningEmulator } from "../../packages/emulator/src/api.js";
import { createSyncStack, emulatorCredential, startTestEmulator } from "../sync/_stack.js";
import { releaseContent, tempDir } from "./helpers.js";

let emulator: RunningEmulator | undefined;
let dir: string;
let cleanup: () => void;
let store: MetadataStore;

beforeEach(async () => {
  ({ dir, cleanup } = tempDir("trust"));
  store = await openMetadataStore({ cacheDir: join(dir, "cache"), cacheUrl: "" });
});
afterEach(async () => {
  await store.close();
  await emulator?.close();
  emulator = undefined;
  cleanup();
});

function requests(env: RunningEmulator["environments"][number]): number {
  const c = env.counters();
  return c.requests - (c.byRoute.token ?? 0);
}

describe("a dropped module line (DisplayName with ` | `)", () => {
  it("the first live check adopts the imported version, stores the full list and hash; ≤ 3 requests, no rows", async () => {
    emulator = await startTestEmulator({ preset: "medium", seed: 42, environments: 1 });
    const env = emulator.environments[0];
    const medium = releaseContent("medium");
    const live = medium.modules.map((m) => new ModuleVersionInfo(m));
    expect(live.some((m) => m.toString().split(" | ").length !== 5)).toBe(true);
    const path = join(dir, "metadata_v2.db");
    writePythonV2Cache(path, {
      versions: [{ modules: medium.modules, content: medium.content }],
      environments: [{ baseUrl: env.baseUrl, version: 0 }],
    });
    await new MetadataMigrationManager({ store }).migrate(path);
    const imported = (await store.findEnvironment(env.baseUrl))?.versionId as number;
    expect((await store.getVersion(imported))?.moduleCount).toBe(live.length - 1);

    const rows = await inspectStore(store).countMetadataRows();
    const stack = createSyncStack(env, store, emulatorCredential(emulator));
    try {
      env.resetCounters();
      const result = await stack.sync.syncIfNeeded();
      expect(requests(env)).toBeLessThanOrEqual(3);
      expect(result.outcome).toBe("upToDate");
      expect(await inspectStore(store).countMetadataRows()).toBe(rows);
      const version = await store.getVersion(imported);
      expect(version).toMatchObject({
        moduleCount: live.length,
        modulesHash: computeModulesHash(live),
        trust: "verified",
      });
      expect((await store.getVersionModules(imported)).length).toBe(live.length);
      // And the next check finds it directly by its correct hash.
      env.resetCounters();
      expect((await stack.sync.syncIfNeeded()).outcome).toBe("upToDate");
      expect(requests(env)).toBeLessThanOrEqual(3);
      // Importing the same Python cache again recognises the adopted version: nothing to import.
      const again = await new MetadataMigrationManager({ store }).migrate(path);
      expect(again).toMatchObject({ nothingImported: true, rowsWritten: 0 });
      expect(again.message).toMatch(/already in this cache/);
      expect(again.plan.environments[0].action).toBe("alreadyImported");
      // Another environment on that version, from another Python cache: linked to the adopted version.
      const other = join(dir, "other", "metadata_v2.db");
      mkdirSync(join(dir, "other"));
      writePythonV2Cache(other, {
        versions: [{ modules: medium.modules, content: medium.content }],
        environments: [{ baseUrl: "https://contoso-uat.operations.dynamics.com", version: 0 }],
      });
      const linked = await new MetadataMigrationManager({ store }).migrate(other);
      expect(linked).toMatchObject({
        environmentsImported: 1,
        versionsImported: 0,
        versionsShared: 1,
        rowsWritten: 0,
      });
      expect((await store.findEnvironment("https://contoso-uat.operations.dynamics.com"))?.versionId).toBe(
        imported,
      );
      expect(await store.listVersions()).toHaveLength(1);
    } finally {
      await stack.close();
    }
  });

  it("any other difference is a different version: a normal sync, the imported one kept", async () => {
    emulator = await startTestEmulator({ preset: "tiny", seed: 42, environments: 1 });
    const env = emulator.environments[0];
    const tiny = releaseContent("tiny");
    const older = tiny.modules.map((m, i) => (i === 0 ? { ...m, version: "10.34.2000.1" } : m));
    const path = join(dir, "metadata_v2.db");
    writePythonV2Cache(path, {
      versions: [{ modules: older, content: tiny.content }],
      environments: [{ baseUrl: env.baseUrl, version: 0 }],
    });
    await new MetadataMigrationManager({ store }).migrate(path);
    const imported = (await store.findEnvironment(env.baseUrl))?.versionId as number;
    const stack = createSyncStack(env, store, emulatorCredential(emulator));
    try {
      const result = await stack.sync.syncIfNeeded();
      expect(result.outcome).toBe("synced");
      const serving = (await store.findEnvironment(env.baseUrl))?.versionId;
      expect(serving).not.toBe(imported);
      expect((await store.getVersion(imported))?.status).toBe("complete");
      expect((await store.getVersion(imported))?.trust).toBe("imported");
    } finally {
      await stack.close();
    }
  });
});

describe("a silently incomplete version (0 public entities)", () => {
  it("is served and marked, and the next sync re-verifies it instead of trusting it", async () => {
    emulator = await startTestEmulator({ preset: "tiny", seed: 42, environments: 1 });
    const env = emulator.environments[0];
    const tiny = releaseContent("tiny");
    const path = join(dir, "metadata_v2.db");
    writePythonV2Cache(path, {
      versions: [{ modules: tiny.modules, content: tiny.content, throttled: { publicEntities: true } }],
      environments: [{ baseUrl: env.baseUrl, version: 0 }],
    });
    const result = await new MetadataMigrationManager({ store }).migrate(path);
    expect(result.versions[0].trust).toBe("needsReverification");
    const versionId = (await store.findEnvironment(env.baseUrl))?.versionId as number;
    expect((await store.getVersion(versionId))?.trust).toBe("needsReverification");
    const someEntity = tiny.content.dataEntities[0].name;
    expect(await store.getDataEntity(versionId, someEntity)).toBeDefined();
    expect(await store.listPublicEntityNames(versionId)).toEqual([]);

    const stack = createSyncStack(env, store, emulatorCredential(emulator));
    try {
      const synced = await stack.sync.syncIfNeeded();
      expect(synced.outcome).toBe("reverified");
      expect(synced.differences?.publicEntities).toBe(tiny.content.publicEntities.length);
      expect((await store.listPublicEntityNames(versionId)).length).toBe(tiny.content.publicEntities.length);
      expect((await store.getVersion(versionId))?.trust).toBe("verified");
      expect((await stack.sync.syncIfNeeded()).outcome).toBe("upToDate");
    } finally {
      await stack.close();
    }
  });
});

describe("a v1 import", () => {
  it("is an unverified legacy version, queryable offline, replaced by the first live sync", async () => {
    emulator = await startTestEmulator({ preset: "tiny", seed: 42, environments: 1 });
    const env = emulator.environments[0];
    const tiny = releaseContent("tiny");
    const path = join(dir, "metadata.db");
    writePythonV1Cache(path, {
      baseUrl: env.baseUrl,
      versions: [
        {
          applicationVersion: tiny.applicationVersion,
          platformVersion: tiny.platformVersion,
          isActive: true,
          content: tiny.content,
        },
      ],
    });
    await new MetadataMigrationManager({ store }).migrate(path);
    const legacy = (await store.findEnvironment(env.baseUrl))?.versionId as number;
    expect(await store.getVersion(legacy)).toMatchObject({
      trust: "legacy",
      moduleCount: 0,
      applicationVersion: tiny.applicationVersion,
    });
    const entity = tiny.content.publicEntities[0];
    expect((await store.getPublicEntity(legacy, entity.name))?.properties.length).toBe(
      entity.properties.length,
    );

    const stack = createSyncStack(env, store, emulatorCredential(emulator));
    try {
      const synced = await stack.sync.syncIfNeeded();
      expect(synced.outcome).toBe("synced");
      const serving = (await store.findEnvironment(env.baseUrl))?.versionId as number;
      expect(serving).not.toBe(legacy);
      expect((await store.getVersion(serving))?.trust).toBe("verified");
      expect((await store.getVersion(legacy))?.referenceCount).toBe(0);
    } finally {
      await stack.close();
    }
  });
});
