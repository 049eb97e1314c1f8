import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openMetadataStore } from "../../src/store/index.js";
import { makeTempDir, versionInfo } from "./fixtures.js";

const run = promisify(execFile);
const worker = fileURLToPath(new URL("./race-worker.ts", import.meta.url));

describe("cross-process coordination", () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.cleanup());

  it("three processes racing on a new file: one schema, never two versions for one modules hash", async () => {
    const sets = 20;
    // No file yet: the processes also race on creating and migrating the schema.
    const startAt = Date.now() + 2500;
    const outputs = await Promise.all(
      ["p1", "p2", "p3"].map((owner) =>
        run(process.execPath, ["--import", "tsx", worker, temp.dir, String(startAt), String(sets), owner], {
          cwd: fileURLToPath(new URL("../..", import.meta.url)),
        }),
      ),
    );
    const results = outputs.map((o) => JSON.parse(o.stdout) as { created: number; leases: number });
    expect(results.reduce((sum, r) => sum + r.created, 0)).toBe(sets);
    const store = openMetadataStore({ cacheDir: temp.dir });
    try {
      const versions = store.listVersions();
      expect(versions).toHaveLength(sets);
      expect(new Set(versions.map((v) => v.modulesHash)).size).toBe(sets);
      for (let i = 0; i < sets; i++) {
        const version = store.findVersionByModulesHash(versionInfo(`${i}`, 40).modulesHash);
        expect(version?.moduleCount).toBe(40);
        expect(store.getVersionModules(version!.id)).toHaveLength(40);
      }
      const holders = versions.map((v) => store.getSyncLease(v.id)?.owner);
      expect(holders.every((h) => h === "p1" || h === "p2" || h === "p3")).toBe(true);
      expect(store.checkIntegrity().ok).toBe(true);
    } finally {
      store.close();
    }
  });
});
