/**
 * MetadataCacheV2 end to end against the emulator (medium preset): environments A and B on one
 * release, C on its first upgrade, all synced into one store.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MetadataCacheV2 } from "../../packages/client/src/cache/metadata-cache.js";
import type { RunningEmulator } from "../../packages/emulator/src/api.js";
import type { EmulatorRelease } from "../../packages/emulator/src/model/types.js";
import { HOSTILE_QUERIES } from "../search/hostile-queries.js";
import { emulatorCredential, startTestEmulator, tempDir } from "./helpers.js";

let emulator: RunningEmulator;
let dir: ReturnType<typeof tempDir>;
let a: MetadataCacheV2;
let b: MetadataCacheV2;
let c: MetadataCacheV2;
let release: EmulatorRelease;

function enLabel(id: string | null): string | null {
  if (!id) return null;
  return release.labels.get("en-us")?.get(id) ?? null;
}

beforeAll(async () => {
  emulator = await startTestEmulator({
    preset: "medium",
    environments: [{ name: "a" }, { name: "b" }, { name: "c", release: 1 }],
  });
  dir = tempDir("cache-e2e");
  const credential = emulatorCredential(emulator);
  const make = (name: string, store?: MetadataCacheV2) =>
    new MetadataCacheV2({
      baseUrl: emulator.environment(name).baseUrl,
      credential,
      cacheDir: dir.path,
      store: store?.store,
      languages: ["en-US"],
    });
  a = make("a");
  await a.initialize();
  b = make("b", a);
  c = make("c", a);
  release = emulator.environment("a").release;
}, 120_000);

afterAll(async () => {
  await c?.close();
  await b?.close();
  await a?.close();
  await emulator?.close();
  dir?.remove();
});

describe("sync and sharing", () => {
  it("syncs A, shares A's version with B, syncs C's upgrade separately", async () => {
    const syncA = await a.syncIfNeeded();
    expect(syncA.outcome).toBe("synced");
    const syncB = await b.syncIfNeeded();
    expect(syncB.outcome).toBe("shared");
    expect(syncB.versionId).toBe(syncA.versionId);
    const syncC = await c.syncIfNeeded();
    expect(syncC.outcome).toBe("synced");
    expect(syncC.versionId).not.toBe(syncA.versionId);
    expect((await a.syncIfNeeded()).outcome).toBe("upToDate");
  }, 120_000);

  it("answers the environment version from the store, equal to the live one", async () => {
    const cached = await a.getEnvironmentVersion();
    const live = await a.getEnvironmentVersion({ useCache: false });
    expect(cached.modulesHash).toBe(live.modulesHash);
    expect(cached.modules.length).toBe(release.modules.length);
  });
});

describe("search", () => {
  it("ranks the exact entity name first", async () => {
    const page = await a.searchEntities("CustomerV3");
    expect(page.hits[0]).toMatchObject({
      kind: "publicEntity",
      name: "CustomerV3",
      tier: 0,
      reason: "exact name",
    });
  });

  it("finds every sampled public entity by its exact name", async () => {
    const sample = release.publicEntities.filter((_, i) => i % 40 === 0);
    for (const entity of sample) {
      const page = await a.searchEntities(entity.Name, { kinds: ["publicEntity"] });
      expect(page.hits[0]?.name, entity.Name).toBe(entity.Name);
    }
  });

  it("finds names by prefix and explains it", async () => {
    const page = await a.searchEntities("customerv", { kinds: ["publicEntity"] });
    const hit = page.hits.find((h) => h.name === "CustomerV3");
    expect(hit?.tier).toBe(1);
    expect(hit?.reason).toBe("name prefix 'customerv'");
  });

  it("finds entities by the words of their label", async () => {
    const page = await a.searchEntities("Customers V3", { kinds: ["publicEntity"], limit: 50 });
    const hit = page.hits.find((h) => h.name === "CustomerV3");
    expect(hit).toBeDefined();
  });

  it("returns raw label hits with their owner when asked for labels", async () => {
    const page = await a.searchEntities("Customers V3", { kinds: ["label"], limit: 50 });
    const hit = page.hits.find((h) => h.name === "CustomerV3" && h.ownerKind === "publicEntity");
    expect(hit).toMatchObject({ kind: "label", labelText: "Customers V3", reason: "label: 'Customers V3'" });
  });

  it("serves a label fetched on demand without changing anyone's search results", async () => {
    // The emulator's English labels repeat the names; its German ones do not, so a German
    // search could only match through the label text. The version was synced in English only.
    const id = "@AccountsReceivable:CustCustomerV3EntityLabel";
    const german = release.labels.get("de-de")?.get(id);
    expect(german).toBeTruthy();
    const search = () => a.searchEntities(german!, { kinds: ["publicEntity"], language: "de-DE", limit: 50 });
    const before = await search();
    expect(await a.getLabel(id, "de-DE")).toBe(german);
    // A read stores the text for every process sharing the version (B reads it without a
    // request), but it is not part of the version's content or search index: the same query
    // gives the same page as before the read. A sync in German (labelsOnly) indexes it.
    expect(await b.getLabel(id, "de-DE")).toBe(german);
    const after = await search();
    expect(after).toEqual(before);
    expect(after.hits.some((h) => h.name === "CustomerV3" && h.matchedField === "label")).toBe(false);
  });

  it("finds PascalCase property names from separate words", async () => {
    const page = await a.searchEntities("customer account", { kinds: ["property"], limit: 100 });
    expect(page.hits.some((h) => h.memberName === "CustomerAccount")).toBe(true);
  });

  it.each(HOSTILE_QUERIES.map((q) => [JSON.stringify(q).slice(0, 40), q]))(
    "never throws on hostile text %s",
    async (_label, text) => {
      const page = await a.searchEntities(text);
      expect(Array.isArray(page.hits)).toBe(true);
      expect(page.total).toBeGreaterThanOrEqual(page.hits.length);
    },
  );

  it("gives an empty page for empty text", async () => {
    const page = await a.searchEntities("   ");
    expect(page).toMatchObject({ hits: [], total: 0, terms: [] });
  });

  it("filters by category, OData-enabled and read-only", async () => {
    const byName = new Map(release.dataEntities.map((d) => [d.Name, d]));
    const master = await a.searchEntities("entity", {
      kinds: ["dataEntity"],
      entityCategory: "Master",
      limit: 100,
    });
    expect(master.hits.length).toBeGreaterThan(0);
    for (const hit of master.hits) expect(byName.get(hit.name)?.EntityCategory).toBe("Master");
    const readOnly = await a.searchEntities("entity", {
      kinds: ["dataEntity"],
      isReadOnly: true,
      limit: 100,
    });
    expect(readOnly.hits.length).toBeGreaterThan(0);
    for (const hit of readOnly.hits) expect(byName.get(hit.name)?.IsReadOnly).toBe(true);
    const odata = await a.searchEntities("entity", {
      kinds: ["dataEntity"],
      dataServiceEnabled: false,
      limit: 100,
    });
    expect(odata.hits.length).toBeGreaterThan(0);
    for (const hit of odata.hits) expect(byName.get(hit.name)?.DataServiceEnabled).toBe(false);
  });

  it("pages without overlap and reports the same total", async () => {
    const first = await a.searchEntities("cust", { limit: 5, offset: 0 });
    const second = await a.searchEntities("cust", { limit: 5, offset: 5 });
    expect(first.total).toBeGreaterThan(10);
    expect(second.total).toBe(first.total);
    const key = (h: { kind: string; name: string }) => `${h.kind}:${h.name}`;
    const firstKeys = new Set(first.hits.map(key));
    for (const hit of second.hits) expect(firstKeys.has(key(hit))).toBe(false);
  });

  it("finds actions with their definitions", async () => {
    const entity = release.publicEntities.find((e) => e.Actions.length > 0)!;
    const action = entity.Actions[0];
    const hits = await a.searchActions(action.Name, { limit: 100 });
    const hit = hits.find((h) => h.entityName === entity.Name && h.action.name === action.Name);
    expect(hit).toBeDefined();
  });
});

describe("entities, enumerations and labels", () => {
  it("returns CustomerV3 with label texts on the entity and its properties", async () => {
    const view = await a.getPublicEntity("CustomerV3");
    expect(view?.labelText).toBe("Customers V3");
    const json = release.publicEntities.find((e) => e.Name === "CustomerV3")!;
    expect(view?.properties.map((p) => p.name)).toEqual(json.Properties.map((p) => p.Name));
    const account = view?.properties.find((p) => p.name === "CustomerAccount");
    const accountJson = json.Properties.find((p) => p.Name === "CustomerAccount")!;
    expect(account?.labelText).toBe(enLabel(accountJson.LabelId));
    expect(account?.labelText).toBeTruthy();
    expect((await a.getPublicEntity("CustomersV3"))?.name).toBe("CustomerV3");
    // A repeated lookup is served from the in-memory view cache: the same frozen object.
    expect(await a.getPublicEntity("CustomerV3")).toBe(view);
    expect(Object.isFrozen(view?.properties[0])).toBe(true);
    expect(await a.getPublicEntity("NoSuchEntityAnywhere")).toBeUndefined();
  });

  it("returns an enumeration with member label texts", async () => {
    const json = release.enumerations.find((e) => e.Members.length > 1 && e.LabelId)!;
    const view = await a.getEnumeration(json.Name);
    expect(view?.labelText).toBe(enLabel(json.LabelId));
    expect(view?.members.map((m) => [m.name, m.value, m.labelText])).toEqual(
      json.Members.map((m) => [m.Name, m.Value, enLabel(m.LabelId)]),
    );
  });

  it("returns a data entity with its label text", async () => {
    const view = await a.getDataEntity("CustCustomerV3Entity");
    expect(view?.publicEntityName).toBe("CustomerV3");
    expect(view?.labelText).toBe("Customers V3");
  });

  it("fetches a label miss once, stores it, then serves it locally", async () => {
    const env = emulator.environment("a");
    const de = release.labels.get("de-de")!;
    const json = release.publicEntities.find((e) => e.Name === "CustomerV3")!;
    const id = json.Properties.map((p) => p.LabelId).find((l): l is string => !!l && de.has(l))!;
    const german = de.get(id);
    expect(german).toBeTruthy();
    const before = (await a.getStatistics()).lookups;
    env.resetCounters();
    expect(await a.getLabel(id, "de-DE")).toBe(german);
    const afterMiss = (await a.getStatistics()).lookups;
    expect(afterMiss.fetched).toBe(before.fetched + 1);
    expect(env.counters().byRoute["metadata.labels"]).toBe(1);
    expect(await a.getLabel(id, "de-DE")).toBe(german);
    const afterHit = (await a.getStatistics()).lookups;
    expect(afterHit.fetched).toBe(afterMiss.fetched);
    expect(afterHit.localHits).toBe(afterMiss.localHits + 1);
    expect(env.counters().byRoute["metadata.labels"]).toBe(1);
  });

  it("answers an unknown label id with undefined and does not ask again", async () => {
    const env = emulator.environment("a");
    env.resetCounters();
    expect(await a.getLabel("@NoSuchFile:NoSuchLabel")).toBeUndefined();
    expect(await a.getLabel("@NoSuchFile:NoSuchLabel")).toBeUndefined();
    expect(env.counters().byRoute["metadata.labels"]).toBe(1);
  });

  it("resolves many labels in one pass and fetches only the misses", async () => {
    const ids = [...(release.labels.get("de-de")?.keys() ?? [])].slice(0, 30);
    const env = emulator.environment("a");
    env.resetCounters();
    const english = await a.getLabels(ids);
    expect(english.size).toBe(ids.filter((id) => enLabel(id) !== null).length);
    expect(env.counters().byRoute["metadata.labels"] ?? 0).toBe(0);
    const german = await a.getLabels(ids, "de-DE");
    expect(german.get(ids[0])).toBe(release.labels.get("de-de")?.get(ids[0]));
    expect(env.counters().byRoute["metadata.labels"] ?? 0).toBeLessThanOrEqual(ids.length);
  });
});

describe("comparison, statistics and cleanup", () => {
  it("lists the upgrade's known changes between A and C", async () => {
    const log = emulator.environment("c").release.changeLog!;
    const diff = await a.compareEnvironments(
      emulator.environment("a").baseUrl,
      emulator.environment("c").baseUrl,
    );
    expect(diff.sameVersion).toBe(false);
    expect(diff.modules.changed.map((m) => [m.moduleId, m.name, m.fromVersion, m.toVersion]).sort()).toEqual(
      log.modulesChanged.map((m) => [m.moduleId, m.name, m.from, m.to]).sort(),
    );
    expect(diff.publicEntities.added).toEqual([...log.entitiesAdded].sort());
    expect(diff.publicEntities.removed).toEqual([...log.entitiesRemoved].sort());
    expect(diff.publicEntities.changed.map((e) => e.name).sort()).toEqual([...log.entitiesModified].sort());
    const changes = new Map(diff.publicEntities.changed.map((e) => [e.name, e]));
    for (const ref of log.propertiesAdded)
      expect(changes.get(ref.entity)?.propertiesAdded).toContain(ref.property);
    for (const ref of log.propertiesRemoved)
      expect(changes.get(ref.entity)?.propertiesRemoved).toContain(ref.property);
    for (const ref of log.propertiesRetyped) {
      const change = changes.get(ref.entity)?.propertiesChanged.find((p) => p.name === ref.property);
      expect(change?.fields).toContain("typeName");
    }
  });

  it("reports no differences between A and B", async () => {
    const diff = await b.compareEnvironments(
      emulator.environment("a").baseUrl,
      emulator.environment("b").baseUrl,
    );
    expect(diff.sameVersion).toBe(true);
    expect(diff.publicEntities.changed).toEqual([]);
  });

  it("counts 3 environments, 2 versions, 1 shared, and a positive storage efficiency", async () => {
    const stats = await a.getStatistics();
    expect(stats.totalEnvironments).toBe(3);
    expect(stats.uniqueVersions).toBe(2);
    expect(stats.sharedVersions).toBe(1);
    expect(Object.values(stats.versionDistribution).sort()).toEqual([1, 2]);
    expect(stats.storageEfficiency).toBeGreaterThan(0);
    expect(stats.storageEfficiency).toBeLessThan(1);
    expect(stats.cacheHitRatio).toBeGreaterThan(0);
    expect(stats.cacheHitRatio).toBeLessThan(1);
    expect(Object.values(stats.lastSyncTimes).every((t) => t instanceof Date)).toBe(true);
  });

  it("cleans up a version no environment serves any more", async () => {
    const oldHash = (await a.getEnvironmentVersion()).versionHash;
    for (const name of ["a", "b"]) await emulator.environment(name).setRelease(1);
    expect((await a.syncIfNeeded()).outcome).toBe("shared");
    expect((await b.syncIfNeeded()).outcome).toBe("shared");
    expect((await a.getStatistics()).storedVersions).toBe(2);
    const kept = await a.cleanup({ retentionDays: 30 });
    expect(kept.versionHashes).toEqual([]);
    const dry = await a.cleanup({ retentionDays: 0, dryRun: true });
    expect(dry.versionHashes).toEqual([oldHash]);
    expect((await a.getStatistics()).storedVersions).toBe(2);
    const done = await a.cleanup({ retentionDays: 0 });
    expect(done.versionHashes).toEqual([oldHash]);
    expect(done.definitionsDeleted).toBeGreaterThan(0);
    const stats = await a.getStatistics();
    expect(stats.storedVersions).toBe(1);
    expect(stats.uniqueVersions).toBe(1);
    expect(stats.sharedVersions).toBe(1);
    expect((await a.getPublicEntity("CustomerV3"))?.labelText).toBe("Customers V3");
  }, 60_000);
});
