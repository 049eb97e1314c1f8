import { describe, expect, it } from "vitest";
import {
  computeModulesHash,
  EnvironmentVersionInfo,
  ModuleParseError,
  ModuleVersionInfo,
} from "../../packages/client/src/version/models.js";

const SPEC_SAMPLE = [
  "Name: AccountsPayableMobile | Version: 10.34.2105.34092 | Module: AccountsPayableMobile | Publisher: Microsoft Corporation | DisplayName: Accounts Payable Mobile",
  "Name: AdvancedQualityManagement | Version: 10.34.2105.34092 | Module: AdvancedQualityManagement | Publisher: Microsoft Corporation | DisplayName: Advanced Quality Management",
  "Name: ApplicationCommon | Version: 10.34.2105.34092 | Module: ApplicationCommon | Publisher: Microsoft | DisplayName: Application Common",
  "Name: ApplicationFoundation | Version: 7.0.7521.60 | Module: ApplicationFoundation | Publisher: Microsoft Corporation | DisplayName: Application Foundation",
];

describe("ModuleVersionInfo.parseFromString", () => {
  it("parses the five fields of a standard line", () => {
    const m = ModuleVersionInfo.parseFromString(SPEC_SAMPLE[3]);
    expect(m.toJSON()).toEqual({
      name: "ApplicationFoundation",
      version: "7.0.7521.60",
      moduleId: "ApplicationFoundation",
      publisher: "Microsoft Corporation",
      displayName: "Application Foundation",
    });
  });

  it("keeps ' | ' inside a DisplayName and a publisher", () => {
    const m = ModuleVersionInfo.parseFromString(
      "Name: Fleet | Version: 10.0.40.202410231 | Module: FleetMgmt | Publisher: Contoso | Partners, Ltd. | DisplayName: Fleet | Rentals: EU",
    );
    expect(m.moduleId).toBe("FleetMgmt");
    expect(m.publisher).toBe("Contoso | Partners, Ltd.");
    expect(m.displayName).toBe("Fleet | Rentals: EU");
  });

  it("tolerates extra spaces around keys and values", () => {
    const m = ModuleVersionInfo.parseFromString(
      "  Name :  Foo  |Version:1.2.3.4|  Module:  FooMod |Publisher:   ISV Inc.   |DisplayName:  Foo  ",
    );
    expect(m.toJSON()).toEqual({
      name: "Foo",
      version: "1.2.3.4",
      moduleId: "FooMod",
      publisher: "ISV Inc.",
      displayName: "Foo",
    });
  });

  it("round-trips through toString", () => {
    for (const line of SPEC_SAMPLE) expect(ModuleVersionInfo.parseFromString(line).toString()).toBe(line);
  });

  it.each(["", "   ", "garbage", "Name: X | Publisher: Y", "Version: 1.0 | Module: X"])(
    "rejects %j with a ModuleParseError",
    (line) => {
      expect(() => ModuleVersionInfo.parseFromString(line)).toThrow(ModuleParseError);
    },
  );
});

describe("EnvironmentVersionInfo hashes", () => {
  it("matches the specification's test vector for its four sample modules", () => {
    const info = new EnvironmentVersionInfo({
      modules: SPEC_SAMPLE.map((l) => ModuleVersionInfo.parseFromString(l)),
    });
    expect(info.modulesHash).toBe("ae97cdc85de9b242364367e8bd9bf662a32cee6aaea4d8b47c8e35c4f0a8b90b");
    expect(info.versionHash).toBe("ae97cdc85de9b242");
  });

  it("does not depend on module order", () => {
    const modules = SPEC_SAMPLE.map((l) => ModuleVersionInfo.parseFromString(l));
    expect(computeModulesHash([...modules].reverse())).toBe(computeModulesHash(modules));
  });

  it("does not depend on the order of two models of one module (ties broken by version)", () => {
    const suite = ModuleVersionInfo.parseFromString(
      "Name: ApplicationSuite | Version: 10.0.2177.37 | Module: ApplicationSuite | Publisher: Microsoft Corporation | DisplayName: Application Suite",
    );
    const foundation = ModuleVersionInfo.parseFromString(
      "Name: Foundation | Version: 10.0.2177.36 | Module: ApplicationSuite | Publisher: Microsoft Corporation | DisplayName: Foundation",
    );
    expect(computeModulesHash([suite, foundation])).toBe(computeModulesHash([foundation, suite]));
  });

  it("hashes the string 'empty' for no modules", () => {
    expect(new EnvironmentVersionInfo({ modules: [] }).modulesHash).toBe(
      "2e1cfa82b035c26cbbbdae632cea070514eb8b773f616aaeaf668e2f0be8f10d",
    );
  });

  it("keeps hashes that were given", () => {
    const info = new EnvironmentVersionInfo({ modules: [], modulesHash: "abc", versionHash: "ab" });
    expect([info.modulesHash, info.versionHash]).toEqual(["abc", "ab"]);
  });

  it("changes when one module version changes", () => {
    const modules = SPEC_SAMPLE.map((l) => ModuleVersionInfo.parseFromString(l));
    const bumped = [
      ...modules.slice(0, 3),
      new ModuleVersionInfo({ ...modules[3].toJSON(), version: "7.0.7521.61" }),
    ];
    expect(computeModulesHash(bumped)).not.toBe(computeModulesHash(modules));
  });
});
