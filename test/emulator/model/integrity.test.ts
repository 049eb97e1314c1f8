import { describe, expect, it } from "vitest";
import { generateRelease } from "../../../packages/emulator/src/model/index.js";
import { integrityProblems } from "./_integrity.js";

describe("release referential integrity", () => {
  it.each([
    ["tiny", 0],
    ["tiny", 3],
    ["medium", 0],
    ["medium", 2],
  ] as const)(
    "%s step %i: enum types, navigation targets, constraints, groups and labels all resolve",
    (preset, step) => {
      const release = generateRelease({ preset, upgradeStep: step });
      expect(integrityProblems(release)).toEqual([]);
    },
  );

  it("the checker reports a broken reference (it can fail)", () => {
    const release = generateRelease({ preset: "tiny" });
    const broken = structuredClone(release.publicEntities[0]);
    broken.Properties.push({
      ...broken.Properties[0],
      Name: "Broken",
      DataType: "Enum",
      TypeName: "Microsoft.Dynamics.DataEntities.NoSuchEnum",
    });
    const problems = integrityProblems({
      ...release,
      publicEntities: [broken, ...release.publicEntities.slice(1)],
    });
    expect(problems.some((p) => p.includes("NoSuchEnum"))).toBe(true);
  });
});
