import { describe, expect, it } from "vitest";
import { ImplausibleMetadataError } from "../../packages/client/src/errors.js";
import { assertPlausible, implausibleCounts } from "../../packages/client/src/sync/plausibility.js";

const good = { dataEntities: 4_200, publicEntities: 3_900, enumerations: 2_100 };

describe("plausibility of a downloaded version", () => {
  it("accepts ordinary counts and ordinary upgrades", () => {
    expect(implausibleCounts(good)).toEqual([]);
    expect(implausibleCounts({ ...good, dataEntities: 4_000 }, good)).toEqual([]);
    // A small environment (the emulator's tiny preset) has no "thousands" to collapse from.
    expect(
      implausibleCounts(
        { dataEntities: 3, publicEntities: 3, enumerations: 2 },
        { dataEntities: 40, publicEntities: 40, enumerations: 20 },
      ),
    ).toEqual([]);
  });

  it("refuses empty collections and collapses, saying which and why", () => {
    expect(implausibleCounts({ ...good, dataEntities: 0 })).toEqual([
      { collection: "DataEntities", count: 0 },
    ]);
    expect(implausibleCounts({ ...good, publicEntities: 12 }, good)).toEqual([
      { collection: "PublicEntities", count: 12, previous: 3_900 },
    ]);
    let error: unknown;
    try {
      assertPlausible({ dataEntities: 0, publicEntities: 0, enumerations: 2_000 }, good);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ImplausibleMetadataError);
    expect((error as Error).message).toMatch(/DataEntities: 0 \(the last good version had 4200\)/);
    expect((error as Error).message).toMatch(/last good version is still served/);
    expect((error as ImplausibleMetadataError).counts).toHaveLength(2);
  });

  it("lets force override", () => {
    expect(() =>
      assertPlausible({ dataEntities: 0, publicEntities: 0, enumerations: 0 }, good, { force: true }),
    ).not.toThrow();
  });
});
