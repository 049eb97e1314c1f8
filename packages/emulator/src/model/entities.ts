/**
 * Entities: skeletons with D365-style names and keys, their data-entity rows, and their
 * properties (keys, foreign keys, dimensions, then concepts from the pool).
 */
import type { ActionJson, DataEntityJson, PublicEntityJson, PublicEntityPropertyJson } from "d365fo-client";
import { dataAreaIdConcept, keyConcept } from "./concepts.js";
import {
  type Concept,
  concept,
  DATA_MANAGEMENT_ENTITY,
  type EntitySkeleton,
  fixedConcept,
  type GenerationContext,
  SYSTEM_NOTIFICATION,
  typeNameOf,
} from "./context.js";
import { cumulativeOf, type Rng } from "./prng.js";
import { labelTextFromName, pluralize } from "./text.js";
import type { PresetSize } from "./types.js";
import { DOMAINS, type Domain, ENTITY_NOUNS, ENTITY_SUFFIXES } from "./words.js";

const CATEGORY_NAMES = ["Master", "Reference", "Document", "Transaction", "Parameters", "Configuration"];
const CATEGORY_CUMULATIVE = cumulativeOf([57, 18, 12, 9, 3, 0.6]);

export function specialSkeletons(ctx: GenerationContext, rng: Rng): EntitySkeleton[] {
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
export function propertyTargets(size: PresetSize, count: number, rng: Rng): number[] {
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
