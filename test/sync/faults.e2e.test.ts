/**
 * A sync through 503s, connection resets, truncated bodies and a 429 storm on a quarter of the
 * requests ends with the same content as a clean sync; and no secret reaches the database files.
 */
import { existsSync, readFileSync } from "node:fs";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../src/emulator/api.js";
import { createSyncStack, emulatorCredential, openStore, startTestEmulator, tempDir } from "./_stack.js";

let emulator: RunningEmulator;
const cleanDir = tempDir("clean");
const faultyDir = tempDir("faulty");

beforeAll(async () => {
  emulator = await startTestEmulator({
    preset: "tiny",
    environments: [
      { name: "clean" },
      {
        name: "faulty",
        knobs: {
          faults: { error503Rate: 0.08, resetRate: 0.05, truncateRate: 0.05 },
          throttling: { enabled: true, randomRate: 0.25, retryAfterSeconds: 0, retryAfterGrowth: 1 },
        },
      },
    ],
  });
});

afterAll(async () => {
  await emulator?.close();
  cleanDir.remove();
  faultyDir.remove();
});

/** Records every token the credential hands out, to look for them on disk afterwards. */
function recordingCredential(inner: TokenCredential, seen: string[]): TokenCredential {
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      const token = await inner.getToken(scopes, options);
      if (token) seen.push(token.token);
      return token;
    },
  };
}

describe("sync under faults", () => {
  it("ends with content identical to a clean sync, and writes no secret to disk", async () => {
    const tokens: string[] = [];
    const credential = recordingCredential(emulatorCredential(emulator), tokens);

    const cleanStore = openStore(cleanDir.path);
    const clean = createSyncStack(emulator.environment("clean"), cleanStore, credential, { windowSize: 5 });
    const cleanResult = await clean.sync.syncIfNeeded();
    await clean.close();
    const expected = cleanStore.getContentHash(cleanResult.versionId);
    cleanStore.close();

    const faultyEnv = emulator.environment("faulty");
    const store = openStore(faultyDir.path);
    // A random storm says nothing about the server's rate, but the client's limiter paces itself
    // down on every 429 (to 0.5 requests/s by default); a floor keeps this test quick. Spread as
    // a plain object so this test does not pin the limiter's option names at compile time.
    const pacingFloor: object = { minRatePerSecond: 100 };
    const faulty = createSyncStack(
      faultyEnv,
      store,
      credential,
      { windowSize: 5, chunkSize: 4 },
      { limiter: { ...pacingFloor } },
    );
    const result = await faulty.sync.syncIfNeeded();
    await faulty.close();

    const counters = faultyEnv.counters();
    expect(counters.faults).toBeGreaterThan(0);
    expect(counters.throttled).toBeGreaterThan(0);
    expect(result.outcome).toBe("synced");
    expect(result.labelsNotFound).toBe(0);
    expect(store.getContentHash(result.versionId)).toBe(expected);
    expect(store.checkIntegrity().ok).toBe(true);

    // Secrets never written to disk: the client secret and every token, in the db, WAL and SHM.
    expect(tokens.length).toBeGreaterThan(0);
    const secrets = [emulator.credentials.clientSecret, ...tokens];
    const files = ["metadata-v2.db", "metadata-v2.db-wal", "metadata-v2.db-shm"]
      .flatMap((f) => [`${faultyDir.path}/${f}`, `${cleanDir.path}/${f}`])
      .filter((f) => existsSync(f));
    expect(files.length).toBeGreaterThanOrEqual(2);
    const check = () => {
      for (const file of files.filter((f) => existsSync(f))) {
        const bytes = readFileSync(file);
        for (const secret of secrets) {
          expect(bytes.includes(Buffer.from(secret)), `${file} contains a secret`).toBe(false);
          // The token's signature part alone would also be a leak.
          const signature = secret.split(".").at(-1)!;
          if (signature.length > 20) expect(bytes.includes(Buffer.from(signature))).toBe(false);
        }
      }
    };
    check(); // while the WAL is live
    store.close();
    check();
  });
});
