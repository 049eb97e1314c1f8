/**
 * Streaming at real-world scale (the `large` preset: ~4,500 public entities, ~45 MB): items reach
 * the caller while the body is still arriving, in the unpaged and the paged form.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MetadataApiClient } from "../../packages/client/src/metadata/client.js";
import type { EmulatorEnvironment, RunningEmulator } from "../../packages/emulator/src/api.js";
import { emulatorWithClient } from "../http/_emulator.js";

let emulator: RunningEmulator;
let env: EmulatorEnvironment;
let client: MetadataApiClient;

beforeAll(async () => {
  ({ emulator, env, client } = await emulatorWithClient({ preset: "large" }));
});
afterAll(async () => {
  await client?.close();
  await emulator?.close();
});

describe("PublicEntities of the large preset", () => {
  it("streams item by item: the first entity arrives after a small fraction of the body", async () => {
    const start = client.counters().bytesReceived;
    let bytesAtFirst = -1;
    let bytesAtMiddle = -1;
    let count = 0;
    const expected = env.release.publicEntities.length;
    for await (const entity of client.publicEntities()) {
      if (count === 0) bytesAtFirst = client.counters().bytesReceived - start;
      if (count === Math.floor(expected / 2)) bytesAtMiddle = client.counters().bytesReceived - start;
      expect(entity.name).toBe(env.release.publicEntities[count].Name);
      count++;
    }
    const total = client.counters().bytesReceived - start;
    expect(count).toBe(expected);
    expect(total).toBeGreaterThan(20 * 1024 * 1024);
    expect(bytesAtFirst).toBeLessThan(total * 0.02);
    expect(bytesAtMiddle).toBeGreaterThan(total * 0.3);
    expect(bytesAtMiddle).toBeLessThan(total * 0.7);
  });

  it("streams the paged form, following nextLinks, with the same items", async () => {
    env.setKnobs({ pageSize: 1000 });
    env.resetCounters();
    try {
      const names: string[] = [];
      for await (const entity of client.publicEntities({ select: ["Name", "EntitySetName"] }))
        names.push(entity.name);
      expect(names).toEqual(env.release.publicEntities.map((e) => e.Name));
      expect(env.counters().byRoute["metadata.publicEntities"]).toBe(Math.ceil(names.length / 1000));
    } finally {
      env.setKnobs({ pageSize: 0 });
    }
  });
});
