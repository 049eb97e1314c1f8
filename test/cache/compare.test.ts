import { describe, expect, it } from "vitest";
import {
  compareDottedVersions,
  diffModules,
  diffPublicEntity,
} from "../../packages/client/src/cache/compare.js";
import type { EntityProperty, PublicEntity } from "../../packages/client/src/metadata/models.js";
import { EnvironmentVersionInfo, ModuleVersionInfo } from "../../packages/client/src/version/models.js";
import { entityProperty } from "../_fixtures/models.js";

const property = entityProperty;

function entity(properties: EntityProperty[], overrides: Partial<PublicEntity> = {}): PublicEntity {
  return {
    name: "CustomerV3",
    entitySetName: "CustomersV3",
    labelId: "@AccountsReceivable:CustCustomerV3EntityLabel",
    isReadOnly: false,
    configurationEnabled: true,
    properties,
    navigationProperties: [],
    propertyGroups: [],
    actions: [],
    ...overrides,
  };
}

const module = (moduleId: string, version: string) =>
  new ModuleVersionInfo({
    moduleId,
    name: moduleId,
    version,
    publisher: "Microsoft Corporation",
    displayName: moduleId,
  });
const versionOf = (modules: ModuleVersionInfo[]) => new EnvironmentVersionInfo({ modules });

describe("compareDottedVersions", () => {
  it("orders numerically, not as text", () => {
    expect(compareDottedVersions("10.0.9", "10.0.10")).toBeLessThan(0);
    expect(compareDottedVersions("10.34.2105.34092", "10.34.2105.34092")).toBe(0);
    expect(compareDottedVersions("7.0.7521.60", "7.0.7368.0")).toBeGreaterThan(0);
  });
});

describe("diffModules", () => {
  it("keeps two models of one module apart", () => {
    const model = (name: string, version: string) =>
      new ModuleVersionInfo({
        moduleId: "ApplicationSuite",
        name,
        version,
        publisher: "Microsoft",
        displayName: name,
      });
    const diff = diffModules(
      versionOf([model("ApplicationSuite", "10.0.1"), model("Foundation", "10.0.1")]),
      versionOf([model("ApplicationSuite", "10.0.2"), model("Foundation", "10.0.2")]),
    );
    expect(diff.changed.map((m) => m.name)).toEqual(["ApplicationSuite", "Foundation"]);
  });

  it("lists added, removed and upgraded/downgraded modules by id", () => {
    const diff = diffModules(
      versionOf([
        module("ApplicationSuite", "10.0.2177.37"),
        module("Old", "1.0"),
        module("Same", "1.0"),
        module("Down", "2.0"),
      ]),
      versionOf([
        module("ApplicationSuite", "10.0.2177.40"),
        module("New", "1.0"),
        module("Same", "1.0"),
        module("Down", "1.9"),
      ]),
    );
    expect(diff.added.map((m) => m.moduleId)).toEqual(["New"]);
    expect(diff.removed.map((m) => m.moduleId)).toEqual(["Old"]);
    expect(diff.changed).toEqual([
      {
        moduleId: "ApplicationSuite",
        name: "ApplicationSuite",
        fromVersion: "10.0.2177.37",
        toVersion: "10.0.2177.40",
        direction: "upgrade",
      },
      { moduleId: "Down", name: "Down", fromVersion: "2.0", toVersion: "1.9", direction: "downgrade" },
    ]);
    expect(diff.unchangedCount).toBe(1);
  });
});

describe("diffPublicEntity", () => {
  it("reports properties added, removed and retyped, and changed top-level fields", () => {
    const before = entity([property("CustomerAccount"), property("OldField"), property("CreditLimit")]);
    const after = entity(
      [
        property("CustomerAccount"),
        property("CreditLimit", { typeName: "Edm.Decimal", dataType: "Real" }),
        property("NewField"),
      ],
      { isReadOnly: true },
    );
    const change = diffPublicEntity(before, after);
    expect(change.propertiesAdded).toEqual(["NewField"]);
    expect(change.propertiesRemoved).toEqual(["OldField"]);
    expect(change.propertiesChanged).toEqual([{ name: "CreditLimit", fields: ["dataType", "typeName"] }]);
    expect(change.fieldsChanged).toEqual(["isReadOnly"]);
  });

  it("reports nothing for identical entities", () => {
    const change = diffPublicEntity(entity([property("A")]), entity([property("A")]));
    expect(change.propertiesAdded).toEqual([]);
    expect(change.propertiesChanged).toEqual([]);
    expect(change.fieldsChanged).toEqual([]);
  });
});
