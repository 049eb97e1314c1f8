/**
 * The state a release is generated from and the small pieces every generator stage shares:
 * concepts (a property's meaning), entity skeletons, the Edm type map and the real samples' labels.
 */
import type { PublicEnumerationJson } from "d365fo-client";
import { DATA_ENTITIES_NAMESPACE } from "d365fo-client";
import type { LabelBook } from "./labels.js";
import type { ModuleTemplate, ProductBuild } from "./modules.js";
import type { PresetName, PresetSize } from "./types.js";
import type { Domain, HeadKind } from "./words.js";

/** A property "meaning": the same name carries the same type and label id in every entity. */
export interface Concept {
  name: string;
  kind: HeadKind;
  labelId: string | null;
  /** Enum properties: the enumeration's name (it exists in the release). */
  enumName: string | null;
}

export interface EntitySkeleton {
  name: string;
  collection: string;
  dataEntityName: string;
  domain: Domain;
  company: boolean;
  keys: Concept[];
  category: string;
  isReadOnly: boolean;
  configurationEnabled: boolean;
  dataManagementEnabled: boolean;
  labelId: string | null;
  isPublic: boolean;
}

/** State kept with a release so that its upgrades extend it consistently. */
export interface GenerationContext {
  preset: PresetName;
  size: PresetSize;
  seed: number;
  languages: string[];
  labels: LabelBook;
  concepts: Concept[];
  conceptsByName: Map<string, Concept>;
  /** Size of the pool's head (the "hot" concepts every kind of entity has). */
  hotCount: number;
  enumsByName: Map<string, PublicEnumerationJson>;
  usedEntityNames: Set<string>;
  usedDataEntityNames: Set<string>;
  product: ProductBuild;
  moduleTemplates: ModuleTemplate[];
  appRevision: number;
  platformRevision: number;
  isvVersions: Map<string, string>;
}

export const EDM_TYPE_BY_DATA_TYPE: Readonly<Record<string, string>> = {
  String: "Edm.String",
  Int32: "Edm.Int32",
  Int64: "Edm.Int64",
  Real: "Edm.Decimal",
  Date: "Edm.DateTimeOffset",
  UtcDateTime: "Edm.DateTimeOffset",
  Time: "Edm.Int32",
  Guid: "Edm.Guid",
  Container: "Edm.Binary",
  Record: "Edm.String",
};

/** The versioning entities; they carry the undocumented version actions (protocol §3). */
export const SYSTEM_NOTIFICATION = "SystemNotification";
export const DATA_MANAGEMENT_ENTITY = "DataManagementEntity";

/**
 * Label ids of the real samples, registered before anything is generated so that no generated
 * id takes one of them with another text.
 */
export const FIXED_LABELS: readonly [string, string][] = [
  ["@SYS11837", "No/Yes"],
  ["@sys2048", "No"],
  ["@sys2049", "Yes"],
  ["@SYS14680", "Account statement"],
  ["@SYS14585", "Always"],
  ["@SYS4759", "Quarter"],
  ["@SYS6325", "Month"],
  ["@SYS7264", "Never"],
  ["@SYS12149", "Account type"],
  ["@SYS12217", "Ledger"],
  ["@SYS11307", "Customer"],
  ["@SYS8079", "Vendor"],
  ["@SYS4534", "Project"],
  ["@SYS67", "Fixed assets"],
  ["@SYS1517", "Bank"],
  ["@SYS21976", "Tax direction"],
  ["@SYS21977", "Sales tax payable"],
  ["@SYS21978", "Sales tax receivable"],
  ["@SYS21979", "Tax-free purchase"],
  ["@SYS21980", "Tax-free sales"],
  ["@SYS21981", "Use tax"],
  ["@AccountsReceivable:CustCustomerV3EntityLabel", "Customers V3"],
  ["@AccountsReceivable:CustCustomerGroupEntityLabel", "Customer groups"],
  ["@ApplicationPlatform:SystemNotificationEntityLabel", "System notifications"],
  ["@DMF:DataManagementEntityLabel", "Data management entities"],
  ["@Tax:TaxDirectionEntityLabel", "Tax directions"],
  ["@SYS13342", "Company"],
  ["@SYS11904", "Customer group"],
  ["@SYS7149", "Customer account"],
  ["@SYS4969", "Id"],
  ["@DMF:EntityName", "Entity name"],
  ["@SYS138487", "Financial dimensions"],
  ["@SYS24500", "Account"],
  ["@SYS23456", "Number of invoice copies"],
  ["@SYS80991", "Party record ID"],
  ["@SYS11778", "Credit limit"],
  ["@SYS3247", "Last invoice date"],
  ["@SYS328190", "Last contact date and time"],
  ["@SYS75129", "Preferred delivery time"],
  ["@SYS345612", "Electronic invoice GUID"],
  ["@SYS93741", "Image"],
  ["@SYS9362", "Address record"],
  ["@SYS4003519", "Public sector (Italy)"],
  ["@SYS4082", "EU trade"],
];

export function enumTypeName(enumName: string): string {
  return `${DATA_ENTITIES_NAMESPACE}.${enumName}`;
}

export function typeNameOf(concept: Concept): string {
  return concept.kind === "Enum"
    ? enumTypeName(concept.enumName as string)
    : EDM_TYPE_BY_DATA_TYPE[concept.kind];
}

export function concept(
  ctx: GenerationContext,
  name: string,
  kind: HeadKind,
  labelId: string | null,
  enumName: string | null,
) {
  const c: Concept = { name, kind, labelId, enumName };
  ctx.conceptsByName.set(name, c);
  return c;
}

export function fixedConcept(
  ctx: GenerationContext,
  name: string,
  kind: HeadKind,
  labelId: string,
  text: string,
  enumName: string | null = null,
): Concept {
  return ctx.conceptsByName.get(name) ?? concept(ctx, name, kind, ctx.labels.fixed(labelId, text), enumName);
}
