/**
 * The dry run on v2 and v1 files built with each documented defect, and on the real fixture:
 * what is imported, repaired, distrusted and why, and skipped.
 */
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MetadataMigrationManager } from "../../packages/client/src/migration/manager.js";
import { buildPlan } from "../../packages/client/src/migration/plan.js";
import {
  writePythonV1Cache,
  writePythonV2Cache,
} from "../../packages/client/src/store/sqlite/python/fixture-writer.js";
import { openPythonCache } from "../../packages/client/src/store/sqlite/python/index.js";
import { computeModulesHash, ModuleVersionInfo } from "../../packages/client/src/version/models.js";
import {
  copyFixture,
  FIXTURE_BASE_URL,
  folderSnapshot,
  releaseContent,
  tempDir,
  withPipeModule,
} from "./helpers.js";

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir("plan"));
});
afterEach(() => cleanup());

const manager = new MetadataMigrationManager();
const tiny = releaseContent("tiny");

async function planOf(path: string) {
  const before = folderSnapshot(dir);
  const plan = await manager.plan(path);
  expect(folderSnapshot(dir)).toEqual(before);
  return plan;
}

describe("plan() on the real fixture", () => {
  it("imports its one environment and version, trusted, with the constraint repair", async () => {
    const plan = await planOf(copyFixture(dir));
    expect(plan.environments).toEqual([
      expect.objectContaining({ baseUrl: FIXTURE_BASE_URL, action: "import", sourceVersionId: 1 }),
    ]);
    expect(plan.versions).toHaveLength(1);
    const [version] = plan.versions;
    expect(version).toMatchObject({ action: "import", trust: "imported", moduleCount: 8, reasons: [] });
    expect(version.modulesHash).toBe(computeModulesHash(tiny.modules.map((m) => new ModuleVersionInfo(m))));
    expect(version.repairs).toMatchObject({
      duplicateFixedConstraints: 1,
      moduleLinesRestoredAtFirstCheck: true,
    });
    expect(plan.totals).toMatchObject({
      environmentsToImport: 1,
      versionsToImport: 1,
      needsReverification: 0,
    });
  });
});

describe("plan() on built v2 files", () => {
  const v2 = (spec: Parameters<typeof writePythonV2Cache>[1]) => {
    const path = join(dir, "metadata_v2.db");
    writePythonV2Cache(path, spec);
    return path;
  };

  it("a dropped module line: the version is keyed by the lines the Python tool kept", async () => {
    const modules = withPipeModule(tiny.modules);
    const plan = await planOf(
      v2({
        versions: [{ modules, content: tiny.content }],
        environments: [{ baseUrl: "https://a.example.com", version: 0 }],
      }),
    );
    expect(plan.versions[0].moduleCount).toBe(tiny.modules.length);
    expect(plan.versions[0].modulesHash).toBe(
      computeModulesHash(tiny.modules.map((m) => new ModuleVersionInfo(m))),
    );
    expect(plan.versions[0].trust).toBe("imported");
  });

  it("0 public entities (a throttled /Metadata/PublicEntities) → needs re-verification, with the reason", async () => {
    const plan = await planOf(
      v2({
        versions: [{ modules: tiny.modules, content: tiny.content, throttled: { publicEntities: true } }],
        environments: [{ baseUrl: "https://a.example.com", version: 0 }],
      }),
    );
    const [version] = plan.versions;
    expect(version.action).toBe("import");
    expect(version.trust).toBe("needsReverification");
    expect(version.reasons.join(" ")).toMatch(/0 public entities for \d+ OData-enabled data entities/);
    expect(plan.totals.needsReverification).toBe(1);
  });

  it("0 enumerations and labels (a throttled /Metadata/PublicEnumerations) → needs re-verification", async () => {
    const plan = await planOf(
      v2({
        versions: [{ modules: tiny.modules, content: tiny.content, throttled: { enumerations: true } }],
        environments: [{ baseUrl: "https://a.example.com", version: 0 }],
      }),
    );
    expect(plan.versions[0].trust).toBe("needsReverification");
    expect(plan.versions[0].reasons).toEqual([
      expect.stringMatching(/^0 enumerations/),
      expect.stringMatching(/^0 label texts for \d+ referenced label ids/),
    ]);
  });

  it("dropped label requests: trusted, missing labels reported (fetched on demand)", async () => {
    const dropped = tiny.content.labels.slice(0, 3).map((l) => l.id);
    const plan = await planOf(
      v2({
        versions: [{ modules: tiny.modules, content: tiny.content, throttled: { labelIds: dropped } }],
        environments: [{ baseUrl: "https://a.example.com", version: 0 }],
      }),
    );
    expect(plan.versions[0].trust).toBe("imported");
    expect(plan.versions[0].repairs.missingLabels).toBe(3);
    expect(plan.versions[0].warnings.join(" ")).toMatch(/3 referenced label ids have no text/);
  });

  it("duplicated constraints are counted for repair", async () => {
    const fixed = tiny.content.publicEntities
      .flatMap((e) => e.navigationProperties)
      .flatMap((n) => n.constraints)
      .filter((c) => c.kind === "Fixed").length;
    expect(fixed).toBeGreaterThan(0);
    const plan = await planOf(
      v2({
        versions: [{ modules: tiny.modules, content: tiny.content }],
        environments: [{ baseUrl: "https://a.example.com", version: 0 }],
      }),
    );
    expect(plan.versions[0].repairs.duplicateFixedConstraints).toBe(fixed);
  });

  it("several metadata_versions rows: one version, its real counts, the latest completion", async () => {
    const plan = await planOf(
      v2({
        versions: [
          {
            modules: tiny.modules,
            content: tiny.content,
            runs: [{ completed: true }, { completed: false }, { completed: true }],
          },
        ],
        environments: [{ baseUrl: "https://a.example.com", version: 0 }],
      }),
    );
    expect(plan.versions).toHaveLength(1);
    expect(plan.versions[0].counts.publicEntities).toBe(tiny.content.publicEntities.length);
    expect(plan.versions[0].action).toBe("import");
  });

  it("a pending sync_status on a complete version does not stop the import", async () => {
    const plan = await planOf(
      v2({
        versions: [{ modules: tiny.modules, content: tiny.content }],
        environments: [{ baseUrl: "https://a.example.com", version: 0, syncStatus: "pending" }],
      }),
    );
    expect(plan.versions[0]).toMatchObject({ action: "import", trust: "imported" });
  });

  it("a version whose sync never finished is skipped, and so is its environment", async () => {
    const plan = await planOf(
      v2({
        versions: [{ modules: tiny.modules, content: tiny.content, runs: [{ completed: false }] }],
        environments: [{ baseUrl: "https://a.example.com", version: 0 }],
      }),
    );
    expect(plan.versions[0].action).toBe("skip");
    expect(plan.versions[0].reasons[0]).toMatch(/never finished/);
    expect(plan.environments[0]).toMatchObject({ action: "skip" });
    expect(plan.environments[0].reason).toMatch(/is skipped: its sync never finished/);
  });

  it("two environments on one version share it; a URL typed twice is imported once; old versions are skipped", async () => {
    const upgrade = releaseContent("tiny", 1);
    const plan = await planOf(
      v2({
        versions: [
          { modules: tiny.modules, content: tiny.content },
          { modules: upgrade.modules, content: upgrade.content },
        ],
        environments: [
          {
            baseUrl: "https://Contoso-Test.operations.dynamics.com/",
            version: 1,
            history: [0],
            lastSyncAt: "2026-11-30 10:00:00",
          },
          {
            baseUrl: "https://contoso-test.operations.dynamics.com",
            version: 0,
            lastSyncAt: "2026-11-01 10:00:00",
          },
          { baseUrl: "https://contoso-uat.operations.dynamics.com", version: 1 },
        ],
      }),
    );
    expect(plan.environments.map((e) => [e.baseUrl, e.action])).toEqual([
      ["https://contoso-test.operations.dynamics.com", "import"],
      ["https://contoso-test.operations.dynamics.com", "skip"],
      ["https://contoso-uat.operations.dynamics.com", "import"],
    ]);
    expect(plan.versions.map((v) => [v.action, v.environments.length])).toEqual([
      ["skip", 0],
      ["import", 2],
    ]);
  });

  it("an environment the target store already serves from its own sync is not overwritten", async () => {
    const path = v2({
      versions: [{ modules: tiny.modules, content: tiny.content }],
      environments: [{ baseUrl: "https://a.example.com", version: 0 }],
    });
    const reader = await openPythonCache(path);
    const inventory = await reader.readInventory();
    await reader.close();
    const hash = buildPlan(inventory).versions[0].modulesHash;
    const other = buildPlan(inventory, {
      completeVersions: new Set(["f".repeat(64)]),
      environments: new Map([["https://a.example.com", "f".repeat(64)]]),
    });
    expect(other.environments[0]).toMatchObject({ action: "skip" });
    expect(other.environments[0].reason).toMatch(/own sync/);
    const same = buildPlan(inventory, {
      completeVersions: new Set([hash]),
      environments: new Map([["https://a.example.com", hash]]),
    });
    expect(same.environments[0].action).toBe("alreadyImported");
    expect(same.versions[0].action).toBe("alreadyImported");
    expect(same.totals.versionsToImport).toBe(0);
  });
});

describe("plan() on a v1 file", () => {
  it("imports the active version as an unverified legacy version; older rows are skipped", async () => {
    const path = join(dir, "metadata.db");
    writePythonV1Cache(path, {
      baseUrl: "https://usnconeboxax1aos.cloud.onebox.dynamics.com",
      versions: [
        {
          applicationVersion: "10.0.41",
          platformVersion: "7.0.7400.1",
          isActive: false,
          content: tiny.content,
        },
        {
          applicationVersion: tiny.applicationVersion,
          platformVersion: tiny.platformVersion,
          isActive: true,
          content: tiny.content,
        },
      ],
    });
    const plan = await planOf(path);
    expect(plan.versions.map((v) => [v.action, v.trust])).toEqual([
      ["skip", null],
      ["import", "legacy"],
    ]);
    expect(plan.versions[1]).toMatchObject({
      applicationVersion: tiny.applicationVersion,
      platformVersion: tiny.platformVersion,
      moduleCount: 0,
    });
    expect(plan.warnings.join(" ")).toMatch(/no module list/);
    expect(plan.environments[0]).toMatchObject({
      action: "import",
      baseUrl: "https://usnconeboxax1aos.cloud.onebox.dynamics.com",
    });
  });
});
