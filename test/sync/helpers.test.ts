import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { Label, PublicEntity } from "../../packages/client/src/metadata/models.js";
import type { CollectionRequestOptions } from "../../packages/client/src/metadata/source.js";
import { chunksOf, publicEntityWindows, slices } from "../../packages/client/src/sync/collections.js";
import { canonicalJson, sameContent } from "../../packages/client/src/sync/compare.js";
import { fetchLabels } from "../../packages/client/src/sync/labels.js";
import { createLeaseOwner, isLeaseOwnerDead, parseLeaseOwner } from "../../packages/client/src/sync/lease.js";
import { StepRateEstimator } from "../../packages/client/src/sync/progress.js";

function entity(i: number): PublicEntity {
  return {
    name: `E${i}`,
    entitySetName: `E${i}s`,
    labelId: null,
    isReadOnly: false,
    configurationEnabled: true,
    properties: [],
    navigationProperties: [],
    propertyGroups: [],
    actions: [],
  };
}

async function* fromArray<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

describe("chunksOf / slices", () => {
  it("groups a stream into chunks of at most the given size, keeping order", async () => {
    const out: number[][] = [];
    for await (const c of chunksOf(fromArray([1, 2, 3, 4, 5, 6, 7]), 3)) out.push(c);
    expect(out).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(slices([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(slices([], 2)).toEqual([]);
  });
});

describe("publicEntityWindows", () => {
  const all = Array.from({ length: 1234 }, (_, i) => entity(i));
  const requests: CollectionRequestOptions[] = [];
  const source = {
    async *publicEntities(options: CollectionRequestOptions = {}) {
      requests.push({ top: options.top, skip: options.skip });
      const skip = options.skip ?? 0;
      yield* all.slice(skip, options.top === undefined ? undefined : skip + options.top);
    },
  };

  it("yields the collection in order from the resume point, one window per request", async () => {
    requests.length = 0;
    const names: string[] = [];
    const skips: number[] = [];
    for await (const w of publicEntityWindows(source, {
      startSkip: 234,
      windowSize: 500,
      inFlight: 3,
      signal: new AbortController().signal,
    })) {
      skips.push(w.skip);
      names.push(...w.entities.map((e) => e.name));
    }
    expect(names).toEqual(all.slice(234).map((e) => e.name));
    expect(skips).toEqual([234, 734]);
    // Read-ahead may ask for at most `inFlight` windows past the end, never one more.
    expect(requests.length).toBeLessThanOrEqual(2 + 3);
    expect(requests.every((r) => r.top === 500)).toBe(true);
  });

  it("stops at an exact multiple of the window with one empty window", async () => {
    const exact = all.slice(0, 1000);
    const src = {
      async *publicEntities(o: CollectionRequestOptions = {}) {
        yield* exact.slice(o.skip ?? 0, (o.skip ?? 0) + (o.top ?? exact.length));
      },
    };
    let count = 0;
    for await (const w of publicEntityWindows(src, {
      startSkip: 0,
      windowSize: 500,
      inFlight: 1,
      signal: new AbortController().signal,
    }))
      count += w.entities.length;
    expect(count).toBe(1000);
  });

  it("rethrows a window's failure", async () => {
    const failing = {
      async *publicEntities(o: CollectionRequestOptions = {}) {
        if ((o.skip ?? 0) >= 500) throw new Error("boom");
        yield* all.slice(o.skip ?? 0, (o.skip ?? 0) + (o.top ?? 0));
      },
    };
    const run = async () => {
      for await (const _ of publicEntityWindows(failing, {
        startSkip: 0,
        windowSize: 500,
        inFlight: 2,
        signal: new AbortController().signal,
      })) {
        // consume
      }
    };
    await expect(run()).rejects.toThrow("boom");
  });
});

describe("fetchLabels", () => {
  it("resolves every id once, stores in chunks, and counts 404s", async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `@L${i}`);
    const asked: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const source = {
      async getLabel(id: string, language: string): Promise<Label | null> {
        asked.push(id);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setImmediate(r));
        inFlight--;
        return id.endsWith("7") ? null : { id, language, value: `text ${id}` };
      },
    };
    const chunks: number[] = [];
    const stored = new Map<string, string>();
    let notFound = 0;
    const result = await fetchLabels(source, ids, {
      language: "en-US",
      signal: new AbortController().signal,
      concurrency: 16,
      chunkSize: 128,
      onChunk: (labels, missing) => {
        chunks.push(labels.length);
        notFound += missing;
        for (const l of labels) stored.set(l.id, l.value);
      },
    });
    expect(new Set(asked).size).toBe(1000);
    expect(asked.length).toBe(1000);
    expect(result).toEqual({ fetched: 900, notFound: 100, unresolved: [] });
    expect(notFound).toBe(100);
    expect(stored.size).toBe(900);
    expect(stored.get("@L12")).toBe("text @L12");
    expect(Math.max(...chunks)).toBeLessThanOrEqual(128);
    expect(maxInFlight).toBe(16);
  });

  it("keeps what arrived before a failure and rethrows it", async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `@L${i}`);
    const source = {
      async getLabel(id: string, language: string): Promise<Label | null> {
        await new Promise((r) => setImmediate(r));
        if (id === "@L50") throw new Error("server down");
        return { id, language, value: id };
      },
    };
    const stored: string[] = [];
    await expect(
      fetchLabels(source, ids, {
        language: "en-US",
        signal: new AbortController().signal,
        concurrency: 4,
        chunkSize: 1000,
        onChunk: (labels) => {
          stored.push(...labels.map((l) => l.id));
        },
      }),
    ).rejects.toThrow("server down");
    expect(stored.length).toBeGreaterThanOrEqual(50);
    expect(stored).not.toContain("@L50");
  });
});

describe("StepRateEstimator", () => {
  it("measures the rate over this process's work and derives the ETA", () => {
    const e = new StepRateEstimator(1000, 100);
    expect(e.estimate(300, 1100, 3000)).toEqual({ ratePerSecond: 100, etaMs: 8000 });
    expect(e.estimate(100, null, 1000)).toEqual({ ratePerSecond: 0, etaMs: null });
    expect(e.estimate(1100, 1100, 2000).etaMs).toBe(0);
  });
});

describe("lease owners", () => {
  it("round-trips host and pid, and rejects foreign strings", () => {
    const owner = createLeaseOwner(1234, "box");
    expect(parseLeaseOwner(owner)).toMatchObject({ host: "box", pid: 1234 });
    expect(parseLeaseOwner("whatever")).toBeNull();
    expect(createLeaseOwner(1, "h")).not.toBe(createLeaseOwner(1, "h"));
  });

  it("calls a lease dead only when its local process is gone", async () => {
    expect(isLeaseOwnerDead(createLeaseOwner(process.pid))).toBe(false);
    expect(isLeaseOwnerDead(createLeaseOwner(process.ppid))).toBe(false);
    expect(isLeaseOwnerDead(createLeaseOwner(123, "some-other-host"))).toBe(false);
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    await new Promise((r) => child.on("exit", r));
    expect(isLeaseOwnerDead(createLeaseOwner(child.pid!))).toBe(true);
  });
});

describe("canonicalJson", () => {
  it("ignores key order and undefined fields but not array order", () => {
    expect(canonicalJson({ b: 1, a: [1, 2], c: undefined })).toBe(canonicalJson({ a: [1, 2], b: 1 }));
    expect(sameContent({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(sameContent({ a: 1 }, undefined)).toBe(false);
  });
});
