/**
 * Pure repairs of what the Python tool stored (python-cache-formats.md, "Defects to repair"):
 * - defect 1: every FixedConstraint stored twice → identical fixed constraints of one navigation
 *   property are kept once;
 * - defect 3: label texts only in `labels_cache` → each label id the metadata references gets its
 *   text from there (case-insensitively, under the spelling the metadata uses, as a sync would
 *   store it); texts nothing references are left out, ids without text are reported;
 * - defect 2: module lines with ` | ` in a field were dropped by the strict five-part split →
 *   `isRejectedByPythonSplit` tells which live lines the Python tool could not have stored.
 */
import type { Label, NavigationProperty, PublicEntity, RelationConstraint } from "../metadata/models.js";
import type { PythonVersionContent } from "./types.js";

export interface RepairReport {
  /** Fixed-constraint rows dropped because an identical one preceded them on the same navigation property. */
  duplicateFixedConstraintsRemoved: number;
  /** Label texts carried over (referenced ids with a stored text, per language). */
  labelsResolved: number;
  /** Referenced label ids with no stored text in the import language: fetched on demand later. */
  labelsMissing: number;
  /** Stored label texts no imported definition references (not imported). */
  labelsUnreferenced: number;
}

export interface RepairedContent extends PythonVersionContent {
  report: RepairReport;
}

function constraintKey(c: RelationConstraint): string | null {
  return c.kind === "Fixed" ? JSON.stringify([c.property, c.value, c.valueStr]) : null;
}

function dedupeNavigation(nav: NavigationProperty): { nav: NavigationProperty; removed: number } {
  const seen = new Set<string>();
  const kept: RelationConstraint[] = [];
  for (const c of nav.constraints) {
    const key = constraintKey(c);
    if (key !== null) {
      if (seen.has(key)) continue;
      seen.add(key);
    }
    kept.push(c);
  }
  const removed = nav.constraints.length - kept.length;
  return { nav: removed === 0 ? nav : { ...nav, constraints: kept }, removed };
}

export function dedupeFixedConstraints(entities: readonly PublicEntity[]): {
  entities: PublicEntity[];
  removed: number;
} {
  let removed = 0;
  const out = entities.map((entity) => {
    let changed = false;
    const navigationProperties = entity.navigationProperties.map((n) => {
      const r = dedupeNavigation(n);
      removed += r.removed;
      if (r.removed > 0) changed = true;
      return r.nav;
    });
    return changed ? { ...entity, navigationProperties } : entity;
  });
  return { entities: out, removed };
}

/** Adds every label id the given metadata references, in the spellings it uses (the set a sync fetches). */
export function collectLabelIds(
  ids: Set<string>,
  content: Partial<Omit<PythonVersionContent, "labels">>,
): Set<string> {
  const add = (id: string | null) => {
    if (id) ids.add(id);
  };
  for (const d of content.dataEntities ?? []) add(d.labelId);
  for (const p of content.publicEntities ?? []) {
    add(p.labelId);
    for (const prop of p.properties) add(prop.labelId);
  }
  for (const e of content.enumerations ?? []) {
    add(e.labelId);
    for (const m of e.members) add(m.labelId);
  }
  return ids;
}

export function referencedLabelIds(content: Omit<PythonVersionContent, "labels">): string[] {
  return [...collectLabelIds(new Set(), content)];
}

export function resolveLabels(
  content: PythonVersionContent,
  language = "en-US",
): { labels: Label[]; missing: string[]; unreferenced: number } {
  return resolveLabelTexts(referencedLabelIds(content), content.labels, language);
}

/** The stored texts of the referenced ids (see the file comment), the ids without one, and the texts left out. */
export function resolveLabelTexts(
  referenced: Iterable<string>,
  storedLabels: readonly Label[],
  language = "en-US",
): { labels: Label[]; missing: string[]; unreferenced: number } {
  // lower-cased id → language (lower-cased) → text; the first stored spelling wins.
  const stored = new Map<string, Map<string, Label>>();
  for (const label of storedLabels) {
    const key = label.id.toLowerCase();
    const byLanguage = stored.get(key) ?? new Map<string, Label>();
    if (!byLanguage.has(label.language.toLowerCase())) byLanguage.set(label.language.toLowerCase(), label);
    stored.set(key, byLanguage);
  }
  const labels: Label[] = [];
  const missing: string[] = [];
  const used = new Set<string>();
  const wanted = language.toLowerCase();
  for (const id of referenced) {
    const key = id.toLowerCase();
    const byLanguage = stored.get(key);
    if (!byLanguage?.has(wanted)) missing.push(id);
    if (!byLanguage) continue;
    used.add(key);
    for (const label of byLanguage.values())
      labels.push({ id, language: label.language, value: label.value });
  }
  let unreferenced = 0;
  for (const [key, byLanguage] of stored) if (!used.has(key)) unreferenced += byLanguage.size;
  return { labels, missing, unreferenced };
}

/** Applies every content repair; the report says what each changed. */
export function repairContent(content: PythonVersionContent, language = "en-US"): RepairedContent {
  const { entities, removed } = dedupeFixedConstraints(content.publicEntities);
  const repaired = { ...content, publicEntities: entities };
  const { labels, missing, unreferenced } = resolveLabels(repaired, language);
  return {
    ...repaired,
    labels,
    report: {
      duplicateFixedConstraintsRemoved: removed,
      labelsResolved: labels.length,
      labelsMissing: missing.length,
      labelsUnreferenced: unreferenced,
    },
  };
}

/**
 * The Python tool's `parse_from_string`: `line.split(" | ")` must give exactly five parts, so a
 * line with ` | ` inside any value (in practice a DisplayName) was dropped from its module list.
 */
export function isRejectedByPythonSplit(line: string): boolean {
  return line.split(" | ").length !== 5;
}
