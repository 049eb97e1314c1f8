/**
 * A small hand-written release for the server's own unit tests, independent of the generator.
 * It includes the awkward cases the server must handle: quotes in names, null LabelIds, lowercase
 * and file-qualified label ids, and an entity/enum name clash.
 */
import type { DataEntityJson, PublicEntityJson, PublicEnumerationJson } from "d365fo-client";
import type { EmulatorRelease, InstalledModule } from "../model/types.js";
import type { ReleaseSource } from "./release-documents.js";

function property(name: string, typeName: string, dataType: string, isKey = false) {
  return {
    Name: name,
    TypeName: typeName,
    DataType: dataType,
    LabelId: isKey ? "@SYS7399" : null,
    IsKey: isKey,
    IsMandatory: isKey,
    ConfigurationEnabled: true,
    AllowEdit: !isKey,
    AllowEditOnCreate: true,
    IsDimension: false,
    DimensionRelation: null,
    IsDynamicDimension: false,
    DimensionLegalEntityProperty: null,
    DimensionTypeProperty: null,
  };
}

const CATEGORIES = ["Master", "Transaction", "Reference", "Document", "Parameters", "Configuration"];

export function fixtureRelease(upgradeStep = 0): EmulatorRelease {
  const names = ["CustomerV3", "VendorV2", "SalesOrderHeaderV2", "NoYes", "Customer'Quote", "LedgerJournal"];
  if (upgradeStep > 0) names.push("UpgradeOnlyEntity");
  const dataEntities: DataEntityJson[] = names.map((name, i) => ({
    Name: `${name.replace("'", "")}Entity`,
    PublicEntityName: name,
    PublicCollectionName: `${name}s`,
    LabelId: i === 2 ? null : `@Fixture:${name.replace("'", "")}Label`,
    DataServiceEnabled: i !== 5,
    DataManagementEnabled: true,
    EntityCategory: CATEGORIES[i % CATEGORIES.length],
    IsReadOnly: i % 2 === 1,
  }));
  dataEntities.push({
    Name: "PrivateOnlyEntity",
    PublicEntityName: null,
    PublicCollectionName: null,
    LabelId: "@sys2048",
    DataServiceEnabled: false,
    DataManagementEnabled: true,
    EntityCategory: "Parameters",
    IsReadOnly: false,
  });
  const publicEntities: PublicEntityJson[] = names
    .filter((_, i) => i !== 5)
    .map((name, i) => ({
      Name: name,
      EntitySetName: `${name.replace("'", "")}s`,
      LabelId: `@Fixture:${name.replace("'", "")}Label`,
      IsReadOnly: i % 2 === 1,
      ConfigurationEnabled: true,
      Properties: [
        property("dataAreaId", "Edm.String", "String", true),
        property("Id", "Edm.String", "String", true),
        property("Blocked", "Microsoft.Dynamics.DataEntities.NoYes", "Enum"),
      ],
      NavigationProperties: [],
      PropertyGroups: [{ Name: "Overview", Properties: ["Id"] }],
      Actions: [],
    }));
  const enumerations: PublicEnumerationJson[] = [
    {
      Name: "NoYes",
      LabelId: "@SYS2048",
      Members: [
        { Name: "No", LabelId: "@sys2048", Value: 0, ConfigurationEnabled: true },
        { Name: "Yes", LabelId: "@SYS1", Value: 1, ConfigurationEnabled: true },
      ],
    },
    { Name: "EmptyEnum", LabelId: null, Members: [] },
  ];
  const modules: InstalledModule[] = [
    {
      name: "ApplicationFoundation",
      version: "7.0.7521.60",
      moduleId: "ApplicationFoundation",
      publisher: "Microsoft Corporation",
      displayName: "Application Foundation",
    },
    {
      name: "ApplicationSuite",
      version: upgradeStep > 0 ? "10.0.2177.99" : "10.0.2177.37",
      moduleId: "ApplicationSuite",
      publisher: "Microsoft Corporation",
      displayName: "Application Suite",
    },
  ];
  const en = new Map<string, string>([
    ["@SYS2048", "No"],
    ["@sys2048", "no (lowercase id)"],
    ["@SYS1", "Yes"],
    ["@Fixture:CustomerV3Label", "Customers V3"],
    ["@Fixture:It's", "It's quoted"],
  ]);
  const de = new Map<string, string>([
    ["@SYS2048", "Nein"],
    ["@SYS1", "Ja"],
    ["@Fixture:CustomerV3Label", "Debitoren V3"],
  ]);
  return {
    id: upgradeStep > 0 ? `10.0.43+u${upgradeStep}` : "10.0.43",
    preset: "tiny",
    seed: 1,
    upgradeStep,
    productVersion: "10.0.43",
    applicationVersion: "10.0.43",
    applicationBuildVersion: upgradeStep > 0 ? "10.0.2177.99" : "10.0.2177.37",
    platformBuildVersion: "7.0.7521.60",
    modules,
    dataEntities,
    publicEntities,
    enumerations,
    labels: new Map([
      ["en-us", en],
      ["de-de", de],
    ]),
  };
}

export function fixtureModuleLines(release: EmulatorRelease): string[] {
  return release.modules.map(
    (m) =>
      `Name: ${m.name} | Version: ${m.version} | Module: ${m.moduleId} | Publisher: ${m.publisher} | DisplayName: ${m.displayName}`,
  );
}

export function fixtureCsdl(release: EmulatorRelease): string {
  const sets = release.publicEntities
    .map(
      (e) => `<EntitySet Name="${e.EntitySetName}" EntityType="Microsoft.Dynamics.DataEntities.${e.Name}"/>`,
    )
    .join("");
  return `<?xml version="1.0" encoding="utf-8"?><edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices><Schema Namespace="Microsoft.Dynamics.DataEntities" xmlns="http://docs.oasis-open.org/odata/ns/edm"><EntityContainer Name="Resources">${sets}</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>`;
}

const fixtureReleases = new Map<number, EmulatorRelease>();

/** A ReleaseSource over the fixture (one memoized release object per upgrade step). */
export function fixtureSource(): ReleaseSource {
  return {
    release(upgradeStep) {
      let release = fixtureReleases.get(upgradeStep);
      if (!release) {
        release = fixtureRelease(upgradeStep);
        fixtureReleases.set(upgradeStep, release);
      }
      return release;
    },
    renderCsdl: fixtureCsdl,
    moduleLines: fixtureModuleLines,
  };
}
