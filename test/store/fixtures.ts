/** Shared fixtures for the store tests: temp directories, model builders, version infos. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type {
  DataEntity,
  Enumeration,
  Label,
  PublicEntity,
} from "../../packages/client/src/metadata/models.js";
import type { MetadataStore } from "../../packages/client/src/store/types.js";
import { EnvironmentVersionInfo, ModuleVersionInfo } from "../../packages/client/src/version/models.js";
import { entityProperty } from "../_fixtures/models.js";

export function makeTempDir(prefix = "d365fo-store-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function versionInfo(tag: string, moduleCount = 3, extra: Partial<{ modulesHash: string }> = {}) {
  const modules = Array.from(
    { length: moduleCount },
    (_, i) =>
      new ModuleVersionInfo({
        name: `Module${i}`,
        version: `10.0.${tag}.${i}`,
        moduleId: `Module${i}`,
        publisher: "Microsoft Corporation",
        displayName: `Module ${i} | display`,
      }),
  );
  return new EnvironmentVersionInfo({
    modules,
    modulesHash: extra.modulesHash,
    applicationVersion: `10.0.${tag}`,
    applicationBuildVersion: `10.0.${tag}.1`,
    platformVersion: "7.0.7521.60",
  });
}

/** A public entity exercising every model field: all constraint kinds, groups, actions, nulls. */
export function fullPublicEntity(name = "CustomerV3", variant = 0): PublicEntity {
  return {
    name,
    entitySetName: `${name.replace(/V\d+$/, "")}sV3`,
    labelId: "@SYS12345",
    isReadOnly: false,
    configurationEnabled: true,
    properties: [
      entityProperty("dataAreaId", {
        labelId: "@SYS13342",
        isKey: true,
        isMandatory: true,
        allowEdit: false,
      }),
      entityProperty("CustomerAccount", {
        labelId: "@SYS7149",
        isKey: true,
        isMandatory: true,
        allowEdit: false,
      }),
      {
        name: "DefaultDimensionDisplayValue",
        typeName: "Edm.String",
        dataType: "String",
        labelId: null,
        isKey: false,
        isMandatory: false,
        configurationEnabled: false,
        allowEdit: true,
        allowEditOnCreate: false,
        isDimension: true,
        dimensionRelation: "DefaultDimension",
        isDynamicDimension: true,
        dimensionLegalEntityProperty: "dataAreaId",
        dimensionTypeProperty: "DimensionType",
      },
      entityProperty("CreditLimit", { typeName: "Edm.Decimal", dataType: "Real", labelId: "@SYS10000" }),
    ],
    navigationProperties: [
      {
        name: "CustomerGroup",
        relatedEntity: "CustomerGroup",
        relatedRelationName: "Customers",
        cardinality: "Single",
        constraints: [
          { kind: "Referential", property: "CustomerGroupId", referencedProperty: "CustomerGroupId" },
          { kind: "Fixed", property: "AccountType", value: 2, valueStr: "Customer" },
          { kind: "RelatedFixed", relatedProperty: "Status", value: null, valueStr: null },
        ],
      },
      {
        name: "Invoices",
        relatedEntity: "CustomerInvoice",
        relatedRelationName: null,
        cardinality: "Multiple",
        constraints: [],
      },
    ],
    propertyGroups: [
      { name: "AutoIdentification", properties: ["CustomerAccount", "dataAreaId"] },
      { name: "Empty", properties: [] },
    ],
    actions: [
      {
        name: "Post",
        bindingKind: "BoundToEntityInstance",
        fieldLookup: null,
        parameters: [
          { name: "_postingDate", type: { typeName: "Edm.Date", isCollection: false } },
          { name: "_lines", type: { typeName: "Edm.String", isCollection: true } },
        ],
        returnType: { typeName: "Edm.Int32", isCollection: false },
      },
      {
        name: "GetKeys",
        bindingKind: "BoundToEntitySet",
        fieldLookup: "CustomerAccount",
        parameters: [],
        returnType: { typeName: "Edm.String", isCollection: true },
      },
      { name: "Refresh", bindingKind: "Unbound", fieldLookup: null, parameters: [], returnType: null },
    ].map((a, i) => (i === 0 && variant > 0 ? { ...a, name: `Post${variant}` } : a)),
  };
}

export function dataEntity(name: string, overrides: Partial<DataEntity> = {}): DataEntity {
  return {
    name,
    publicEntityName: name.replace(/Entity$/, ""),
    publicCollectionName: `${name.replace(/Entity$/, "")}s`,
    labelId: `@DE_${name}`,
    dataServiceEnabled: true,
    dataManagementEnabled: true,
    entityCategory: "Master",
    isReadOnly: false,
    ...overrides,
  };
}

export function enumeration(name: string, memberCount = 3): Enumeration {
  return {
    name,
    labelId: `@EN_${name}`,
    members: Array.from({ length: memberCount }, (_, i) => ({
      name: `${name}Member${i}`,
      value: i,
      labelId: i === 0 ? null : `@EN_${name}_${i}`,
      configurationEnabled: i % 2 === 0,
    })),
  };
}

export function label(id: string, value: string, language = "en-us"): Label {
  return { id, language, value };
}

/** Simple synthetic public entity with `propertyCount` properties. */
export function simpleEntity(name: string, propertyCount: number, salt = ""): PublicEntity {
  return {
    name,
    entitySetName: `${name}s`,
    labelId: `@PE_${name}`,
    isReadOnly: false,
    configurationEnabled: true,
    properties: Array.from({ length: propertyCount }, (_, i) => ({
      name: `${name}Field${i}${salt}`,
      typeName: "Edm.String",
      dataType: "String",
      labelId: `@PR_${name}_${i}`,
      isKey: i === 0,
      isMandatory: i === 0,
      configurationEnabled: true,
      allowEdit: i !== 0,
      allowEditOnCreate: true,
      isDimension: false,
      dimensionRelation: null,
      isDynamicDimension: false,
      dimensionLegalEntityProperty: null,
      dimensionTypeProperty: null,
    })),
    navigationProperties: [],
    propertyGroups: [],
    actions: [],
  };
}

/**
 * The search corpus every backend's search tests run over: two complete versions, the second
 * without `CustomerGroup`, so that every hit must be scoped to its version.
 */
export async function seedSearchCorpus(store: MetadataStore): Promise<{ v1: number; v2: number }> {
  const customer = { ...simpleEntity("Customer", 2), labelId: "@CUST" };
  const vendor = { ...simpleEntity("VendorV2", 2), isReadOnly: true };
  const entities = [
    customer,
    fullPublicEntity("CustomerV3"),
    simpleEntity("CustomerGroup", 1),
    simpleEntity("SalesOrderHeader", 3),
    simpleEntity("SalesOrderLine", 3),
    simpleEntity("SalesOrderHeaderV2", 2),
    vendor,
  ];
  const dataEntities = [
    dataEntity("CustCustomerV3Entity", {
      publicEntityName: "CustomerV3",
      publicCollectionName: "CustomersV3",
    }),
    dataEntity("SalesOrderHeaderEntity", {
      publicEntityName: "SalesOrderHeader",
      entityCategory: "Transaction",
      labelId: "@SO",
    }),
    dataEntity("VendVendorV2Entity", {
      publicEntityName: "VendorV2",
      dataServiceEnabled: false,
      isReadOnly: true,
    }),
  ];
  const labels = [
    label("@SYS12345", "Customers V3"),
    label("@SYS12345", "Kunden V3", "de-DE"),
    label("@CUST", "Customer master"),
    label("@SO", "Sales order headers"),
    label("@EN_CustVendorBlocked", "Blocked for customers"),
  ];
  const ids: number[] = [];
  for (const [tag, list] of [
    ["1", entities],
    ["2", entities.filter((e) => e.name !== "CustomerGroup")],
  ] as const) {
    const { version } = await store.getOrCreateVersion(versionInfo(tag), null);
    await store.writePublicEntities(version.id, list);
    await store.writeDataEntities(version.id, dataEntities);
    await store.writeEnumerations(version.id, [enumeration("CustVendorBlocked", 3)]);
    await store.writeLabels(version.id, labels);
    await store.completeVersion(version.id);
    ids.push(version.id);
  }
  return { v1: ids[0], v2: ids[1] };
}
