/** LabelResolver over a real SQLite store and a fixture label source (counts what it is asked). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type LabelFetcher, LabelResolver } from "../../packages/client/src/cache/labels.js";
import { LookupCounter } from "../../packages/client/src/cache/statistics.js";
import type { Label } from "../../packages/client/src/metadata/models.js";
import { openMetadataStore } from "../../packages/client/src/store/index.js";
import type { MetadataStore } from "../../packages/client/src/store/types.js";
import { createLeaseOwner } from "../../packages/client/src/sync/lease.js";
import { EnvironmentVersionInfo, ModuleVersionInfo } from "../../packages/client/src/version/models.js";

/** Serves labels from a fixed table, like the service: null for ids it does not know. */
class FixtureLabels implements LabelFetcher {
  single: string[] = [];
  bulk: string[][] = [];
  constructor(
    private readonly texts: Record<string, string>,
    withBulk: boolean,
  ) {
    if (!withBulk) this.getLabels = undefined;
  }
  async getLabel(id: string, language: string): Promise<Label | null> {
    this.single.push(id);
    const value = this.texts[id];
    return value === undefined ? null : { id, language, value };
  }
  getLabels?: LabelFetcher["getLabels"] = async (ids, language) => {
    this.bulk.push([...ids]);
    return new Map(
      ids.map((id) => [id, this.texts[id] === undefined ? null : { id, language, value: this.texts[id] }]),
    );
  };
}

let dir: string;
let store: MetadataStore;
let versionId: number;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "d365fo-labels-"));
  store = await openMetadataStore({ cacheDir: dir, cacheUrl: "" });
  const info = new EnvironmentVersionInfo({
    modules: [
      new ModuleVersionInfo({ name: "M", version: "1", moduleId: "M", publisher: "", displayName: "" }),
    ],
  });
  versionId = (await store.getOrCreateVersion(info, null)).version.id;
  await store.writeLabels(versionId, [
    { id: "@SYS1", language: "en-us", value: "One" },
    { id: "@SYS2", language: "en-us", value: "Two" },
  ]);
  await store.completeVersion(versionId);
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("LabelResolver", () => {
  it("serves stored texts without asking the environment", async () => {
    const source = new FixtureLabels({}, true);
    const counter = new LookupCounter();
    const resolver = new LabelResolver({ store, fetcher: source, counter, concurrency: 4 });
    const texts = await resolver.resolve(versionId, ["@SYS1", "@SYS2", "@SYS1"], "en-US");
    expect(Object.fromEntries(texts)).toEqual({ "@SYS1": "One", "@SYS2": "Two" });
    expect(source.single).toEqual([]);
    expect(source.bulk).toEqual([]);
    expect(counter.snapshot()).toEqual({ localHits: 2, fetched: 0, notFound: 0 });
  });

  it("fetches only the misses in one bulk call, stores them, then serves them locally", async () => {
    const source = new FixtureLabels({ "@SYS3": "Three", "@SYS4": "Four" }, true);
    const counter = new LookupCounter();
    const resolver = new LabelResolver({ store, fetcher: source, counter, concurrency: 4 });
    const ids = ["@SYS1", "@SYS3", "@SYS4", "@Nope:Missing"];
    const first = await resolver.resolve(versionId, ids, "en-US");
    expect(first.get("@SYS3")).toBe("Three");
    expect(first.has("@Nope:Missing")).toBe(false);
    expect(source.bulk).toEqual([["@SYS3", "@SYS4", "@Nope:Missing"]]);
    expect(await store.getLabel(versionId, "@SYS4", "en-us")).toBe("Four");
    expect(counter.snapshot()).toEqual({ localHits: 1, fetched: 2, notFound: 1 });

    await resolver.resolve(versionId, ids, "en-US");
    expect(source.bulk).toHaveLength(1);
    expect(counter.snapshot()).toEqual({ localHits: 4, fetched: 2, notFound: 2 });
  });

  it("uses a bounded pool of single requests when the source has no bulk form", async () => {
    const texts = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`@F:L${i}`, `Text ${i}`]));
    const source = new FixtureLabels(texts, false);
    const resolver = new LabelResolver({
      store,
      fetcher: source,
      counter: new LookupCounter(),
      concurrency: 3,
    });
    const result = await resolver.resolve(versionId, Object.keys(texts), "de-DE");
    expect(result.size).toBe(20);
    expect(source.single.sort()).toEqual(Object.keys(texts).sort());
    expect(await store.getLabel(versionId, "@F:L7", "de-de")).toBe("Text 7");
    expect(await store.getLabel(versionId, "@F:L7", "en-us")).toBeUndefined();
  });

  it("asks again for unknown ids after forgetUnknown (a sync may have added them)", async () => {
    const source = new FixtureLabels({}, false);
    const resolver = new LabelResolver({
      store,
      fetcher: source,
      counter: new LookupCounter(),
      concurrency: 1,
    });
    await resolver.resolve(versionId, ["@X:Y"], "en-US");
    await resolver.resolve(versionId, ["@X:Y"], "en-US");
    expect(source.single).toEqual(["@X:Y"]);
    resolver.forgetUnknown();
    await resolver.resolve(versionId, ["@X:Y"], "en-US");
    expect(source.single).toEqual(["@X:Y", "@X:Y"]);
  });

  it("stores a fetched miss of a complete, shared version without a lease and without changing its content", async () => {
    // Another process holds the version's sync lease: a read must neither wait for it nor need it.
    expect(await store.tryAcquireSyncLease(versionId, createLeaseOwner(4242, "another-host"), 600_000)).toBe(
      true,
    );
    const contentHash = await store.getContentHash(versionId);
    const counts = await store.getCounts(versionId);
    const search = {
      versionId,
      terms: ["three"],
      prefixLastTerm: false,
      kinds: ["label" as const],
      language: "en-us",
      limit: 10,
      offset: 0,
    };
    const hitsBefore = await store.search(search);

    const source = new FixtureLabels({ "@SYS3": "Three" }, true);
    const resolver = new LabelResolver({
      store,
      fetcher: source,
      counter: new LookupCounter(),
      concurrency: 2,
    });
    expect((await resolver.resolve(versionId, ["@SYS3"], "en-US")).get("@SYS3")).toBe("Three");

    // Stored: a new resolver (another process) finds it without asking the environment.
    const later = new FixtureLabels({}, true);
    const other = new LabelResolver({ store, fetcher: later, counter: new LookupCounter(), concurrency: 2 });
    expect((await other.resolve(versionId, ["@sys3"], "en-US")).get("@sys3")).toBe("Three");
    expect(later.bulk).toEqual([]);
    // The version's content, counts and search index are what the sync published.
    expect(await store.getContentHash(versionId)).toBe(contentHash);
    expect(await store.getCounts(versionId)).toEqual(counts);
    expect(await store.search(search)).toEqual(hitsBefore);
    expect((await store.getVersion(versionId))?.status).toBe("complete");
  });
});
