/**
 * The import end to end: the real Python fixture into a real SQLite store, compared item by item
 * with what the emulator serves for the same preset and seed (started on the fixture's base URL),
 * then the first live sync against that emulator: at most the three version-check requests and
 * no metadata row written. Plus sharing, idempotence, atomicity and hostile sources.
 */
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { DataEntity, Enumeration, PublicEntity } from "../../packages/client/src/metadata/models.js";
import { MigrationSourceError } from "../../packages/client/src/migration/errors.js";
import { MetadataMigrationManager } from "../../packages/client/src/migration/manager.js";
import { inspectStore, openMetadataStore } from "../../packages/client/src/store/index.js";
import { writePythonV2Cache } from "../../packages/client/src/store/sqlite/python/fixture-writer.js";
import type { MetadataStore } from "../../packages/client/src/store/types.js";
import type { RunningEmulator } from "../../packages/emulator/src/api.js";
import { createSyncStack, emulatorCredential, startTestEmulator } from "../sync/_stack.js";
import { copyFixture, FIXTURE_BASE_URL, folderSnapshot, releaseContent, tempDir } from "./helpers.js";

let emulator: RunningEmulator;
let dir: string;
let cleanup: () => void;
let store: MetadataStore;

/**
 * The Python fixture names its environment by this fixed port, which sits in Linux's ephemeral
 * range: a parallel test's client socket can hold it for a moment, so only that collision is retried.
 */
async function startOnFixturePort(): Promise<RunningEmulator> {
  const port = Number(new URL(FIXTURE_BASE_URL).port);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startTestEmulator({ preset: "tiny", seed: 42, environments: 1, port });
    } catch (error) {
      if (!/EADDRINUSE/.test(String(error)) || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

beforeAll(async () => {
  emulator = await startOnFixturePort();
  expect(emulator.environments[0].baseUrl).toBe(FIXTURE_BASE_URL);
});
afterAll(async () => {
  await emulator?.close();
});
beforeEach(async () => {
  ({ dir, cleanup } = tempDir("import"));
  store = await openMetadataStore({ cacheDir: join(dir, "cache"), cacheUrl: "" });
});
afterEach(async () => {
  await store.close();
  cleanup();
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Version-check and metadata requests the environment received (the token endpoint excluded). */
function requestsSince(before: number): number {
  const counters = emulator.environments[0].counters();
  return counters.requests - (counters.byRoute.token ?? 0) - before;
}

describe("importing the real fixture", () => {
  it("serves every entity, enumeration and label the emulator serves; the next sync costs ≤ 3 requests and no rows", async () => {
    const source = copyFixture(join(dir));
    const before = folderSnapshot(dir);
    const manager = new MetadataMigrationManager({ store });
    const result = await manager.migrate(source);
    expect(folderSnapshot(dir)).toMatchObject(before);
    expect(result).toMatchObject({ environmentsImported: 1, versionsImported: 1, nothingImported: false });
    expect(result.repairs.duplicateFixedConstraintsRemoved).toBe(1);

    const env = await store.findEnvironment(FIXTURE_BASE_URL);
    expect(env?.versionId).not.toBeNull();
    const versionId = env?.versionId as number;
    expect((await store.getVersion(versionId))?.trust).toBe("imported");

    const stack = createSyncStack(emulator.environments[0], store, emulatorCredential(emulator));
    try {
      const dataEntities: DataEntity[] = await collect(stack.client.dataEntities());
      const publicEntities: PublicEntity[] = await collect(stack.client.publicEntities());
      const enumerations: Enumeration[] = await collect(stack.client.enumerations());
      expect(await store.listDataEntityNames(versionId)).toEqual(dataEntities.map((e) => e.name).sort());
      for (const e of dataEntities) expect(await store.getDataEntity(versionId, e.name)).toEqual(e);
      expect((await store.listPublicEntityNames(versionId)).length).toBe(publicEntities.length);
      for (const e of publicEntities) expect(await store.getPublicEntity(versionId, e.name)).toEqual(e);
      expect((await store.listEnumerationNames(versionId)).length).toBe(enumerations.length);
      for (const e of enumerations) expect(await store.getEnumeration(versionId, e.name)).toEqual(e);
      const ids = await store.listReferencedLabelIds(versionId);
      expect(ids.length).toBeGreaterThan(100);
      const stored = await store.getLabels(versionId, ids, "en-us");
      for (const id of ids) {
        const served = await stack.client.getLabel(id, "en-US");
        expect(stored.get(id), id).toBe(served?.value);
      }

      const rowsBefore = await inspectStore(store).countMetadataRows();
      const requestsBefore = requestsSince(0);
      const synced = await stack.sync.syncIfNeeded();
      expect(requestsSince(requestsBefore)).toBeLessThanOrEqual(3);
      expect(synced.outcome).toBe("upToDate");
      expect(await inspectStore(store).countMetadataRows()).toBe(rowsBefore);
      expect((await store.getVersion(versionId))?.trust).toBe("verified");
    } finally {
      await stack.close();
    }
  });

  it("a second import imports nothing and says so", async () => {
    const source = copyFixture(dir);
    const manager = new MetadataMigrationManager({ store });
    await manager.migrate(source);
    const rows = await inspectStore(store).countMetadataRows();
    const again = await manager.migrate(source);
    expect(again).toMatchObject({
      nothingImported: true,
      rowsWritten: 0,
      environmentsImported: 0,
      versionsImported: 0,
    });
    expect(again.message).toMatch(/Nothing to import: everything importable is already in this cache/);
    expect(await inspectStore(store).countMetadataRows()).toBe(rows);
  });

  it("a version identical to one this store synced adds no metadata rows", async () => {
    // A live sync of another environment on the same module set, then the Python cache.
    const stack = createSyncStack(emulator.environments[0], store, emulatorCredential(emulator));
    await stack.sync.syncIfNeeded();
    await stack.close();
    const path = join(dir, "metadata_v2.db");
    const { modules, content } = releaseContent("tiny");
    writePythonV2Cache(path, {
      versions: [{ modules, content }],
      environments: [{ baseUrl: "https://contoso-uat.operations.dynamics.com", version: 0 }],
    });
    const rows = await inspectStore(store).countMetadataRows();
    const result = await new MetadataMigrationManager({ store }).migrate(path);
    expect(result).toMatchObject({
      environmentsImported: 1,
      versionsImported: 0,
      versionsShared: 1,
      rowsWritten: 0,
    });
    expect(await inspectStore(store).countMetadataRows()).toBe(rows);
    const uat = await store.findEnvironment("https://contoso-uat.operations.dynamics.com");
    const live = await store.findEnvironment(FIXTURE_BASE_URL);
    expect(uat?.versionId).toBe(live?.versionId);
  });

  it("an interrupted import leaves nothing visible, and the next run completes it", async () => {
    const source = copyFixture(dir);
    const controller = new AbortController();
    const manager = new MetadataMigrationManager({ store });
    await expect(
      manager.migrate(source, {
        signal: controller.signal,
        onProgress: (e) => {
          if (e.step === "publicEntities") controller.abort(new Error("interrupted"));
        },
      }),
    ).rejects.toThrow();
    expect((await store.findEnvironment(FIXTURE_BASE_URL))?.versionId ?? null).toBeNull();
    expect((await store.listVersions()).filter((v) => v.status === "complete")).toEqual([]);
    const result = await manager.migrate(source);
    expect(result.versionsImported).toBe(1);
    expect((await store.findEnvironment(FIXTURE_BASE_URL))?.versionId).not.toBeNull();
  });

  it("a hostile source gives a typed error and changes nothing in the store", async () => {
    const source = copyFixture(dir);
    const { truncateSync } = await import("node:fs");
    truncateSync(source, 50_000);
    const rows = await inspectStore(store).countMetadataRows();
    const error = await new MetadataMigrationManager({ store }).migrate(source).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationSourceError);
    expect(await store.listEnvironments()).toEqual([]);
    expect(await inspectStore(store).countMetadataRows()).toBe(rows);
  });
});
