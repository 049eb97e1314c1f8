import { describe, expect, it } from "vitest";
import { generateRelease, PRESETS } from "../../../packages/emulator/src/model/index.js";
import type { EmulatorRelease } from "../../../packages/emulator/src/model/types.js";

const DATA_TYPES = [
  "String",
  "Int32",
  "Int64",
  "Real",
  "Date",
  "UtcDateTime",
  "Time",
  "Enum",
  "Guid",
  "Container",
  "Record",
];

function propertyCount(r: EmulatorRelease): number {
  return r.publicEntities.reduce((n, e) => n + e.Properties.length, 0);
}

describe("preset sizes", () => {
  it.each(["tiny", "medium"] as const)("%s has the preset's counts", (preset) => {
    const size = PRESETS[preset];
    const r = generateRelease({ preset });
    expect(r.dataEntities).toHaveLength(size.dataEntities);
    expect(r.publicEntities).toHaveLength(size.publicEntities);
    expect(r.enumerations).toHaveLength(size.enumerations);
    expect(r.modules).toHaveLength(size.modules);
    expect(r.dataEntities.filter((d) => d.DataServiceEnabled)).toHaveLength(size.publicEntities);
    const props = propertyCount(r);
    expect(props).toBeGreaterThan(size.properties * 0.85);
    expect(props).toBeLessThan(size.properties * 1.2);
    const labels = r.labels.get("en-us")?.size ?? 0;
    expect(labels).toBeGreaterThan(size.labelIds * 0.85);
    expect(labels).toBeLessThan(size.labelIds * 1.15);
    const actions = r.publicEntities.reduce((n, e) => n + e.Actions.length, 0);
    expect(actions).toBe(size.boundActions + 4); // + the four versioning actions
  });

  it("PRESETS has the documented shape", () => {
    expect(PRESETS.tiny).toMatchObject({
      dataEntities: 20,
      publicEntities: 15,
      enumerations: 10,
      modules: 8,
    });
    expect(PRESETS.medium).toMatchObject({
      dataEntities: 500,
      publicEntities: 400,
      enumerations: 300,
      modules: 60,
    });
    expect(PRESETS.large).toMatchObject({
      dataEntities: 5000,
      publicEntities: 4500,
      enumerations: 2000,
      modules: 200,
    });
  });
});

describe("realism", () => {
  const r = generateRelease({ preset: "medium" });

  it("has the real CustomerV3 sample joined to its data entity", () => {
    const de = r.dataEntities.find((d) => d.Name === "CustCustomerV3Entity");
    expect(de).toEqual({
      Name: "CustCustomerV3Entity",
      PublicEntityName: "CustomerV3",
      PublicCollectionName: "CustomersV3",
      LabelId: "@AccountsReceivable:CustCustomerV3EntityLabel",
      DataServiceEnabled: true,
      DataManagementEnabled: true,
      EntityCategory: "Master",
      IsReadOnly: false,
    });
    expect(r.labels.get("en-us")?.get("@AccountsReceivable:CustCustomerV3EntityLabel")).toBe("Customers V3");
    const e = r.publicEntities.find((x) => x.Name === "CustomerV3");
    expect(e?.EntitySetName).toBe("CustomersV3");
    expect(e?.Properties.slice(0, 2).map((p) => [p.Name, p.IsKey])).toEqual([
      ["dataAreaId", true],
      ["CustomerAccount", true],
    ]);
    expect(e?.Properties.find((p) => p.Name === "AccountStatement")).toMatchObject({
      TypeName: "Microsoft.Dynamics.DataEntities.CustAccountStatement",
      DataType: "Enum",
      LabelId: "@SYS14680",
    });
  });

  it("has NoYes and CustAccountStatement as in the protocol", () => {
    const noYes = r.enumerations.find((e) => e.Name === "NoYes");
    expect(noYes?.Members.map((m) => [m.Name, m.Value])).toEqual([
      ["No", 0],
      ["Yes", 1],
    ]);
    expect(noYes?.Members[0].LabelId).toBe("@sys2048");
    const cas = r.enumerations.find((e) => e.Name === "CustAccountStatement");
    expect(cas?.Members.slice(0, 2)).toEqual([
      { Name: "Always", LabelId: "@SYS14585", Value: 0, ConfigurationEnabled: true },
      { Name: "Quarter", LabelId: "@SYS4759", Value: 1, ConfigurationEnabled: true },
    ]);
  });

  it("uses every DataType (never Void on a property) with Edm or existing enum TypeNames", () => {
    const used = new Set(r.publicEntities.flatMap((e) => e.Properties.map((p) => p.DataType)));
    for (const t of DATA_TYPES) expect(used.has(t), t).toBe(true);
    expect(used.has("Void")).toBe(false);
    const tiny = generateRelease({ preset: "tiny" });
    const tinyUsed = new Set(tiny.publicEntities.flatMap((e) => e.Properties.map((p) => p.DataType)));
    expect([...tinyUsed].sort()).toEqual([...DATA_TYPES].sort());
  });

  it("distributes EntityCategory like a real environment", () => {
    const share = (c: string) =>
      r.dataEntities.filter((d) => d.EntityCategory === c).length / r.dataEntities.length;
    expect(share("Master")).toBeGreaterThan(0.48);
    expect(share("Master")).toBeLessThan(0.66);
    expect(share("Reference")).toBeGreaterThan(0.12);
    expect(share("Document")).toBeGreaterThan(0.07);
    expect(share("Transaction")).toBeGreaterThan(0.05);
    expect(share("Parameters")).toBeGreaterThan(0);
    expect(r.dataEntities.some((d) => d.IsReadOnly)).toBe(true);
    const hidden = r.dataEntities.filter((d) => !d.DataServiceEnabled);
    expect(hidden.length).toBe(100);
    expect(hidden.every((d) => d.PublicEntityName && d.PublicCollectionName)).toBe(true);
  });

  it("has the odd cases: enum/entity name clash, null and lowercase label ids, both label forms, country suffixes, dimensions", () => {
    const entityNames = new Set(r.publicEntities.map((e) => e.Name));
    expect(r.enumerations.some((e) => entityNames.has(e.Name))).toBe(true);
    const props = r.publicEntities.flatMap((e) => e.Properties);
    expect(props.some((p) => p.LabelId === null)).toBe(true);
    expect(r.publicEntities.some((e) => e.LabelId === null)).toBe(true);
    const ids = [...(r.labels.get("en-us")?.keys() ?? [])];
    expect(ids.some((id) => /^@SYS\d+$/.test(id))).toBe(true);
    expect(ids.some((id) => /^@sys\d+$/.test(id))).toBe(true);
    expect(ids.some((id) => /^@[A-Za-z]+:\w+$/.test(id))).toBe(true);
    expect(props.some((p) => /_(IT|W)$/.test(p.Name))).toBe(true);
    const dims = props.filter((p) => p.IsDimension);
    expect(dims.length).toBeGreaterThan(0);
    expect(dims.some((p) => p.DimensionTypeProperty === "AccountType")).toBe(true);
    // The same label id is reused by many properties.
    const uses = new Map<string, number>();
    for (const p of props) if (p.LabelId) uses.set(p.LabelId, (uses.get(p.LabelId) ?? 0) + 1);
    expect(Math.max(...uses.values())).toBeGreaterThan(50);
  });

  it("has all three constraint kinds, both cardinalities, groups and bound actions", () => {
    const navs = r.publicEntities.flatMap((e) => e.NavigationProperties);
    const kinds = new Set(navs.flatMap((n) => n.Constraints.map((c) => c["@odata.type"])));
    expect([...kinds].sort()).toEqual([
      "#Microsoft.Dynamics.Metadata.FixedConstraint",
      "#Microsoft.Dynamics.Metadata.ReferentialConstraint",
      "#Microsoft.Dynamics.Metadata.RelatedFixedConstraint",
    ]);
    expect(new Set(navs.map((n) => n.Cardinality))).toEqual(new Set(["Single", "Multiple"]));
    expect(r.publicEntities.some((e) => e.PropertyGroups.length > 0)).toBe(true);
    const actions = r.publicEntities.flatMap((e) => e.Actions);
    expect(new Set(actions.map((a) => a.BindingKind))).toEqual(
      new Set(["BoundToEntityInstance", "BoundToEntitySet"]),
    );
    expect(actions.some((a) => a.ReturnType === null)).toBe(true);
    const sn = r.publicEntities.find((e) => e.EntitySetName === "SystemNotifications");
    expect(sn?.Actions.find((a) => a.Name === "GetInstalledModules")?.ReturnType).toEqual({
      TypeName: "Edm.String",
      IsCollection: true,
    });
  });

  it("translates labels into de-de with a small share missing", () => {
    const en = r.labels.get("en-us") as ReadonlyMap<string, string>;
    const de = r.labels.get("de-de") as ReadonlyMap<string, string>;
    expect(de.size).toBeLessThan(en.size);
    expect(de.size).toBeGreaterThan(en.size * 0.9);
    expect(de.get("@sys2049")).toBe("Ja");
    expect(en.get("@sys2049")).toBe("Yes");
  });
});
