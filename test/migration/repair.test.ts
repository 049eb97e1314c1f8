/** The pure repairs: duplicated fixed constraints, labels from labels_cache, the Python split. */
import { describe, expect, it } from "vitest";
import type { PublicEntity } from "../../packages/client/src/metadata/models.js";
import { adoptsImportedVersion } from "../../packages/client/src/migration/adoption.js";
import {
  dedupeFixedConstraints,
  isRejectedByPythonSplit,
  repairContent,
  resolveLabels,
} from "../../packages/client/src/migration/repair.js";
import { parsePythonTimestamp } from "../../packages/client/src/migration/timestamps.js";
import { computeModulesHash, ModuleVersionInfo } from "../../packages/client/src/version/models.js";

const entity = (constraints: PublicEntity["navigationProperties"][number]["constraints"]): PublicEntity => ({
  name: "SalesOrderHeaderV2",
  entitySetName: "SalesOrderHeadersV2",
  labelId: "@SYS9694",
  isReadOnly: false,
  configurationEnabled: true,
  properties: [],
  navigationProperties: [
    {
      name: "Lines",
      relatedEntity: "SalesOrderLine",
      relatedRelationName: null,
      cardinality: "Multiple",
      constraints,
    },
  ],
  propertyGroups: [],
  actions: [],
});

describe("dedupeFixedConstraints", () => {
  it("keeps each fixed constraint once, leaves referential ones and different values alone", () => {
    const fixed = { kind: "Fixed" as const, property: "LineType", value: 1, valueStr: null };
    const ref = { kind: "Referential" as const, property: "SalesId", referencedProperty: "SalesId" };
    const { entities, removed } = dedupeFixedConstraints([
      entity([ref, fixed, fixed, { ...fixed, value: 2 }, { ...fixed, value: 2 }, ref]),
    ]);
    expect(removed).toBe(2);
    expect(entities[0].navigationProperties[0].constraints).toEqual([
      ref,
      fixed,
      { ...fixed, value: 2 },
      ref,
    ]);
  });

  it("returns the same objects when nothing is duplicated", () => {
    const input = [entity([{ kind: "Fixed", property: "A", value: 1, valueStr: null }])];
    expect(dedupeFixedConstraints(input).entities[0]).toBe(input[0]);
  });
});

describe("resolveLabels", () => {
  const content = {
    dataEntities: [],
    publicEntities: [{ ...entity([]), labelId: "@SYS9694" }],
    enumerations: [
      {
        name: "NoYes",
        labelId: "@sys5461",
        members: [{ name: "No", value: 0, labelId: "@SYS2048", configurationEnabled: true }],
      },
    ],
    labels: [
      { id: "@sys9694", language: "en-US", value: "Sales orders" },
      { id: "@SYS5461", language: "en-US", value: "No/Yes" },
      { id: "@SYS1", language: "en-US", value: "unused" },
    ],
  };

  it("matches ids case-insensitively under the metadata's spelling; reports missing and unreferenced", () => {
    const { labels, missing, unreferenced } = resolveLabels(content);
    expect(labels).toEqual([
      { id: "@SYS9694", language: "en-US", value: "Sales orders" },
      { id: "@sys5461", language: "en-US", value: "No/Yes" },
    ]);
    expect(missing).toEqual(["@SYS2048"]);
    expect(unreferenced).toBe(1);
    expect(repairContent(content).report).toEqual({
      duplicateFixedConstraintsRemoved: 0,
      labelsResolved: 2,
      labelsMissing: 1,
      labelsUnreferenced: 1,
    });
  });
});

describe("the Python tool's strict five-part split", () => {
  it("rejects exactly the lines with ` | ` inside a value", () => {
    const line = (displayName: string) =>
      new ModuleVersionInfo({
        name: "X",
        version: "1.0.0.0",
        moduleId: "X",
        publisher: "Contoso",
        displayName,
      }).toString();
    expect(isRejectedByPythonSplit(line("Contoso tools"))).toBe(false);
    expect(isRejectedByPythonSplit(line("Contoso | tools"))).toBe(true);
    expect(isRejectedByPythonSplit(line("Contoso|tools"))).toBe(false);
  });
});

describe("parsePythonTimestamp", () => {
  it("reads SQLite CURRENT_TIMESTAMP (UTC) and Python's aware datetimes", () => {
    expect(parsePythonTimestamp("2026-12-03 07:56:16")?.toISOString()).toBe("2026-12-03T07:56:16.000Z");
    expect(parsePythonTimestamp("2025-08-20 10:11:12.123456+00:00")?.toISOString()).toBe(
      "2025-08-20T10:11:12.123Z",
    );
    expect(parsePythonTimestamp("2025-08-20T12:11:12+02:00")?.toISOString()).toBe("2025-08-20T10:11:12.000Z");
    expect(parsePythonTimestamp("yesterday")).toBeNull();
    expect(parsePythonTimestamp(null)).toBeNull();
  });
});

describe("adoptsImportedVersion", () => {
  const m = (moduleId: string, version: string, displayName = moduleId) =>
    new ModuleVersionInfo({ name: moduleId, moduleId, version, publisher: "Contoso", displayName });
  const kept = [m("ApplicationSuite", "10.0.2095.59"), m("Directory", "10.0.2095.59")];
  const pipe = m("ContosoExtensions", "1.4.0.12", "Contoso | Warehouse Add-on");

  it("adopts when the live list minus the lines the Python split rejects equals the imported list", () => {
    expect(adoptsImportedVersion([...kept, pipe], computeModulesHash(kept))).toBe(true);
  });

  it("refuses any other difference", () => {
    expect(adoptsImportedVersion([...kept], computeModulesHash(kept))).toBe(false); // nothing was dropped
    expect(
      adoptsImportedVersion([m("ApplicationSuite", "10.0.2095.60"), kept[1], pipe], computeModulesHash(kept)),
    ).toBe(false);
    expect(adoptsImportedVersion([...kept, pipe, m("Extra", "1.0.0.0")], computeModulesHash(kept))).toBe(
      false,
    );
  });
});
