import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { storeBackends } from "../backends.js";
import { versionInfo } from "../fixtures.js";

const run = promisify(execFile);
const worker = fileURLToPath(new URL("./race-worker.ts", import.meta.url));

describe.each(storeBackends())("cross-process coordination ($name)", (backend) => {
  afterEach(async () => {
    await backend.cleanup();
  });

  it("three processes racing on a new store: one schema, never two versions for one modules hash", async () => {
    const sets = 20;
    // Nobody has opened the store yet: the processes also race on creating and migrating the schema.
    const options = await backend.newStoreOptions();
    const startAt = Date.now() + 2500;
    const outputs = await Promise.all(
      ["p1", "p2", "p3"].map((owner) =>
        run(
          process.execPath,
          [
            "--conditions=d365fo-source",
            "--import",
            "tsx",
            worker,
            JSON.stringify(options),
            String(startAt),
            String(sets),
            owner,
          ],
          { cwd: fileURLToPath(new URL("../../..", import.meta.url)) },
        ),
      ),
    );
    const results = outputs.map((o) => JSON.parse(o.stdout) as { created: number; leases: number });
    expect(results.reduce((sum, r) => sum + r.created, 0)).toBe(sets);
    const store = await backend.openWith(options);
    const versions = await store.listVersions();
    expect(versions).toHaveLength(sets);
    expect(new Set(versions.map((v) => v.modulesHash)).size).toBe(sets);
    for (let i = 0; i < sets; i++) {
      const version = await store.findVersionByModulesHash(versionInfo(`${i}`, 40).modulesHash);
      expect(version?.moduleCount).toBe(40);
      expect(await store.getVersionModules(version!.id)).toHaveLength(40);
    }
    // Each version's lease went to exactly one of the processes.
    const holders = await Promise.all(versions.map(async (v) => (await store.getSyncLease(v.id))?.owner));
    expect(holders.every((h) => h === "p1" || h === "p2" || h === "p3")).toBe(true);
    expect(results.reduce((sum, r) => sum + r.leases, 0)).toBeGreaterThanOrEqual(sets);
    expect(await store.checkIntegrity()).toEqual({ ok: true, messages: [] });
  });
});
