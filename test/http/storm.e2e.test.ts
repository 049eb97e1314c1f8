/**
 * 429 storms with the library's default settings (no retry or limiter option set): a sync ends
 * with the same content as a clean sync. The emulator refuses a share of all requests at random
 * (its `randomRate` knob), with a constant Retry-After, or none.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MetadataStore } from "../../packages/client/src/store/types.js";
import type { KnobsPatch, RunningEmulator } from "../../packages/emulator/src/api.js";
import { openStoreAt } from "../sync/_backends.js";
import { createSyncStack, emulatorCredential, startTestEmulator, tempDir } from "../sync/_stack.js";

const storms: { name: string; preset: "tiny" | "medium"; throttling: KnobsPatch["throttling"] }[] = [
  {
    name: "medium, 50 %, Retry-After 0",
    preset: "medium",
    throttling: { randomRate: 0.5, retryAfterSeconds: 0 },
  },
  {
    name: "tiny, 20 %, Retry-After 1",
    preset: "tiny",
    throttling: { randomRate: 0.2, retryAfterSeconds: 1 },
  },
  {
    name: "tiny, 50 %, Retry-After 1",
    preset: "tiny",
    throttling: { randomRate: 0.5, retryAfterSeconds: 1 },
  },
  {
    name: "tiny, 20 %, no Retry-After",
    preset: "tiny",
    throttling: { randomRate: 0.2, omitRetryAfter: true },
  },
  {
    name: "tiny, 50 %, no Retry-After",
    preset: "tiny",
    throttling: { randomRate: 0.5, omitRetryAfter: true },
  },
];

const emulators = new Map<string, RunningEmulator>();
const dirs: { remove: () => void }[] = [];
/** Content hash and unresolved labels of a clean sync, per preset. */
const clean = new Map<string, { hash: string; labelsNotFound: number }>();

async function syncOnce(emulator: RunningEmulator, envName: string) {
  const dir = tempDir("storm");
  dirs.push(dir);
  const store: MetadataStore = await openStoreAt({ cacheDir: dir.path });
  // `retry: {}` replaces the shared stack's quick test retries: the defaults, as shipped.
  const stack = createSyncStack(
    emulator.environment(envName),
    store,
    emulatorCredential(emulator),
    {},
    { retry: {} },
  );
  try {
    const result = await stack.sync.syncIfNeeded();
    return {
      result,
      hash: await store.getContentHash(result.versionId),
      limiter: stack.client.limiterState(),
      counters: emulator.environment(envName).counters(),
    };
  } finally {
    await stack.close();
    await store.close();
  }
}

beforeAll(async () => {
  for (const preset of ["tiny", "medium"] as const) {
    const environments = [
      { name: "clean" },
      ...storms
        .filter((s) => s.preset === preset)
        .map((s) => ({
          name: `storm${storms.indexOf(s)}`,
          knobs: { throttling: { enabled: true, retryAfterGrowth: 1, ...s.throttling } },
        })),
    ];
    const emulator = await startTestEmulator({ preset, environments });
    emulators.set(preset, emulator);
    const { hash, result } = await syncOnce(emulator, "clean");
    clean.set(preset, { hash, labelsNotFound: result.labelsNotFound });
  }
}, 300_000);

afterAll(async () => {
  for (const emulator of emulators.values()) await emulator.close();
  for (const dir of dirs) dir.remove();
});

describe("a sync through a 429 storm, with the library's defaults", () => {
  for (const [index, storm] of storms.entries()) {
    it(`${storm.name}: completes with the content of a clean sync`, { timeout: 300_000 }, async () => {
      const emulator = emulators.get(storm.preset)!;
      const { result, hash, limiter, counters } = await syncOnce(emulator, `storm${index}`);
      expect(counters.throttled).toBeGreaterThan(0);
      expect(result.outcome).toBe("synced");
      expect(result.labelsNotFound).toBe(clean.get(storm.preset)?.labelsNotFound);
      expect(hash).toBe(clean.get(storm.preset)?.hash);
      // Every 429 the server sent was seen and retried, and the storm was mostly not taken for
      // a ceiling: storm evidence counts only 429s two levels below one that passed, so on a
      // small sync (tiny: ~170 requests) a dozen early runs can still read as congestion.
      expect(limiter.throttled).toBe(counters.throttled);
      expect(limiter.congestion429).toBeLessThanOrEqual(Math.max(16, limiter.throttled / 5));
    });
  }
});
