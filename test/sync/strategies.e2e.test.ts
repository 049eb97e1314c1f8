/**
 * Strategies, cancellation and an upgrade during a sync, end to end on the `tiny` preset, on
 * every store backend.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AbortedError } from "../../packages/client/src/errors.js";
import { parsePublicEntity } from "../../packages/client/src/metadata/parse.js";
import { VersionAwareSearchEngine } from "../../packages/client/src/search/engine.js";
import type { MetadataStore } from "../../packages/client/src/store/types.js";
import { EnvironmentChangedError } from "../../packages/client/src/sync/errors.js";
import type { SyncProgressEvent } from "../../packages/client/src/sync/types.js";
import type { EmulatorEnvironment, RunningEmulator } from "../../packages/emulator/src/api.js";
import { openBackendStore, type SyncStoreBackend, syncStoreBackends } from "./_backends.js";
import { createSyncStack, emulatorCredential, startTestEmulator, tempDir } from "./_stack.js";

function routeCount(env: EmulatorEnvironment, route: string): number {
  return env.counters().byRoute[route] ?? 0;
}

describe.each(syncStoreBackends())("sync strategies ($name)", (backend: SyncStoreBackend) => {
  let emulator: RunningEmulator;
  const dirs: ReturnType<typeof tempDir>[] = [];

  function freshStore(): Promise<MetadataStore> {
    const dir = tempDir("strategies");
    dirs.push(dir);
    return openBackendStore(backend, dir.path);
  }

  // Each backend gets its own emulator: a test upgrades an environment in place.
  beforeAll(async () => {
    emulator = await startTestEmulator({
      preset: "tiny",
      environments: [{ name: "A" }, { name: "B" }, { name: "C" }, { name: "D" }],
      languages: ["de-DE"],
    });
  });

  afterAll(async () => {
    await emulator?.close();
    for (const dir of dirs) dir.remove();
  });

  it("entitiesOnly publishes a version without labels; labelsOnly adds them, in another language too", async () => {
    const env = emulator.environment("A");
    const store = await freshStore();
    const stack = createSyncStack(env, store, emulatorCredential(emulator));
    const events: SyncProgressEvent[] = [];
    stack.sync.on("progress", (e) => events.push(e));
    const entities = await stack.sync.sync({ strategy: "entitiesOnly" });
    // Progress: every entity step reports its end with the stored total, with transfer figures.
    for (const [step, expected] of [
      ["dataEntities", env.release.dataEntities.length],
      ["publicEntities", env.release.publicEntities.length],
      ["enumerations", env.release.enumerations.length],
    ] as const) {
      const last = events.filter((e) => e.step === step).at(-1);
      expect(last, step).toMatchObject({ stepDone: true, done: expected, total: expected, etaMs: 0 });
      expect(last?.requests).toBeGreaterThan(0);
      expect(last?.bytesReceived).toBeGreaterThan(0);
    }
    expect(events.some((e) => e.step === "labels")).toBe(false);
    stack.sync.removeAllListeners("progress");
    expect(entities.outcome).toBe("partial");
    expect((await store.getVersion(entities.versionId))?.status).toBe("complete");
    expect((await store.findEnvironment(env.baseUrl))?.versionId).toBe(entities.versionId);
    expect(routeCount(env, "metadata.labels")).toBe(0);
    expect((await store.getCounts(entities.versionId)).labels).toBe(0);
    expect((await store.getCounts(entities.versionId)).publicEntities).toBe(
      env.release.publicEntities.length,
    );

    const referenced = await store.listReferencedLabelIds(entities.versionId);
    const labels = await stack.sync.sync({ strategy: "labelsOnly", languages: ["en-US", "de-DE"] });
    expect(labels.outcome).toBe("partial");
    expect(labels.labelsFetched + labels.labelsNotFound).toBe(referenced.length * 2);
    expect(routeCount(env, "metadata.labels")).toBe(referenced.length * 2);
    const german = env.release.labels.get("de-de")!;
    const id = referenced.find((i) => german.has(i))!;
    expect(await store.getLabel(labels.versionId, id, "de-DE")).toBe(german.get(id));
    expect(await store.listMissingLabelIds(labels.versionId, "de-DE")).toEqual(
      referenced.filter((i) => !german.has(i)),
    );
    // Labels a sync stores are indexed: a public entity is found by its German label text.
    const entity = env.release.publicEntities.find((e) => e.LabelId && german.has(e.LabelId))!;
    const page = await new VersionAwareSearchEngine(store).search(
      labels.versionId,
      german.get(entity.LabelId!)!,
      {
        kinds: ["publicEntity"],
        language: "de-DE",
        limit: 50,
      },
    );
    expect(page.hits.some((h) => h.name === entity.Name && h.matchedField === "label")).toBe(true);
    await stack.close();
    await store.close();
  });

  it("reverify writes only what differs from the environment", async () => {
    const env = emulator.environment("B");
    const store = await freshStore();
    const stack = createSyncStack(env, store, emulatorCredential(emulator));
    const synced = await stack.sync.syncIfNeeded();
    const contentHash = await store.getContentHash(synced.versionId);

    const clean = await stack.sync.sync({ strategy: "reverify" });
    expect(clean.outcome).toBe("reverified");
    expect(clean.differences).toEqual({ dataEntities: 0, publicEntities: 0, enumerations: 0, labels: 0 });
    expect(clean.metadataRowsWritten).toBe(0);

    // Damage one stored definition; reverify repairs exactly that one.
    const wire = env.release.publicEntities[0];
    const good = parsePublicEntity(wire, { collection: "PublicEntities" });
    await store.writePublicEntities(synced.versionId, [{ ...good, isReadOnly: !good.isReadOnly }]);
    expect(await store.getContentHash(synced.versionId)).not.toBe(contentHash);
    const repaired = await stack.sync.sync({ strategy: "reverify" });
    expect(repaired.differences).toEqual({ dataEntities: 0, publicEntities: 1, enumerations: 0, labels: 0 });
    expect(await store.getPublicEntity(synced.versionId, good.name)).toEqual(good);
    expect(await store.getContentHash(synced.versionId)).toBe(contentHash);
    await stack.close();
    await store.close();
  });

  it("a cancelled sync throws AbortedError, releases its lease and resumes later", async () => {
    const env = emulator.environment("C");
    const store = await freshStore();
    // Small label chunks, so the abort lands with labels still missing.
    const stack = createSyncStack(env, store, emulatorCredential(emulator), {
      labelChunkSize: 20,
      labelConcurrency: 4,
    });
    const controller = new AbortController();
    const events: SyncProgressEvent[] = [];
    const aborted = await stack.sync
      .syncIfNeeded({
        signal: controller.signal,
        onProgress: (e) => {
          events.push(e);
          // Labels overlap the entity phases; abort in the label pass that follows them.
          const entityPhasesDone = ["dataEntities", "publicEntities", "enumerations"].every((step) =>
            events.some((x) => x.step === step && x.stepDone),
          );
          if (e.step === "labels" && e.done > 0 && entityPhasesDone) controller.abort();
        },
      })
      .catch((error: unknown) => error);
    expect(aborted).toBeInstanceOf(AbortedError);
    const version = (await store.listVersions())[0];
    expect(version.status).toBe("pending");
    expect(await store.getSyncLease(version.id)).toBeUndefined();
    expect((await store.findEnvironment(env.baseUrl))?.versionId).toBeNull();
    expect((await store.getSyncState(version.id)).completedPhases.sort()).toEqual(
      ["dataEntities", "enumerations", "publicEntities"].sort(),
    );
    expect(events.some((e) => e.step === "publicEntities" && e.stepDone)).toBe(true);

    const labelsBefore = routeCount(env, "metadata.labels");
    const missing = (await store.listMissingLabelIds(version.id, "en-US")).length;
    expect(missing).toBeGreaterThan(0);
    const resumed = await stack.sync.syncIfNeeded();
    expect(resumed.outcome).toBe("resumed");
    expect(resumed.skippedPhases).toEqual(["dataEntities", "publicEntities", "enumerations"]);
    // Only the missing labels were asked for again (the server may still count a request or two
    // the cancelled sync had on the wire when it was aborted).
    expect(resumed.labelsFetched + resumed.labelsNotFound).toBe(missing);
    expect(routeCount(env, "metadata.labels") - labelsBefore).toBeLessThanOrEqual(missing + 4);
    expect((await store.getVersion(version.id))?.status).toBe("complete");
    await stack.close();
    await store.close();
  });

  it("an upgrade during the sync is detected before publishing, and the next sync gets the new release", async () => {
    const env = emulator.environment("D");
    const store = await freshStore();
    const stack = createSyncStack(env, store, emulatorCredential(emulator));
    let upgraded: Promise<void> | undefined;
    const error = await stack.sync
      .syncIfNeeded({
        onProgress: (e) => {
          if (e.step === "labels" && !upgraded) upgraded = env.setRelease(1);
        },
      })
      .catch((e: unknown) => e);
    await upgraded;
    expect(error).toBeInstanceOf(EnvironmentChangedError);
    const stale = (await store.listVersions())[0];
    expect(stale.status).toBe("pending");
    expect((await store.getSyncState(stale.id)).completedPhases).toEqual([]);
    expect((await store.findEnvironment(env.baseUrl))?.versionId).toBeNull();

    const next = await stack.sync.syncIfNeeded();
    expect(next.outcome).toBe("synced");
    expect(next.versionId).not.toBe(stale.id);
    expect((await store.listPublicEntityNames(next.versionId)).length).toBe(
      env.release.publicEntities.length,
    );
    await stack.close();
    await store.close();
  });
});
