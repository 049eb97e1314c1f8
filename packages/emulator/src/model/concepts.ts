/**
 * The concept pool: property meanings (name, type, label id) that entities draw their properties
 * from, so the same field carries the same label everywhere, as in a real release.
 */
import { type Concept, concept, fixedConcept, type GenerationContext } from "./context.js";
import { cumulativeOf, type Rng } from "./prng.js";
import { labelTextFromName } from "./text.js";
import {
  COUNTRY_SUFFIXES,
  DOMAINS,
  type Domain,
  FLAG_PREFIXES,
  type HeadKind,
  HOT_PROPERTIES,
  PROPERTY_HEADS,
  PROPERTY_NOUNS,
  PROPERTY_QUALIFIERS,
} from "./words.js";

const HEAD_CUMULATIVE = cumulativeOf(PROPERTY_HEADS.map((h) => h.weight));
const KEY_HEADS = ["Id", "Number", "Code", "Name", "Account"];

/** A key concept for an entity's main key (shared by entities of the same domain and noun). */
export function keyConcept(ctx: GenerationContext, domain: Domain, noun: string, rng: Rng): Concept {
  const name = `${domain.word}${noun}${KEY_HEADS[rng.skewed(KEY_HEADS.length, 1.5)]}`;
  const existing = ctx.conceptsByName.get(name);
  if (existing) return existing;
  const text = labelTextFromName(name);
  const labelId = rng.chance(0.7) ? ctx.labels.file(domain.labelFile, name, text) : ctx.labels.sys(text, rng);
  return concept(ctx, name, "String", labelId, null);
}

export function dataAreaIdConcept(ctx: GenerationContext): Concept {
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

export function generateConcepts(ctx: GenerationContext, rng: Rng, count: number): void {
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
