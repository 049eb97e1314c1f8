import { describe, expect, it } from "vitest";
import { EnvironmentVersionInfo, ModuleVersionInfo } from "../../../packages/client/src/version/models.js";
import { generateRelease, moduleLines, PRESETS } from "../../../packages/emulator/src/model/index.js";
import { MOBILE_MODEL_VERSION } from "../../../packages/emulator/src/model/modules.js";

describe("installed modules", () => {
  it.each(["tiny", "medium"] as const)(
    "%s: every GetInstalledModules line parses back to its module",
    (preset) => {
      const release = generateRelease({ preset });
      const lines = moduleLines(release);
      expect(lines).toHaveLength(PRESETS[preset].modules);
      lines.forEach((line, i) => {
        expect(line).toMatch(/^Name: .+ \| Version: .+ \| Module: .+ \| Publisher: .+ \| DisplayName: .+$/);
        expect(ModuleVersionInfo.parseFromString(line).toJSON()).toEqual(release.modules[i]);
      });
    },
  );

  it("app models carry the app build, platform models the platform build, consistent with the version actions", () => {
    const r = generateRelease({ preset: "medium" });
    const byName = new Map(r.modules.map((m) => [m.name, m]));
    expect(byName.get("ApplicationSuite")?.version).toBe(r.applicationBuildVersion);
    expect(byName.get("ApplicationFoundation")?.version).toBe(r.platformBuildVersion);
    expect(byName.get("ApplicationPlatform")?.version).toBe(r.platformBuildVersion);
    expect(byName.get("TestEssentials")?.version).toBe(r.platformBuildVersion);
    expect(r.applicationBuildVersion).toMatch(/^10\.0\.\d{4}\.\d+$/);
    expect(r.platformBuildVersion).toMatch(/^7\.0\.\d{4}\.\d+$/);
    expect(r.productVersion).toMatch(/^10\.0\.4\d$/);
    expect(r.applicationVersion).toBe(r.productVersion);
    expect(r.id).toBe(r.productVersion);
  });

  it("has the odd cases: mobile 10.34 version, ISVs with free-form versions, both Microsoft publishers, punctuation", () => {
    const r = generateRelease({ preset: "medium" });
    const versions = r.modules.map((m) => m.version);
    expect(versions).toContain(MOBILE_MODEL_VERSION);
    const publishers = new Set(r.modules.map((m) => m.publisher));
    expect(publishers.has("Microsoft")).toBe(true);
    expect(publishers.has("Microsoft Corporation")).toBe(true);
    expect(publishers.has("DXC Technology")).toBe(true);
    expect(publishers.has("Contoso, Ltd.")).toBe(true);
    expect(r.modules.find((m) => m.name === "DXCLicenseManager")?.version).toBe("10.0.40.202410231");
    expect(r.modules.some((m) => m.displayName === "Retail & Commerce – Core (Preview)")).toBe(true);
    expect(r.modules.some((m) => m.displayName.includes(" | "))).toBe(true);
    expect(r.modules.some((m) => m.name !== m.moduleId)).toBe(true);
  });

  it("an upgrade changes the module hash (the environment's version) and a base re-request does not", () => {
    const base = new EnvironmentVersionInfo({
      modules: moduleLines(generateRelease({ preset: "tiny" })).map((l) =>
        ModuleVersionInfo.parseFromString(l),
      ),
    });
    const again = new EnvironmentVersionInfo({
      modules: moduleLines(generateRelease({ preset: "tiny" })).map((l) =>
        ModuleVersionInfo.parseFromString(l),
      ),
    });
    const up = new EnvironmentVersionInfo({
      modules: moduleLines(generateRelease({ preset: "tiny", upgradeStep: 1 })).map((l) =>
        ModuleVersionInfo.parseFromString(l),
      ),
    });
    expect(again.modulesHash).toBe(base.modulesHash);
    expect(up.modulesHash).not.toBe(base.modulesHash);
  });
});
