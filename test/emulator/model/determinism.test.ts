import { describe, expect, it } from "vitest";
import { clearReleaseCache, generateRelease } from "../../../packages/emulator/src/model/index.js";
import type { EmulatorRelease } from "../../../packages/emulator/src/model/types.js";

function itemBytes(r: EmulatorRelease): string[] {
  return [
    JSON.stringify(r.modules),
    ...r.dataEntities.map((x) => JSON.stringify(x)),
    ...r.publicEntities.map((x) => JSON.stringify(x)),
    ...r.enumerations.map((x) => JSON.stringify(x)),
    JSON.stringify([...r.labels].map(([lang, m]) => [lang, [...m]])),
    JSON.stringify(r.changeLog ?? null),
  ];
}

describe("generateRelease determinism", () => {
  it("two independent generations of medium (base and step 2) are byte-identical item by item", () => {
    clearReleaseCache();
    const a0 = generateRelease({ preset: "medium" });
    const a2 = generateRelease({ preset: "medium", upgradeStep: 2 });
    const first0 = itemBytes(a0);
    const first2 = itemBytes(a2);
    clearReleaseCache();
    // Ask for step 2 first this time: the chain must not depend on the order of requests.
    const b2 = generateRelease({ preset: "medium", upgradeStep: 2 });
    const b0 = generateRelease({ preset: "medium" });
    expect(b0).not.toBe(a0);
    expect(itemBytes(b0)).toEqual(first0);
    expect(itemBytes(b2)).toEqual(first2);
  });

  it("memoizes: the same options return the same object", () => {
    const a = generateRelease({ preset: "tiny", seed: 7 });
    expect(generateRelease({ preset: "tiny", seed: 7, upgradeStep: 0 })).toBe(a);
    // Language order and case do not matter; the set of languages does.
    expect(generateRelease({ preset: "tiny", seed: 7, languages: ["de-de", "EN-US"] })).toBe(a);
    expect(generateRelease({ preset: "tiny", seed: 7, languages: ["en-US"] })).not.toBe(a);
  });

  it("a different seed gives a different release (module set, hence version)", () => {
    const a = generateRelease({ preset: "tiny", seed: 1 });
    const b = generateRelease({ preset: "tiny", seed: 2 });
    expect(JSON.stringify(b.publicEntities)).not.toEqual(JSON.stringify(a.publicEntities));
  });

  it("defaults: seed 42, step 0, labels in en-us and de-de", () => {
    const r = generateRelease({ preset: "tiny" });
    expect(r.seed).toBe(42);
    expect(r.upgradeStep).toBe(0);
    expect([...r.labels.keys()]).toEqual(["en-us", "de-de"]);
    expect(generateRelease({ preset: "tiny", languages: ["fr-FR"] }).labels.has("fr-fr")).toBe(true);
  });

  it("rejects bad options with a typed error", () => {
    expect(() => generateRelease({ preset: "huge" as "tiny" })).toThrow(/Unknown emulator preset/);
    expect(() => generateRelease({ preset: "tiny", upgradeStep: -1 })).toThrow(
      expect.objectContaining({ code: expect.any(String) }),
    );
    expect(() => generateRelease({ preset: "tiny", seed: 1.5 })).toThrow(/seed/);
    expect(() => generateRelease({ preset: "tiny", languages: ["en US; drop"] })).toThrow(/language/);
  });
});
