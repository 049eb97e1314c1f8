/**
 * Generates a base release (upgrade step 0) of a preset: enums, data entities, public entities
 * with properties, navigation, property groups and actions, labels and modules. Everything is a
 * pure function of (preset, seed, languages). The stages live in their own modules: enums,
 * concepts (property meanings), entities (skeletons and properties), relations (navigation,
 * groups, actions); upgrade.ts continues a release from the context returned here.
 */
import type {
  DataEntityJson,
  PublicEntityJson,
  PublicEntityPropertyJson,
  PublicEnumerationJson,
} from "d365fo-client";
import { generateConcepts } from "./concepts.js";
import {
  DATA_MANAGEMENT_ENTITY,
  type EntitySkeleton,
  FIXED_LABELS,
  fixedConcept,
  type GenerationContext,
  SYSTEM_NOTIFICATION,
} from "./context.js";
import {
  buildProperties,
  dataEntityOf,
  emptyEntity,
  newSkeleton,
  propertyTargets,
  specialSkeletons,
} from "./entities.js";
import { generateEnums } from "./enums.js";
import { buildLabelMaps, LabelBook } from "./labels.js";
import { instantiateModules, moduleTemplates, pickProductBuild } from "./modules.js";
import { PRESETS } from "./presets.js";
import { Rng } from "./prng.js";
import { addNavigation, addPropertyGroups, randomAction } from "./relations.js";
import type { EmulatorRelease, PresetName } from "./types.js";

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
