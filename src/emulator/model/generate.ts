/**
 * Generates a base release (upgrade step 0) of a preset: enums, data entities, public entities
 * with properties, navigation, property groups and actions, labels and modules. Everything is a
 * pure function of (preset, seed, languages).
 */
import type {
  ActionJson,
  ConstraintJson,
  DataEntityJson,
  NavigationPropertyJson,
  PublicEntityJson,
  PublicEntityPropertyJson,
  PublicEnumerationJson,
} from "../../metadata/wire.js";
import { DATA_ENTITIES_NAMESPACE } from "../../metadata/wire.js";
import { buildLabelMaps, LabelBook } from "./labels.js";
import {
  instantiateModules,
  type ModuleTemplate,
  moduleTemplates,
  type ProductBuild,
  pickProductBuild,
} from "./modules.js";
import { PRESETS } from "./presets.js";
import { cumulativeOf, Rng } from "./prng.js";
import { labelTextFromName, pluralize } from "./text.js";
import type { EmulatorRelease, PresetName, PresetSize } from "./types.js";
import {
  ACTION_NAMES,
  COUNTRY_SUFFIXES,
  DOMAINS,
  type Domain,
  ENTITY_NOUNS,
  ENTITY_SUFFIXES,
  ENUM_SUFFIXES,
  FLAG_PREFIXES,
  type HeadKind,
  HOT_PROPERTIES,
  MEMBER_WORDS,
  PROPERTY_HEADS,
  PROPERTY_NOUNS,
  PROPERTY_QUALIFIERS,
} from "./words.js";

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
  /** Share of the pool drawn from its head (the "hot" concepts). */
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

const CATEGORY_NAMES = ["Master", "Reference", "Document", "Transaction", "Parameters", "Configuration"];
const CATEGORY_CUMULATIVE = cumulativeOf([57, 18, 12, 9, 3, 0.6]);
const HEAD_CUMULATIVE = cumulativeOf(PROPERTY_HEADS.map((h) => h.weight));
const KEY_HEADS = ["Id", "Number", "Code", "Name", "Account"];
const GROUP_NAMES = [
  "AutoIdentification",
  "AutoLookup",
  "AutoReport",
  "AutoSummary",
  "Overview",
  "General",
  "Details",
  "Address",
  "Setup",
  "Dimension",
  "Payment",
  "Delivery",
  "Posting",
  "Administration",
];
const PARAMETER_NAMES = [
  "_journalNum",
  "_transDate",
  "_reason",
  "_comment",
  "_quantity",
  "_postingDate",
  "_dataAreaId",
  "_description",
  "_amount",
  "_force",
  "_targetStatus",
  "_lines",
];
/** The versioning entities; they carry the undocumented version actions (protocol §3). */
export const SYSTEM_NOTIFICATION = "SystemNotification";
export const DATA_MANAGEMENT_ENTITY = "DataManagementEntity";

/**
 * Label ids of the real samples, registered before anything is generated so that no generated
 * id takes one of them with another text.
 */
const FIXED_LABELS: readonly [string, string][] = [
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

// ---------------------------------------------------------------------------------------------
// Enumerations

function member(name: string, labelId: string | null, value: number, configurationEnabled = true) {
  return { Name: name, LabelId: labelId, Value: value, ConfigurationEnabled: configurationEnabled };
}

function specialEnums(labels: LabelBook): PublicEnumerationJson[] {
  return [
    {
      Name: "NoYes",
      LabelId: labels.fixed("@SYS11837", "No/Yes"),
      Members: [
        member("No", labels.fixed("@sys2048", "No"), 0),
        member("Yes", labels.fixed("@sys2049", "Yes"), 1),
      ],
    },
    {
      Name: "CustAccountStatement",
      LabelId: labels.fixed("@SYS14680", "Account statement"),
      Members: [
        member("Always", labels.fixed("@SYS14585", "Always"), 0),
        member("Quarter", labels.fixed("@SYS4759", "Quarter"), 1),
        member("Month", labels.fixed("@SYS6325", "Month"), 2),
        member("Never", labels.fixed("@SYS7264", "Never"), 3),
      ],
    },
    {
      Name: "LedgerJournalACType",
      LabelId: labels.fixed("@SYS12149", "Account type"),
      Members: [
        member("Ledger", labels.fixed("@SYS12217", "Ledger"), 0),
        member("Cust", labels.fixed("@SYS11307", "Customer"), 1),
        member("Vend", labels.fixed("@SYS8079", "Vendor"), 2),
        member("Project", labels.fixed("@SYS4534", "Project"), 5),
        member("FixedAssets", labels.fixed("@SYS67", "Fixed assets"), 6),
        member("Bank", labels.fixed("@SYS1517", "Bank"), 7),
      ],
    },
    {
      // Also a public entity: the enum/entity name clash of protocol §1.1.
      Name: "TaxDirection",
      LabelId: labels.fixed("@SYS21976", "Tax direction"),
      Members: [
        member("IncomingTax", labels.fixed("@SYS21977", "Sales tax payable"), 0),
        member("OutgoingTax", labels.fixed("@SYS21978", "Sales tax receivable"), 1),
        member("TaxExemptPurchase", labels.fixed("@SYS21979", "Tax-free purchase"), 2),
        member("TaxExemptSales", labels.fixed("@SYS21980", "Tax-free sales"), 3),
        member("UseTax", labels.fixed("@SYS21981", "Use tax"), 4, false),
      ],
    },
  ];
}

function generateEnums(ctx: GenerationContext, rng: Rng): PublicEnumerationJson[] {
  const { labels } = ctx;
  const enums = specialEnums(labels);
  const names = new Set(enums.map((e) => e.Name));
  const memberLabels = new Map<string, string>();
  let attempts = 0;
  while (enums.length < ctx.size.enumerations && attempts++ < ctx.size.enumerations * 50) {
    const domain = rng.pick(DOMAINS);
    const noun = rng.chance(0.7) ? rng.pick(ENTITY_NOUNS) : "";
    const name = `${domain.prefix}${noun}${rng.pick(ENUM_SUFFIXES)}`;
    if (names.has(name)) continue;
    names.add(name);
    const labelId = rng.chance(0.03)
      ? null
      : labels.any(domain.labelFile, name, labelTextFromName(name), rng);
    const x = rng.next();
    const memberCount = x < 0.85 ? rng.int(2, 6) : x < 0.98 ? rng.int(7, 15) : rng.int(16, 45);
    const words = new Set<string>();
    while (words.size < Math.min(memberCount, MEMBER_WORDS.length)) words.add(rng.pick(MEMBER_WORDS));
    // Extensible enums get their values at database sync: gaps and large numbers (protocol §2.3).
    const extensible = rng.chance(0.1);
    let value = 0;
    const members = [...words].map((word, i) => {
      if (i > 0) value += extensible && rng.chance(0.4) ? rng.int(2, 40) : 1;
      let memberLabel: string | null;
      const y = rng.next();
      if (y < 0.03) memberLabel = null;
      else if (y < 0.2)
        memberLabel = labels.any(domain.labelFile, `${name}_${word}`, labelTextFromName(word), rng);
      else {
        memberLabel = memberLabels.get(word) ?? null;
        if (memberLabel === null) {
          memberLabel = labels.sys(labelTextFromName(word), rng);
          memberLabels.set(word, memberLabel);
        }
      }
      return member(word, memberLabel, value, !rng.chance(0.04));
    });
    enums.push({ Name: name, LabelId: labelId, Members: members });
  }
  for (const e of enums) ctx.enumsByName.set(e.Name, e);
  return enums;
}

// ---------------------------------------------------------------------------------------------
// Concepts (property meanings)

function concept(
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

function fixedConcept(
  ctx: GenerationContext,
  name: string,
  kind: HeadKind,
  labelId: string,
  text: string,
  enumName: string | null = null,
): Concept {
  return ctx.conceptsByName.get(name) ?? concept(ctx, name, kind, ctx.labels.fixed(labelId, text), enumName);
}

/** A key concept for an entity's main key (shared by entities of the same domain and noun). */
function keyConcept(ctx: GenerationContext, domain: Domain, noun: string, rng: Rng): Concept {
  const name = `${domain.word}${noun}${KEY_HEADS[rng.skewed(KEY_HEADS.length, 1.5)]}`;
  const existing = ctx.conceptsByName.get(name);
  if (existing) return existing;
  const text = labelTextFromName(name);
  const labelId = rng.chance(0.7) ? ctx.labels.file(domain.labelFile, name, text) : ctx.labels.sys(text, rng);
  return concept(ctx, name, "String", labelId, null);
}

function dataAreaIdConcept(ctx: GenerationContext): Concept {
  return fixedConcept(ctx, "dataAreaId", "String", "@SYS13342", "Company");
}

/** A new concept with a name not used yet (null when the drawn name exists). */
export function randomConcept(
  ctx: GenerationContext,
  rng: Rng,
  enumNames: readonly string[],
  pool: readonly Concept[],
): Concept | null {
  let name: string;
  let kind: HeadKind;
  let enumName: string | null = null;
  const domain = rng.pick(DOMAINS);
  if (rng.chance(0.05)) {
    name = `${rng.pick(FLAG_PREFIXES)}${rng.pick(PROPERTY_QUALIFIERS)}${rng.pick(PROPERTY_NOUNS)}`;
    kind = "Enum";
    enumName = "NoYes";
  } else {
    const head = PROPERTY_HEADS[rng.weighted(HEAD_CUMULATIVE)];
    const qualifier = rng.chance(0.8) ? rng.pick(PROPERTY_QUALIFIERS) : "";
    const noun = rng.chance(0.4) ? "" : rng.pick(PROPERTY_NOUNS);
    name = `${qualifier}${noun}${head.word}`;
    kind = head.kind;
    if (kind === "Enum") enumName = rng.chance(0.08) ? "NoYes" : rng.pick(enumNames);
  }
  let text = labelTextFromName(name);
  if (rng.chance(0.03)) {
    const [suffix, country] = rng.pick(COUNTRY_SUFFIXES);
    name = `${name}${suffix}`;
    text = `${text} (${country})`;
  }
  if (ctx.conceptsByName.has(name)) return null;
  let labelId: string | null;
  const x = rng.next();
  if (x < 0.025) labelId = null;
  else if (x < 0.09 && pool.length > 0) labelId = rng.pick(pool).labelId;
  else labelId = ctx.labels.any(domain.labelFile, name, text, rng);
  return concept(ctx, name, kind, labelId, enumName);
}

function generateConcepts(ctx: GenerationContext, rng: Rng, count: number): void {
  const enumNames = [...ctx.enumsByName.keys()];
  const pool: Concept[] = [];
  const add = (c: Concept) => pool.push(c);
  for (const [name, kind] of HOT_PROPERTIES) {
    if (ctx.conceptsByName.has(name)) {
      add(ctx.conceptsByName.get(name) as Concept);
      continue;
    }
    const text = labelTextFromName(name);
    const enumName = kind === "Enum" ? (name.startsWith("Is") ? "NoYes" : rng.pick(enumNames)) : null;
    add(concept(ctx, name, kind, ctx.labels.sys(text, rng), enumName));
  }
  let attempts = 0;
  while (pool.length < count && attempts++ < count * 20) {
    const c = randomConcept(ctx, rng, enumNames, pool);
    if (c) pool.push(c);
  }
  ctx.concepts = pool;
  ctx.hotCount = Math.min(pool.length, Math.max(HOT_PROPERTIES.length, Math.round(pool.length * 0.02)));
}

// ---------------------------------------------------------------------------------------------
// Entities

function specialSkeletons(ctx: GenerationContext, rng: Rng): EntitySkeleton[] {
  const { labels } = ctx;
  const cust = DOMAINS[0];
  const tax = DOMAINS.find((d) => d.prefix === "Tax") as Domain;
  const company = dataAreaIdConcept(ctx);
  const base = {
    isReadOnly: false,
    configurationEnabled: true,
    dataManagementEnabled: true,
    isPublic: true,
  };
  const custGroupKey = fixedConcept(ctx, "CustomerGroupId", "String", "@SYS11904", "Customer group");
  const out: EntitySkeleton[] = [
    {
      ...base,
      name: "CustomerV3",
      collection: "CustomersV3",
      dataEntityName: "CustCustomerV3Entity",
      domain: cust,
      company: true,
      keys: [company, fixedConcept(ctx, "CustomerAccount", "String", "@SYS7149", "Customer account")],
      category: "Master",
      labelId: labels.fixed("@AccountsReceivable:CustCustomerV3EntityLabel", "Customers V3"),
    },
    {
      ...base,
      name: "CustomerGroup",
      collection: "CustomerGroups",
      dataEntityName: "CustCustomerGroupEntity",
      domain: cust,
      company: true,
      keys: [company, custGroupKey],
      category: "Reference",
      labelId: labels.fixed("@AccountsReceivable:CustCustomerGroupEntityLabel", "Customer groups"),
    },
    {
      ...base,
      name: SYSTEM_NOTIFICATION,
      collection: "SystemNotifications",
      dataEntityName: "SystemNotificationEntity",
      domain: DOMAINS.find((d) => d.prefix === "Dir") as Domain,
      company: false,
      keys: [fixedConcept(ctx, "Id", "Int64", "@SYS4969", "Id")],
      category: "Reference",
      isReadOnly: true,
      dataManagementEnabled: false,
      labelId: labels.fixed("@ApplicationPlatform:SystemNotificationEntityLabel", "System notifications"),
    },
    {
      ...base,
      name: DATA_MANAGEMENT_ENTITY,
      collection: "DataManagementEntities",
      dataEntityName: "DMFEntity",
      domain: DOMAINS.find((d) => d.prefix === "Ledger") as Domain,
      company: false,
      keys: [fixedConcept(ctx, "EntityName", "String", "@DMF:EntityName", "Entity name")],
      category: "Configuration",
      isReadOnly: true,
      dataManagementEnabled: false,
      labelId: labels.fixed("@DMF:DataManagementEntityLabel", "Data management entities"),
    },
    {
      ...base,
      name: "TaxDirection",
      collection: "TaxDirections",
      dataEntityName: "TaxDirectionEntity",
      domain: tax,
      company: true,
      keys: [company, keyConcept(ctx, tax, "Direction", rng)],
      category: "Reference",
      labelId: labels.fixed("@Tax:TaxDirectionEntityLabel", "Tax directions"),
    },
  ];
  for (const s of out) {
    ctx.usedEntityNames.add(s.name);
    ctx.usedDataEntityNames.add(s.dataEntityName);
  }
  return out;
}

/** A new entity skeleton with a unique D365-style name (`CustCustomerGroupEntity` → `CustomerGroup` → `CustomerGroups`). */
export function newSkeleton(ctx: GenerationContext, rng: Rng, isPublic: boolean): EntitySkeleton {
  for (;;) {
    const domain = rng.pick(DOMAINS);
    const noun = rng.pick(ENTITY_NOUNS);
    const suffix = rng.chance(0.55) ? rng.pick(ENTITY_SUFFIXES) : "";
    const v = rng.next();
    const version = v < 0.12 ? "V2" : v < 0.17 ? "V3" : v < 0.19 ? "V4" : "";
    const stem = `${domain.word}${noun}${suffix === noun ? "" : suffix}`;
    const name = `${stem}${version}`;
    const aotStem = stem.startsWith(domain.prefix) ? stem : `${domain.prefix}${stem}`;
    const dataEntityName = `${aotStem}${version}Entity`;
    if (ctx.usedEntityNames.has(name) || ctx.usedDataEntityNames.has(dataEntityName)) continue;
    ctx.usedEntityNames.add(name);
    ctx.usedDataEntityNames.add(dataEntityName);
    const collection = `${pluralize(stem)}${version}`;
    const category = CATEGORY_NAMES[rng.weighted(CATEGORY_CUMULATIVE)];
    const company = category === "Configuration" ? false : rng.chance(0.68);
    const keys: Concept[] = [];
    if (company) keys.push(dataAreaIdConcept(ctx));
    keys.push(keyConcept(ctx, domain, noun, rng));
    if (suffix === "Line") keys.push(ctx.conceptsByName.get("LineNumber") ?? lineNumberConcept(ctx, rng));
    else if (rng.chance(0.12)) keys.push(keyConcept(ctx, rng.pick(DOMAINS), rng.pick(ENTITY_NOUNS), rng));
    const labelText = labelTextFromName(collection);
    const l = rng.next();
    const labelId =
      l < 0.03
        ? null
        : l < 0.1
          ? ctx.labels.sys(labelText, rng)
          : ctx.labels.file(domain.labelFile, `${dataEntityName}Label`, labelText);
    return {
      name,
      collection,
      dataEntityName,
      domain,
      company,
      keys: dedupeConcepts(keys),
      category,
      isReadOnly: rng.chance(0.06),
      configurationEnabled: !rng.chance(0.03),
      dataManagementEnabled: rng.chance(0.85),
      labelId,
      isPublic,
    };
  }
}

function lineNumberConcept(ctx: GenerationContext, rng: Rng): Concept {
  return concept(ctx, "LineNumber", "Real", ctx.labels.sys("Line number", rng), null);
}

function dedupeConcepts(list: Concept[]): Concept[] {
  const seen = new Set<string>();
  return list.filter((c) => {
    if (seen.has(c.name)) return false;
    seen.add(c.name);
    return true;
  });
}

export function makeProperty(
  c: Concept,
  rng: Rng,
  options: { key?: boolean; readOnlyEntity?: boolean } = {},
): PublicEntityPropertyJson {
  const isKey = options.key === true;
  const readOnly = options.readOnlyEntity === true;
  const allowEdit = isKey || readOnly ? false : rng.chance(0.88);
  return {
    Name: c.name,
    TypeName: typeNameOf(c),
    DataType: c.kind,
    LabelId: c.labelId,
    IsKey: isKey,
    IsMandatory: isKey || rng.chance(0.08),
    ConfigurationEnabled: isKey || rng.chance(0.97),
    AllowEdit: allowEdit,
    AllowEditOnCreate: readOnly ? false : isKey || allowEdit || rng.chance(0.3),
    IsDimension: false,
    DimensionRelation: null,
    IsDynamicDimension: false,
    DimensionLegalEntityProperty: null,
    DimensionTypeProperty: null,
  };
}

/** Financial-dimension properties of a company-specific entity (protocol §2.2 dimension fields). */
function dimensionProperties(ctx: GenerationContext, rng: Rng, readOnly: boolean, withLedger: boolean) {
  const out: PublicEntityPropertyJson[] = [];
  const defaultDim = fixedConcept(
    ctx,
    "DefaultDimensionDisplayValue",
    "String",
    "@SYS138487",
    "Financial dimensions",
  );
  out.push({
    ...makeProperty(defaultDim, rng, { readOnlyEntity: readOnly }),
    IsDimension: true,
    DimensionRelation: "DefaultDimension",
    IsDynamicDimension: true,
    DimensionLegalEntityProperty: "dataAreaId",
  });
  if (withLedger) {
    const accountType = fixedConcept(
      ctx,
      "AccountType",
      "Enum",
      "@SYS12149",
      "Account type",
      "LedgerJournalACType",
    );
    const ledgerDim = fixedConcept(ctx, "LedgerDimensionDisplayValue", "String", "@SYS24500", "Account");
    out.push(makeProperty(accountType, rng, { readOnlyEntity: readOnly }));
    out.push({
      ...makeProperty(ledgerDim, rng, { readOnlyEntity: readOnly }),
      IsDimension: true,
      DimensionRelation: "LedgerDimension",
      IsDynamicDimension: true,
      DimensionLegalEntityProperty: "dataAreaId",
      DimensionTypeProperty: "AccountType",
    });
  }
  return out;
}

/**
 * The properties of an entity: keys first, then foreign keys for its navigation targets,
 * dimensions on some, then concepts from the pool (a hot head and a uniform tail) up to `target`.
 */
export function buildProperties(
  ctx: GenerationContext,
  skel: EntitySkeleton,
  target: number,
  fkTargets: readonly PublicEntityJson[],
  rng: Rng,
  forced: readonly Concept[] = [],
): PublicEntityPropertyJson[] {
  const props: PublicEntityPropertyJson[] = [];
  const names = new Set<string>();
  const readOnlyEntity = skel.isReadOnly;
  for (const k of skel.keys) {
    props.push(makeProperty(k, rng, { key: true, readOnlyEntity }));
    names.add(k.name);
  }
  const addConcept = (c: Concept) => {
    if (names.has(c.name)) return;
    names.add(c.name);
    props.push(makeProperty(c, rng, { readOnlyEntity }));
  };
  for (const c of forced) addConcept(c);
  for (const t of fkTargets) {
    for (const p of t.Properties) {
      if (!p.IsKey || p.Name === "dataAreaId" || names.has(p.Name)) continue;
      const c = ctx.conceptsByName.get(p.Name);
      if (c) addConcept(c);
    }
  }
  if (skel.company && rng.chance(0.14)) {
    for (const p of dimensionProperties(ctx, rng, readOnlyEntity, rng.chance(0.4))) {
      if (names.has(p.Name)) continue;
      names.add(p.Name);
      props.push(p);
    }
  }
  const pool = ctx.concepts;
  let attempts = 0;
  while (props.length < target && attempts++ < target * 4) {
    const c = rng.chance(0.35) ? pool[rng.skewed(ctx.hotCount, 1.6)] : pool[rng.int(0, pool.length - 1)];
    addConcept(c);
  }
  return props;
}

function enumProperties(ctx: GenerationContext, entity: PublicEntityJson) {
  const out: { prop: PublicEntityPropertyJson; e: PublicEnumerationJson }[] = [];
  for (const p of entity.Properties) {
    if (p.DataType !== "Enum" || p.IsKey) continue;
    const e = ctx.enumsByName.get(p.TypeName.slice(DATA_ENTITIES_NAMESPACE.length + 1));
    if (e) out.push({ prop: p, e });
  }
  return out;
}

function uniqueMemberName(names: Set<string>, wanted: string): string {
  let name = wanted;
  for (let n = 2; names.has(name); n++) name = `${wanted}${n}`;
  return name;
}

/**
 * A Single navigation from `source` to `target` (source holds target's keys as foreign keys),
 * optionally with the Multiple reverse on `target`. Mutates both entities' navigation arrays.
 */
export function addNavigation(
  ctx: GenerationContext,
  source: PublicEntityJson,
  target: PublicEntityJson,
  rng: Rng,
  withReverse: boolean,
): void {
  const sourceNames = new Set(source.Properties.map((p) => p.Name));
  const referential: ConstraintJson[] = [];
  for (const k of target.Properties) {
    if (!k.IsKey || !sourceNames.has(k.Name)) continue;
    referential.push({
      "@odata.type": "#Microsoft.Dynamics.Metadata.ReferentialConstraint",
      Property: k.Name,
      ReferencedProperty: k.Name,
    });
  }
  if (referential.length === 0) return;
  const constraints = referential.slice();
  if (rng.chance(0.15)) {
    const candidates = enumProperties(ctx, source);
    if (candidates.length > 0) {
      const { prop, e } = rng.pick(candidates);
      const m = rng.pick(e.Members);
      constraints.push({
        "@odata.type": "#Microsoft.Dynamics.Metadata.FixedConstraint",
        Property: prop.Name,
        Value: m.Value,
        ValueStr: m.Name,
      });
    }
  }
  if (rng.chance(0.1)) {
    const candidates = enumProperties(ctx, target);
    if (candidates.length > 0) {
      const { prop, e } = rng.pick(candidates);
      const m = rng.pick(e.Members);
      constraints.push({
        "@odata.type": "#Microsoft.Dynamics.Metadata.RelatedFixedConstraint",
        RelatedProperty: prop.Name,
        Value: m.Value,
        ValueStr: m.Name,
      });
    }
  }
  const taken = new Set([...sourceNames, ...source.NavigationProperties.map((n) => n.Name)]);
  const forward: NavigationPropertyJson = {
    Name: uniqueMemberName(taken, target.Name),
    RelatedEntity: target.Name,
    RelatedRelationName: null,
    Cardinality: "Single",
    Constraints: constraints,
  };
  source.NavigationProperties.push(forward);
  if (!withReverse || source === target) return;
  const targetTaken = new Set([
    ...target.Properties.map((p) => p.Name),
    ...target.NavigationProperties.map((n) => n.Name),
  ]);
  const reverse: NavigationPropertyJson = {
    Name: uniqueMemberName(targetTaken, source.EntitySetName),
    RelatedEntity: source.Name,
    RelatedRelationName: forward.Name,
    Cardinality: "Multiple",
    Constraints: referential.map((c) => ({ ...c })),
  };
  forward.RelatedRelationName = reverse.Name;
  target.NavigationProperties.push(reverse);
}

export function addPropertyGroups(entity: PublicEntityJson, rng: Rng): void {
  if (!rng.chance(0.55) || entity.Properties.length < 2) return;
  const count = rng.int(1, 3);
  const groupNames = new Set<string>();
  while (groupNames.size < count) groupNames.add(rng.pick(GROUP_NAMES));
  for (const name of groupNames) {
    const size = Math.min(entity.Properties.length, rng.int(2, 8));
    const members = new Set<string>();
    if (name === "AutoIdentification") {
      for (const p of entity.Properties) if (p.IsKey) members.add(p.Name);
    }
    while (members.size < size) members.add(rng.pick(entity.Properties).Name);
    entity.PropertyGroups.push({ Name: name, Properties: [...members] });
  }
}

export function randomAction(
  ctx: GenerationContext,
  entity: PublicEntityJson,
  rng: Rng,
  taken: Set<string>,
): ActionJson {
  let name = rng.pick(ACTION_NAMES);
  name = uniqueMemberName(taken, name);
  taken.add(name);
  const enumNames = [...ctx.enumsByName.keys()];
  const parameterCount = rng.skewed(4, 1.5);
  const parameterNames = new Set<string>();
  while (parameterNames.size < parameterCount) parameterNames.add(rng.pick(PARAMETER_NAMES));
  const parameters = [...parameterNames].map((n) => ({
    Name: n,
    Type: {
      TypeName:
        n === "_lines"
          ? "Edm.String"
          : rng.chance(0.15)
            ? enumTypeName(rng.pick(enumNames))
            : rng.pick(["Edm.String", "Edm.Int32", "Edm.Decimal", "Edm.DateTimeOffset", "Edm.Int64"]),
      IsCollection: n === "_lines",
    },
  }));
  const r = rng.next();
  const returnType =
    r < 0.45
      ? null
      : r < 0.75
        ? { TypeName: "Edm.String", IsCollection: false }
        : r < 0.85
          ? { TypeName: "Edm.Int32", IsCollection: false }
          : r < 0.93
            ? { TypeName: "Edm.Boolean", IsCollection: false }
            : { TypeName: `${DATA_ENTITIES_NAMESPACE}.${entity.Name}`, IsCollection: true };
  return {
    Name: name,
    BindingKind: rng.chance(0.7) ? "BoundToEntityInstance" : "BoundToEntitySet",
    FieldLookup: null,
    Parameters: parameters,
    ReturnType: returnType,
  };
}

function versioningActions(name: string): ActionJson[] {
  const stringResult = (actionName: string, isCollection: boolean): ActionJson => ({
    Name: actionName,
    BindingKind: "BoundToEntitySet",
    FieldLookup: null,
    Parameters: [],
    ReturnType: { TypeName: "Edm.String", IsCollection: isCollection },
  });
  if (name === SYSTEM_NOTIFICATION) return [stringResult("GetInstalledModules", true)];
  if (name === DATA_MANAGEMENT_ENTITY) {
    return [
      stringResult("GetApplicationVersion", false),
      stringResult("GetApplicationBuildVersion", false),
      stringResult("GetPlatformBuildVersion", false),
    ];
  }
  return [];
}

export function dataEntityOf(skel: EntitySkeleton): DataEntityJson {
  return {
    Name: skel.dataEntityName,
    PublicEntityName: skel.name,
    PublicCollectionName: skel.collection,
    LabelId: skel.labelId,
    DataServiceEnabled: skel.isPublic,
    DataManagementEnabled: skel.dataManagementEnabled,
    EntityCategory: skel.category,
    IsReadOnly: skel.isReadOnly,
  };
}

export function emptyEntity(skel: EntitySkeleton, properties: PublicEntityPropertyJson[]): PublicEntityJson {
  return {
    Name: skel.name,
    EntitySetName: skel.collection,
    LabelId: skel.labelId,
    IsReadOnly: skel.isReadOnly,
    ConfigurationEnabled: skel.configurationEnabled,
    Properties: properties,
    NavigationProperties: [],
    PropertyGroups: [],
    Actions: versioningActions(skel.name),
  };
}

/** Property counts: a long tail (a few entities with 300+ in `large`), mean = properties / entities. */
function propertyTargets(size: PresetSize, count: number, rng: Rng): number[] {
  const raw: number[] = [];
  for (let i = 0; i < count; i++) {
    const x = rng.next();
    raw.push(
      x < 0.8
        ? 0.25 + rng.next() * 0.95
        : x < 0.97
          ? 1.2 + rng.next() * 2.3
          : x < 0.996
            ? 3.5 + rng.next() * 7
            : 11 + rng.next() * 3.5,
    );
  }
  const sum = raw.reduce((a, b) => a + b, 0);
  const scale = size.properties / sum;
  return raw.map((r) => Math.max(3, Math.round(r * scale)));
}

export function byName<T extends { Name: string }>(a: T, b: T): number {
  return a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0;
}

/** Label ids referenced anywhere in the release's metadata. */
export function referencedLabelIds(
  dataEntities: readonly DataEntityJson[],
  publicEntities: readonly PublicEntityJson[],
  enumerations: readonly PublicEnumerationJson[],
): Set<string> {
  const ids = new Set<string>();
  for (const d of dataEntities) if (d.LabelId) ids.add(d.LabelId);
  for (const e of publicEntities) {
    if (e.LabelId) ids.add(e.LabelId);
    for (const p of e.Properties) if (p.LabelId) ids.add(p.LabelId);
  }
  for (const e of enumerations) {
    if (e.LabelId) ids.add(e.LabelId);
    for (const m of e.Members) if (m.LabelId) ids.add(m.LabelId);
  }
  return ids;
}

export const MISSING_TRANSLATION_SHARE = 0.03;

export function normalizeLanguages(languages: readonly string[] | undefined): string[] {
  const list = ["en-us", ...(languages ?? ["en-US", "de-DE"]).map((l) => l.toLowerCase())];
  return [...new Set(list)];
}

/** Generates upgrade step 0 of a preset, with the context its upgrades continue from. */
export function generateBaseRelease(
  preset: PresetName,
  seed: number,
  languages: readonly string[],
): { release: EmulatorRelease; context: GenerationContext } {
  const size = PRESETS[preset];
  if (!size) throw new Error(`Unknown preset: ${String(preset)}`);
  const product = pickProductBuild(seed);
  const ctx: GenerationContext = {
    preset,
    size,
    seed,
    languages: normalizeLanguages(languages),
    labels: new LabelBook(FIXED_LABELS),
    concepts: [],
    conceptsByName: new Map(),
    hotCount: 0,
    enumsByName: new Map(),
    usedEntityNames: new Set(),
    usedDataEntityNames: new Set(),
    product,
    moduleTemplates: moduleTemplates(size.modules, Rng.derive(seed, "modules")),
    appRevision: product.appRevision,
    platformRevision: product.platformRevision,
    isvVersions: new Map(),
  };

  const enumerations = generateEnums(ctx, Rng.derive(seed, "enums"));

  const skelRng = Rng.derive(seed, "skeletons");
  const skeletons = specialSkeletons(ctx, skelRng);
  while (skeletons.length < size.publicEntities) skeletons.push(newSkeleton(ctx, skelRng, true));
  const hidden: EntitySkeleton[] = [];
  while (skeletons.length + hidden.length < size.dataEntities) hidden.push(newSkeleton(ctx, skelRng, false));

  // The pool fills the label budget that entities and enums left (reused and null ids add none).
  const budget = size.labelIds - ctx.labels.texts.size;
  generateConcepts(ctx, Rng.derive(seed, "concepts"), Math.max(60, Math.round(budget / 0.9)));

  // Navigation plan: targets are chosen before properties so foreign keys exist on the source.
  const navRng = Rng.derive(seed, "navigation");
  const versioning = new Set([SYSTEM_NOTIFICATION, DATA_MANAGEMENT_ENTITY]);
  const navPlan: number[][] = skeletons.map((s, i) => {
    if (versioning.has(s.name)) return [];
    if (s.name === "CustomerV3") return [1];
    const targets = new Set<number>();
    const n = navRng.chance(0.45) ? navRng.int(1, 3) : 0;
    for (let t = 0; t < n * 3 && targets.size < n; t++) {
      const j = navRng.int(0, skeletons.length - 1);
      if (j === i || versioning.has(skeletons[j].name)) continue;
      if (skeletons[j].company !== s.company && navRng.chance(0.8)) continue;
      targets.add(j);
    }
    return [...targets];
  });

  const propRng = Rng.derive(seed, "properties");
  const targets = propertyTargets(size, skeletons.length, propRng);
  const entities: PublicEntityJson[] = [];
  const accountStatement = fixedConcept(
    ctx,
    "AccountStatement",
    "Enum",
    "@SYS14680",
    "Account statement",
    "CustAccountStatement",
  );
  // CustomerV3 carries one property of every DataType, so even `tiny` exercises each of them.
  const everyDataType = [
    fixedConcept(ctx, "InvoiceCopyCount", "Int32", "@SYS23456", "Number of invoice copies"),
    fixedConcept(ctx, "PartyRecId", "Int64", "@SYS80991", "Party record ID"),
    fixedConcept(ctx, "CreditLimit", "Real", "@SYS11778", "Credit limit"),
    fixedConcept(ctx, "LastInvoiceDate", "Date", "@SYS3247", "Last invoice date"),
    fixedConcept(ctx, "LastContactDateTime", "UtcDateTime", "@SYS328190", "Last contact date and time"),
    fixedConcept(ctx, "PreferredDeliveryTime", "Time", "@SYS75129", "Preferred delivery time"),
    fixedConcept(ctx, "ElectronicInvoiceGuid", "Guid", "@SYS345612", "Electronic invoice GUID"),
    fixedConcept(ctx, "CustomerImage", "Container", "@SYS93741", "Image"),
    fixedConcept(ctx, "AddressBuffer", "Record", "@SYS9362", "Address record"),
    fixedConcept(ctx, "IsPublicSector_IT", "Enum", "@SYS4003519", "Public sector (Italy)", "NoYes"),
    fixedConcept(ctx, "EUTrade_W", "Enum", "@SYS4082", "EU trade", "NoYes"),
  ];
  for (let i = 0; i < skeletons.length; i++) {
    const s = skeletons[i];
    // Foreign keys need only the targets' key names: a key-only stand-in is enough here.
    const fkTargets = navPlan[i].map((j) => keyOnlyEntity(skeletons[j]));
    const forced = s.name === "CustomerV3" ? [accountStatement, ...everyDataType] : [];
    const average = size.properties / size.publicEntities;
    const target = versioning.has(s.name)
      ? s.keys.length + 2
      : s.name === "CustomerV3"
        ? Math.max(targets[i], Math.round(average * 4))
        : targets[i];
    entities.push(emptyEntity(s, buildProperties(ctx, s, target, fkTargets, propRng, forced)));
  }
  for (let i = 0; i < entities.length; i++) {
    for (const j of navPlan[i]) addNavigation(ctx, entities[i], entities[j], navRng, navRng.chance(0.4));
  }

  const extrasRng = Rng.derive(seed, "groups-actions");
  for (const e of entities) addPropertyGroups(e, extrasRng);
  let actions = 0;
  while (actions < size.boundActions) {
    const e = entities[extrasRng.int(0, entities.length - 1)];
    if (versioning.has(e.Name)) continue;
    const taken = new Set(e.Actions.map((a) => a.Name));
    const n = Math.min(size.boundActions - actions, extrasRng.int(1, 3));
    for (let k = 0; k < n; k++) e.Actions.push(randomAction(ctx, e, extrasRng, taken));
    actions += n;
  }

  const dataEntities = [...skeletons, ...hidden].map(dataEntityOf).sort(byName);
  entities.sort(byName);
  enumerations.sort(byName);
  const release = assembleRelease(ctx, 0, dataEntities, entities, enumerations);
  return { release, context: ctx };
}

function keyOnlyEntity(s: EntitySkeleton): PublicEntityJson {
  return emptyEntity(
    s,
    s.keys.map((k) => ({ Name: k.name, IsKey: true }) as PublicEntityPropertyJson),
  );
}

export function releaseId(ctx: GenerationContext, step: number): string {
  return step === 0 ? ctx.product.productVersion : `${ctx.product.productVersion}+u${step}`;
}

export function assembleRelease(
  ctx: GenerationContext,
  step: number,
  dataEntities: DataEntityJson[],
  publicEntities: PublicEntityJson[],
  enumerations: PublicEnumerationJson[],
  previous?: EmulatorRelease,
): EmulatorRelease {
  const applicationBuildVersion = `${ctx.product.appBuild}.${ctx.appRevision}`;
  const platformBuildVersion = `${ctx.product.platformBuild}.${ctx.platformRevision}`;
  const referenced = referencedLabelIds(dataEntities, publicEntities, enumerations);
  return {
    id: releaseId(ctx, step),
    preset: ctx.preset,
    seed: ctx.seed,
    upgradeStep: step,
    productVersion: ctx.product.productVersion,
    applicationVersion: ctx.product.productVersion,
    applicationBuildVersion,
    platformBuildVersion,
    modules: instantiateModules(
      ctx.moduleTemplates,
      { applicationBuildVersion, platformBuildVersion },
      ctx.isvVersions,
    ),
    dataEntities,
    publicEntities,
    enumerations,
    labels: buildLabelMaps(
      ctx.labels.texts,
      referenced,
      ctx.languages,
      MISSING_TRANSLATION_SHARE,
      previous?.labels,
    ),
  };
}
