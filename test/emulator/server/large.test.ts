import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../packages/client/src/logging.js";
import type { RunningEmulator } from "../../../packages/emulator/src/api.js";
import { startEmulator } from "../../../packages/emulator/src/index.js";

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ preset: "large", logger: silentLogger });
});
afterAll(() => emulator.close());

describe("large preset", () => {
  it("streams the full PublicEntities at 40–50 MB, as valid JSON with ~4,500 entities", async () => {
    const env = emulator.environments[0];
    const token = await emulator.issueToken({ audience: env.baseUrl });
    const { bytes, text } = await new Promise<{ bytes: number; text: string }>((resolve, reject) => {
      request(
        `${env.baseUrl}/Metadata/PublicEntities`,
        { headers: { authorization: `Bearer ${token}` } },
        (res) => {
          const chunks: Buffer[] = [];
          let bytes = 0;
          res.on("data", (c: Buffer) => {
            bytes += c.length;
            chunks.push(c);
          });
          res.on("end", () => resolve({ bytes, text: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        },
      )
        .on("error", reject)
        .end();
    });
    expect(bytes).toBeGreaterThanOrEqual(40_000_000);
    expect(bytes).toBeLessThanOrEqual(50_000_000);
    const body = JSON.parse(text);
    expect(body.value.length).toBe(env.release.publicEntities.length);
    expect(body.value.length).toBeGreaterThan(4000);
    expect(env.counters().bytesSent).toBe(bytes);
  });
});
