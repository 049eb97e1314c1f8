/**
 * The contract members the import of Python caches needs (docs/migration.md): version trust and
 * re-keying a version to another module list. Every backend.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CacheError, ConfigurationError } from "../../../packages/client/src/errors.js";
import type { VersionTrust } from "../../../packages/client/src/store/types.js";
import { EnvironmentVersionInfo, ModuleVersionInfo } from "../../../packages/client/src/version/models.js";
import { type StoreUnderTest, storeBackends } from "../backends.js";

describe.each(storeBackends())("version trust and re-keying ($name)", (backend) => {
  let store: StoreUnderTest;
  beforeEach(async () => {
    store = await backend.open();
  });
  afterEach(async () => {
    await backend.cleanup();
  });

  const mod = (moduleId: string, version: string, displayName = moduleId) =>
    new ModuleVersionInfo({ name: moduleId, moduleId, version, publisher: "Contoso", displayName });
  const info = (modules: ModuleVersionInfo[]) =>
    new EnvironmentVersionInfo({ modules, applicationVersion: "10.0.42" });

  describe("version trust", () => {
    it("is verified by default, can be set to each value, is seen by another connection, and rejects unknown values", async () => {
      const { version } = await store.getOrCreateVersion(info([mod("A", "1")]), null);
      expect(version.trust).toBe("verified");
      for (const trust of ["imported", "needsReverification", "legacy", "verified"] as VersionTrust[]) {
        await store.setVersionTrust(version.id, trust);
        expect((await store.getVersion(version.id))?.trust).toBe(trust);
      }
      await store.setVersionTrust(version.id, "legacy");
      const other = await backend.openAnother(store);
      expect((await other.listVersions())[0].trust).toBe("legacy");
      await expect(store.setVersionTrust(version.id, "trusted" as VersionTrust)).rejects.toBeInstanceOf(
        ConfigurationError,
      );
      await expect(store.setVersionTrust(9999, "verified")).rejects.toBeInstanceOf(ConfigurationError);
    });
  });

  describe("rekeyVersion", () => {
    it("replaces module list, modules hash and version hash; keeps content, links and trust", async () => {
      const partial = info([mod("A", "1"), mod("B", "2")]);
      const full = info([mod("A", "1"), mod("B", "2"), mod("C", "3", "Contoso | Add-on")]);
      const { version } = await store.getOrCreateVersion(partial, null);
      await store.writeEnumerations(version.id, [{ name: "NoYes", labelId: null, members: [] }]);
      await store.setVersionTrust(version.id, "imported");
      await store.completeVersion(version.id);
      const env = await store.ensureEnvironment("https://a.example.com");
      await store.linkEnvironment(env.id, version.id);

      const rekeyed = await store.rekeyVersion(version.id, full);
      expect(rekeyed).toMatchObject({
        id: version.id,
        modulesHash: full.modulesHash,
        versionHash: full.versionHash,
        moduleCount: 3,
        trust: "imported",
        status: "complete",
        referenceCount: 1,
      });
      expect((await store.getVersionModules(version.id)).map((m) => m.displayName)).toContain(
        "Contoso | Add-on",
      );
      expect(await store.findVersionByModulesHash(partial.modulesHash)).toBeUndefined();
      expect((await store.findVersionByModulesHash(full.modulesHash))?.id).toBe(version.id);
      expect(await store.listEnumerationNames(version.id)).toEqual(["NoYes"]);
      expect((await store.findEnvironment("https://a.example.com"))?.versionId).toBe(version.id);
      expect((await store.checkIntegrity()).ok).toBe(true);
    });

    it("refuses a module set another version already has, changing nothing", async () => {
      const a = info([mod("A", "1")]);
      const b = info([mod("B", "1")]);
      const { version } = await store.getOrCreateVersion(a, null);
      await store.getOrCreateVersion(b, null);
      await expect(store.rekeyVersion(version.id, b)).rejects.toBeInstanceOf(CacheError);
      expect((await store.getVersion(version.id))?.modulesHash).toBe(a.modulesHash);
    });
  });
});
