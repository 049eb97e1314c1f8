/** The pure trust judgement: completion, silent incompleteness, paging suspicion, v1. */
import { describe, expect, it } from "vitest";
import { assessVersion, latestCompletedRun } from "../../packages/client/src/migration/trust.js";
import type { PythonVersion, PythonVersionCounts } from "../../packages/client/src/migration/types.js";

const counts = (over: Partial<PythonVersionCounts> = {}): PythonVersionCounts => ({
  dataEntities: 120,
  expectedPublicEntities: 100,
  publicEntities: 100,
  properties: 2000,
  navigationProperties: 90,
  actions: 10,
  enumerations: 40,
  labels: 800,
  duplicateFixedConstraints: 0,
  referencedLabelIds: 800,
  missingLabelIds: 0,
  ...over,
});
const at = (s: string) => new Date(s);
const version = (over: Partial<PythonVersion> = {}): PythonVersion => ({
  sourceId: 1,
  layout: "v2",
  versionHash: "abc",
  pythonModulesHash: "def",
  modules: [],
  applicationVersion: null,
  platformVersion: null,
  firstSeenAt: at("2026-11-01T00:00:00Z"),
  links: [],
  runs: [
    {
      createdAt: null,
      completedAt: at("2026-11-01T01:00:00Z"),
      entityCount: 0,
      actionCount: 0,
      enumerationCount: 0,
      labelCount: 0,
    },
  ],
  counts: counts(),
  ...over,
});

describe("assessVersion", () => {
  it("a complete, plausible v2 version is imported as `imported`", () => {
    expect(assessVersion(version())).toMatchObject({
      kind: "import",
      trust: "imported",
      reasons: [],
      warnings: [],
    });
  });

  it("public entities far below the OData-enabled data entities → needsReverification", () => {
    const v = assessVersion(version({ counts: counts({ publicEntities: 49 }) }));
    expect(v).toMatchObject({ kind: "import", trust: "needsReverification" });
    expect(assessVersion(version({ counts: counts({ publicEntities: 50 }) }))).toMatchObject({
      trust: "imported",
    });
  });

  it("a round data entity count contradicted by the public entities is a paging warning, not distrust", () => {
    const v = assessVersion(
      version({ counts: counts({ dataEntities: 1000, expectedPublicEntities: 90, publicEntities: 100 }) }),
    );
    expect(v).toMatchObject({ kind: "import", trust: "imported" });
    if (v.kind === "import") expect(v.warnings[0]).toMatch(/first page of \/Metadata\/DataEntities/);
    // Round but consistent (the emulator's presets): no warning.
    const ok = assessVersion(
      version({ counts: counts({ dataEntities: 5000, expectedPublicEntities: 4500, publicEntities: 4500 }) }),
    );
    if (ok.kind === "import") expect(ok.warnings).toEqual([]);
  });

  it("no completed run → skipped; v1 is legacy whatever its counts", () => {
    expect(assessVersion(version({ runs: [] }))).toMatchObject({ kind: "skip" });
    expect(
      assessVersion(version({ layout: "v1", runs: [], counts: counts({ enumerations: 0 }) })),
    ).toMatchObject({
      kind: "import",
      trust: "legacy",
    });
  });

  it("the latest completed run wins among several", () => {
    const run = (completedAt: string | null) => ({
      createdAt: null,
      completedAt: completedAt ? at(completedAt) : null,
      entityCount: 0,
      actionCount: 0,
      enumerationCount: 0,
      labelCount: 0,
    });
    expect(
      latestCompletedRun([run("2026-11-01T00:00:00Z"), run("2026-11-03T00:00:00Z"), run(null)])?.completedAt,
    ).toEqual(at("2026-11-03T00:00:00Z"));
  });
});
