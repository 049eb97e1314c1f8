/**
 * Upgrade step n → n+1: a quality update. App and platform builds move on, a few ISVs bump, and
 * 3–5 % of the metadata changes (entities added and removed, properties added, removed and
 * retyped, label texts, enum members). Everything else is the SAME object as in step n, so two
 * steps served side by side cost little more memory than one.
 */
import type {
  DataEntityJson,
  PublicEntityJson,
  PublicEntityPropertyJson,
  PublicEnumerationJson,
} from "d365fo-client";
import { randomConcept } from "./concepts.js";
import {
  type Concept,
  DATA_MANAGEMENT_ENTITY,
  EDM_TYPE_BY_DATA_TYPE,
  enumTypeName,
  type GenerationContext,
  SYSTEM_NOTIFICATION,
} from "./context.js";
import { buildProperties, dataEntityOf, emptyEntity, makeProperty, newSkeleton } from "./entities.js";
import { assembleRelease, byName, referencedLabelIds } from "./generate.js";
import { bumpIsvVersion } from "./modules.js";
import { Rng } from "./prng.js";
import { addNavigation, addPropertyGroups } from "./relations.js";
import { labelTextFromName } from "./text.js";
import type { EmulatorRelease, PropertyRef, UpgradeChangeLog } from "./types.js";
import { MEMBER_WORDS } from "./words.js";

/** Entities an upgrade never removes: the real samples and the versioning entities. */
const PROTECTED = new Set([
  "CustomerV3",
  "CustomerGroup",
  "TaxDirection",
  SYSTEM_NOTIFICATION,
  DATA_MANAGEMENT_ENTITY,
]);

/** Shares of public entities touched per step; with navigation clean-ups they total 3–5 %. */
export const UPGRADE_SHARES = { removed: 0.004, added: 0.006, modified: 0.024, labels: 0.01, enums: 0.02 };

const LABEL_EDITS = ["ID", "details", "value", "reference", "(obsolete)", "code", "type"];

export function upgradeRelease(ctx: GenerationContext, previous: EmulatorRelease): EmulatorRelease {
  const step = previous.upgradeStep + 1;
  const rng = Rng.derive(ctx.seed, `upgrade-${step}`);
  const log: UpgradeChangeLog = {
    fromStep: previous.upgradeStep,
    toStep: step,
    fromReleaseId: previous.id,
    toReleaseId: "",
    modulesChanged: [],
    entitiesAdded: [],
    entitiesRemoved: [],
    entitiesModified: [],
    dataEntitiesAdded: [],
    dataEntitiesRemoved: [],
    propertiesAdded: [],
    propertiesRemoved: [],
    propertiesRetyped: [],
    labelsChanged: [],
    labelsAdded: [],
    enumMembersAdded: [],
  };

  // Builds: the quality update's revisions, and a couple of ISV releases.
  ctx.appRevision += rng.int(8, 40);
  ctx.platformRevision += rng.int(5, 30);
  const isvs = ctx.moduleTemplates.filter((t) => t.kind === "isv");
  for (const t of rng.shuffled(isvs).slice(0, Math.min(isvs.length, rng.int(1, 2)))) {
    ctx.isvVersions.set(t.name, bumpIsvVersion(ctx.isvVersions.get(t.name) ?? (t.version as string), rng));
  }

  const n = previous.publicEntities.length;
  const count = (share: number) => Math.max(1, Math.round(n * share));
  const replaced = new Map<string, PublicEntityJson>();
  const current = (e: PublicEntityJson) => replaced.get(e.Name) ?? e;

  // Removed entities, and every navigation that pointed at them.
  const removable = previous.publicEntities.filter((e) => !PROTECTED.has(e.Name));
  const removed = new Set(
    rng
      .shuffled(removable)
      .slice(0, count(UPGRADE_SHARES.removed))
      .map((e) => e.Name),
  );
  for (const e of previous.publicEntities) {
    if (removed.has(e.Name)) continue;
    if (!e.NavigationProperties.some((nav) => removed.has(nav.RelatedEntity))) continue;
    replaced.set(e.Name, {
      ...e,
      NavigationProperties: e.NavigationProperties.filter((nav) => !removed.has(nav.RelatedEntity)),
    });
  }
  log.entitiesRemoved = [...removed].sort();

  // Property changes on entities that stay; constrained and dimension-linked properties are left
  // alone so that navigation constraints keep pointing at existing properties.
  const pinned = pinnedProperties(previous.publicEntities);
  const enumNames = [...ctx.enumsByName.keys()];
  const candidates = rng.shuffled(
    previous.publicEntities.filter((e) => !removed.has(e.Name) && !PROTECTED.has(e.Name)),
  );
  let modified = 0;
  for (const original of candidates) {
    if (modified >= count(UPGRADE_SHARES.modified)) break;
    const e = current(original);
    const next = modifyProperties(ctx, e, pinned, enumNames, rng, log);
    if (next !== e) {
      replaced.set(e.Name, next);
      modified++;
    }
  }

  // Label texts reworded (the ids stay; only the label maps change).
  const referenced = [
    ...referencedLabelIds(previous.dataEntities, previous.publicEntities, previous.enumerations),
  ];
  const labelEdits = Math.max(1, Math.round(referenced.length * UPGRADE_SHARES.labels));
  const changedLabels = new Set<string>();
  for (let i = 0; i < labelEdits * 3 && changedLabels.size < labelEdits; i++) {
    const id = rng.pick(referenced);
    if (changedLabels.has(id)) continue;
    const text = ctx.labels.texts.get(id) as string;
    ctx.labels.changeText(id, `${text} ${rng.pick(LABEL_EDITS)}`);
    changedLabels.add(id);
  }
  log.labelsChanged = [...changedLabels].sort();

  // Enum members added (new members go at the end with the next value, as extensions do).
  const enumReplaced = new Map<string, PublicEnumerationJson>();
  for (const e of rng
    .shuffled(previous.enumerations)
    .slice(0, Math.max(1, Math.round(previous.enumerations.length * UPGRADE_SHARES.enums)))) {
    const names = new Set(e.Members.map((m) => m.Name));
    let word = rng.pick(MEMBER_WORDS);
    for (let k = 2; names.has(word); k++) word = `${rng.pick(MEMBER_WORDS)}${k}`;
    const value = Math.max(...e.Members.map((m) => m.Value)) + 1;
    const labelId = ctx.labels.sys(labelTextFromName(word), rng);
    const next: PublicEnumerationJson = {
      ...e,
      Members: [...e.Members, { Name: word, LabelId: labelId, Value: value, ConfigurationEnabled: true }],
    };
    enumReplaced.set(e.Name, next);
    ctx.enumsByName.set(e.Name, next);
    log.enumMembersAdded.push({ enumeration: e.Name, member: word, value });
  }

  // New entities, each with a Single navigation to an existing one (no reverse: the target stays untouched).
  const survivors = previous.publicEntities.filter((e) => !removed.has(e.Name)).map(current);
  const navTargets = survivors.filter(
    (e) => e.Name !== SYSTEM_NOTIFICATION && e.Name !== DATA_MANAGEMENT_ENTITY,
  );
  const added: PublicEntityJson[] = [];
  const addedData: DataEntityJson[] = [];
  const average = ctx.size.properties / ctx.size.publicEntities;
  for (let i = 0; i < count(UPGRADE_SHARES.added); i++) {
    const skel = newSkeleton(ctx, rng, true);
    const target = rng.chance(0.7) ? rng.pick(navTargets) : null;
    const props = buildProperties(
      ctx,
      skel,
      Math.max(4, Math.round(average * (0.4 + rng.next()))),
      target ? [target] : [],
      rng,
    );
    const entity = emptyEntity(skel, props);
    if (target) addNavigation(ctx, entity, target, rng, false);
    addPropertyGroups(entity, rng);
    added.push(entity);
    addedData.push(dataEntityOf(skel));
  }
  log.entitiesAdded = added.map((e) => e.Name).sort();
  log.dataEntitiesAdded = addedData.map((d) => d.Name).sort();

  const publicEntities = [...survivors, ...added].sort(byName);
  const dataEntities = [
    ...previous.dataEntities.filter((d) => {
      const gone = d.DataServiceEnabled && d.PublicEntityName !== null && removed.has(d.PublicEntityName);
      if (gone) log.dataEntitiesRemoved.push(d.Name);
      return !gone;
    }),
    ...addedData,
  ].sort(byName);
  log.dataEntitiesRemoved.sort();
  const enumerations = previous.enumerations.map((e) => enumReplaced.get(e.Name) ?? e);
  log.entitiesModified = [...replaced.keys()].sort();

  const release = assembleRelease(ctx, step, dataEntities, publicEntities, enumerations, previous);
  log.toReleaseId = release.id;
  const before = new Map(previous.modules.map((m) => [`${m.name}|${m.moduleId}`, m.version]));
  for (const m of release.modules) {
    const from = before.get(`${m.name}|${m.moduleId}`);
    if (from !== undefined && from !== m.version) {
      log.modulesChanged.push({ name: m.name, moduleId: m.moduleId, from, to: m.version });
    }
  }
  const englishBefore = previous.labels.get("en-us");
  const english = release.labels.get("en-us");
  log.labelsAdded = [...(english?.keys() ?? [])].filter((id) => !englishBefore?.has(id)).sort();
  release.changeLog = log;
  return release;
}

/** `Entity.Property` pairs named by navigation constraints or dimension links anywhere. */
function pinnedProperties(entities: readonly PublicEntityJson[]): Set<string> {
  const pinned = new Set<string>();
  for (const e of entities) {
    for (const p of e.Properties) {
      if (p.IsDimension) pinned.add(`${e.Name}.${p.Name}`);
      if (p.DimensionTypeProperty) pinned.add(`${e.Name}.${p.DimensionTypeProperty}`);
    }
    for (const nav of e.NavigationProperties) {
      for (const c of nav.Constraints) {
        if ("ReferencedProperty" in c) {
          pinned.add(`${e.Name}.${c.Property}`);
          pinned.add(`${nav.RelatedEntity}.${c.ReferencedProperty}`);
        } else if ("RelatedProperty" in c) {
          pinned.add(`${nav.RelatedEntity}.${c.RelatedProperty}`);
        } else {
          pinned.add(`${e.Name}.${c.Property}`);
        }
      }
    }
  }
  return pinned;
}

/** Type changes a quality update makes: widening integers, Guid fields turned into strings, enum swaps. */
const RETYPES: Readonly<Record<string, string>> = { Int32: "Int64", Guid: "String", Enum: "Enum" };

function modifyProperties(
  ctx: GenerationContext,
  e: PublicEntityJson,
  pinned: ReadonlySet<string>,
  enumNames: readonly string[],
  rng: Rng,
  log: UpgradeChangeLog,
): PublicEntityJson {
  const free = e.Properties.filter((p) => !p.IsKey && !pinned.has(`${e.Name}.${p.Name}`));
  const kind = rng.next();
  const ref = (p: PublicEntityPropertyJson): PropertyRef => ({ entity: e.Name, property: p.Name });
  if (kind < 0.45) {
    // Added properties: often a brand-new field (new label), sometimes an existing concept.
    // Member names are unique across properties and navigation properties (one CSDL namespace per type).
    const names = new Set([...e.Properties.map((p) => p.Name), ...e.NavigationProperties.map((n) => n.Name)]);
    const extra: PublicEntityPropertyJson[] = [];
    const wanted = rng.int(1, 3);
    for (let i = 0; i < wanted * 4 && extra.length < wanted; i++) {
      const c: Concept | null = rng.chance(0.5)
        ? randomConcept(ctx, rng, enumNames, ctx.concepts)
        : rng.pick(ctx.concepts);
      if (!c || names.has(c.name)) continue;
      names.add(c.name);
      extra.push(makeProperty(c, rng, { readOnlyEntity: e.IsReadOnly }));
    }
    if (extra.length === 0) return e;
    for (const p of extra) log.propertiesAdded.push(ref(p));
    return { ...e, Properties: [...e.Properties, ...extra] };
  }
  if (kind < 0.75) {
    if (free.length < 2) return e;
    const gone = new Set(
      rng
        .shuffled(free)
        .slice(0, rng.int(1, 2))
        .map((p) => p.Name),
    );
    for (const name of gone) log.propertiesRemoved.push({ entity: e.Name, property: name });
    return {
      ...e,
      Properties: e.Properties.filter((p) => !gone.has(p.Name)),
      PropertyGroups: e.PropertyGroups.map((g) =>
        g.Properties.some((name) => gone.has(name))
          ? { ...g, Properties: g.Properties.filter((name) => !gone.has(name)) }
          : g,
      ).filter((g) => g.Properties.length > 0),
    };
  }
  const retypable = free.filter((p) => p.DataType in RETYPES && !p.TypeName.endsWith(".NoYes"));
  if (retypable.length === 0) return e;
  const p = rng.pick(retypable);
  let next: PublicEntityPropertyJson;
  if (p.DataType === "Enum") {
    const other = rng.pick(enumNames);
    if (enumTypeName(other) === p.TypeName) return e;
    next = { ...p, TypeName: enumTypeName(other) };
  } else {
    const dataType = RETYPES[p.DataType];
    next = { ...p, DataType: dataType, TypeName: EDM_TYPE_BY_DATA_TYPE[dataType] };
  }
  if (next.TypeName === p.TypeName && next.DataType === p.DataType) return e;
  log.propertiesRetyped.push({ ...ref(p), fromTypeName: p.TypeName, toTypeName: next.TypeName });
  return { ...e, Properties: e.Properties.map((q) => (q === p ? next : q)) };
}
