import { describe, expect, it } from "vitest";
import { compareVersions } from "../../packages/client/src/version/compare.js";
import { EnvironmentVersionInfo, ModuleVersionInfo } from "../../packages/client/src/version/models.js";

const m = (id: string, version: string, name = id) =>
  new ModuleVersionInfo({
    name,
    version,
    moduleId: id,
    publisher: "Microsoft Corporation",
    displayName: name,
  });

describe("compareVersions", () => {
  it("reports identical module sets", () => {
    const a = new EnvironmentVersionInfo({ modules: [m("A", "1"), m("B", "2")] });
    const b = new EnvironmentVersionInfo({ modules: [m("B", "2"), m("A", "1")] });
    expect(compareVersions(a, b)).toEqual({
      identical: true,
      hashMatch: true,
      moduleCountDiff: 0,
      addedModules: [],
      removedModules: [],
      updatedModules: [],
      identicalModules: ["A", "B"],
    });
  });

  it("lists added, removed and updated modules sorted by id", () => {
    const a = new EnvironmentVersionInfo({ modules: [m("Z", "1"), m("A", "1"), m("Old", "3")] });
    const b = new EnvironmentVersionInfo({
      modules: [m("A", "2"), m("Z", "1"), m("New", "1"), m("Another", "9")],
    });
    const diff = compareVersions(a, b);
    expect(diff.identical).toBe(false);
    expect(diff.hashMatch).toBe(false);
    expect(diff.moduleCountDiff).toBe(1);
    expect(diff.addedModules.map((x) => x.moduleId)).toEqual(["Another", "New"]);
    expect(diff.removedModules).toEqual([m("Old", "3").toJSON()]);
    expect(diff.updatedModules).toEqual([{ moduleId: "A", name: "A", oldVersion: "1", newVersion: "2" }]);
    expect(diff.identicalModules).toEqual(["Z"]);
  });

  it("keeps the models of one module apart (ApplicationSuite ships ApplicationSuite and Foundation)", () => {
    const a = new EnvironmentVersionInfo({
      modules: [
        m("ApplicationSuite", "10.0.1", "ApplicationSuite"),
        m("ApplicationSuite", "10.0.1", "Foundation"),
        m("B", "1"),
      ],
    });
    const b = new EnvironmentVersionInfo({
      modules: [
        m("ApplicationSuite", "10.0.1", "ApplicationSuite"),
        m("ApplicationSuite", "10.0.2", "Foundation"),
        m("B", "1"),
      ],
    });
    const diff = compareVersions(a, b);
    expect(diff.updatedModules).toEqual([
      { moduleId: "ApplicationSuite", name: "Foundation", oldVersion: "10.0.1", newVersion: "10.0.2" },
    ]);
    expect(diff.identicalModules).toEqual(["B"]);
    expect(diff.addedModules).toEqual([]);
    expect(diff.removedModules).toEqual([]);
  });
});
