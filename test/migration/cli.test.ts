/** `d365fo cache import` in-process: plan and import as tables or one JSON document, typed failures. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openMetadataStore } from "../../packages/client/src/store/index.js";
import { runInProcess } from "../cli/helpers.js";
import { copyFixture, FIXTURE_BASE_URL, tempDir } from "./helpers.js";

let dir: string;
let cleanup: () => void;
let env: NodeJS.ProcessEnv;
let cacheDir: string;

beforeEach(() => {
  ({ dir, cleanup } = tempDir("cli"));
  cacheDir = join(dir, "cache");
  mkdirSync(cacheDir);
  // Our cache folder is the Python tool's folder too: its metadata_v2.db sits beside our metadata-v2.db.
  copyFixture(cacheDir);
  env = { D365FO_CONFIG_DIR: join(dir, "config"), D365FO_CACHE_DIR: cacheDir, D365FO_CACHE_URL: "" };
});
afterEach(() => cleanup());

async function environments(): Promise<string[]> {
  const store = await openMetadataStore({ cacheDir, cacheUrl: "" });
  try {
    return (await store.listEnvironments()).filter((e) => e.versionId !== null).map((e) => e.baseUrl);
  } finally {
    await store.close();
  }
}

describe("d365fo cache import", () => {
  it("--dry-run --json prints the plan as one document and imports nothing", async () => {
    const run = await runInProcess(["cache", "import", "--dry-run", "--json"], env);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as {
      dryRun: boolean;
      sources: {
        path: string;
        plan: { environments: { baseUrl: string; action: string }[]; versions: { trust: string }[] };
      }[];
    };
    expect(doc.dryRun).toBe(true);
    expect(doc.sources).toHaveLength(1);
    expect(doc.sources[0].path).toBe(join(cacheDir, "metadata_v2.db"));
    expect(doc.sources[0].plan.environments).toEqual([
      expect.objectContaining({ baseUrl: FIXTURE_BASE_URL, action: "import" }),
    ]);
    expect(doc.sources[0].plan.versions[0].trust).toBe("imported");
    expect(await environments()).toEqual([]);
  });

  it("imports as a table, then says there is nothing left to import; cache stats shows the trust", async () => {
    const first = await runInProcess(["cache", "import"], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Imported from .*metadata_v2\.db \(v2, 240\.0 KiB\)/);
    expect(first.stdout).toContain(FIXTURE_BASE_URL);
    expect(first.stdout).toMatch(/Imported 1 environment\(s\) and 1 version\(s\)/);
    expect(first.stdout).toMatch(/1 duplicated constraints/);
    expect(await environments()).toEqual([FIXTURE_BASE_URL]);

    const second = await runInProcess(["cache", "import", "--json"], env);
    const doc = JSON.parse(second.stdout) as {
      sources: { result: { nothingImported: boolean; message: string } }[];
    };
    expect(doc.sources[0].result).toMatchObject({ nothingImported: true });
    expect(doc.sources[0].result.message).toMatch(/Nothing to import/);

    const stats = await runInProcess(["cache", "stats", "--json"], env);
    const statsDoc = JSON.parse(stats.stdout) as {
      versions: { trust: string }[];
      versionsByTrust: Record<string, number>;
    };
    expect(statsDoc.versions.map((v) => v.trust)).toEqual(["imported"]);
    expect(statsDoc.versionsByTrust.imported).toBe(1);
    expect((await runInProcess(["cache", "stats"], env)).stdout).toMatch(
      /Imported \(Python cache\):\s+1 imported/,
    );
  });

  it("--from a file that is not a cache: the cache exit code and a typed error document", async () => {
    const bad = join(dir, "bad.db");
    writeFileSync(bad, "not sqlite at all");
    const run = await runInProcess(["cache", "import", "--from", bad, "--json"], env);
    expect(run.code).toBe(10);
    const doc = JSON.parse(run.stdout) as { error: { code: string } };
    expect(doc.error.code).toBe("D365_CACHE_IMPORT_SOURCE");
    expect(await environments()).toEqual([]);
  });
});
