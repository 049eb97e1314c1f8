/**
 * Differences between two environments' metadata: their module sets and their public entities.
 * Pure functions over already-loaded data; the facade decides what to load (only entities whose
 * content hash differs).
 */
import type { PublicEntity } from "../metadata/models.js";
import type { ModuleVersionInfo, ModuleVersionInfoJson } from "../version/models.js";
import type { EntityChange, ModuleChange, PropertyChange } from "./types.js";

/**
 * Orders dotted versions numerically (`10.0.9` < `10.0.10`); non-numeric parts compare as text.
 * Returns negative, 0 or positive.
 */
export function compareDottedVersions(a: string, b: string): number {
  const pa = a.split(".");
  const pb = b.split(".");
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? "0";
    const y = pb[i] ?? "0";
    const nx = /^\d+$/.test(x) ? Number(x) : Number.NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : Number.NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) {
      if (nx !== ny) return nx - ny;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

export interface ModuleDiff {
  added: ModuleVersionInfoJson[];
  removed: ModuleVersionInfoJson[];
  changed: ModuleChange[];
  unchangedCount: number;
}

type ModuleLike = Pick<ModuleVersionInfo, "moduleId" | "name" | "version" | "publisher" | "displayName">;
type VersionLike = { modules: readonly ModuleLike[] };

/**
 * A module line is identified by module id AND model name: one module ships several models
 * (`ApplicationSuite` has the models `ApplicationSuite` and `Foundation`), each its own line.
 * (`compareVersions` of src/version keys by module id only and would fold such models together.)
 */
const lineKey = (m: ModuleLike) => `${m.moduleId}\u0000${m.name}`;

function toJson(m: ModuleLike): ModuleVersionInfoJson {
  return {
    name: m.name,
    version: m.version,
    moduleId: m.moduleId,
    publisher: m.publisher,
    displayName: m.displayName,
  };
}

/** Module lines of `b` relative to `a`, with the direction of each version change; sorted by module id, then name. */
export function diffModules(a: VersionLike, b: VersionLike): ModuleDiff {
  const before = new Map(a.modules.map((m) => [lineKey(m), m]));
  const after = new Map(b.modules.map((m) => [lineKey(m), m]));
  const diff: ModuleDiff = { added: [], removed: [], changed: [], unchangedCount: 0 };
  for (const [key, next] of after) {
    const previous = before.get(key);
    if (!previous) diff.added.push(toJson(next));
    else if (previous.version === next.version) diff.unchangedCount++;
    else {
      const order = compareDottedVersions(previous.version, next.version);
      diff.changed.push({
        moduleId: next.moduleId,
        name: next.name,
        fromVersion: previous.version,
        toVersion: next.version,
        direction: order < 0 ? "upgrade" : order > 0 ? "downgrade" : "changed",
      });
    }
  }
  for (const [key, previous] of before) if (!after.has(key)) diff.removed.push(toJson(previous));
  const order = (x: { moduleId: string; name: string }, y: { moduleId: string; name: string }) =>
    x.moduleId < y.moduleId
      ? -1
      : x.moduleId > y.moduleId
        ? 1
        : x.name < y.name
          ? -1
          : x.name > y.name
            ? 1
            : 0;
  diff.added.sort(order);
  diff.removed.sort(order);
  diff.changed.sort(order);
  return diff;
}

/** Names in `b` not in `a`, and in `a` not in `b` (sorted). */
export function diffNames(
  a: Iterable<string>,
  b: Iterable<string>,
): { added: string[]; removed: string[]; common: string[] } {
  const setA = new Set(a);
  const setB = new Set(b);
  const added = [...setB].filter((n) => !setA.has(n)).sort();
  const removed = [...setA].filter((n) => !setB.has(n)).sort();
  const common = [...setA].filter((n) => setB.has(n)).sort();
  return { added, removed, common };
}

function changedFields<T extends object>(a: T, b: T, skip: ReadonlySet<string> = new Set()): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const fields: string[] = [];
  for (const key of keys) {
    if (skip.has(key)) continue;
    const va = (a as Record<string, unknown>)[key];
    const vb = (b as Record<string, unknown>)[key];
    if (JSON.stringify(va) !== JSON.stringify(vb)) fields.push(key);
  }
  return fields.sort();
}

const ENTITY_MEMBER_FIELDS = new Set(["properties", "navigationProperties", "propertyGroups", "actions"]);

/** What changed in one public entity from `a` to `b`. */
export function diffPublicEntity(a: PublicEntity, b: PublicEntity): EntityChange {
  const propsA = new Map(a.properties.map((p) => [p.name, p]));
  const propsB = new Map(b.properties.map((p) => [p.name, p]));
  const props = diffNames(propsA.keys(), propsB.keys());
  const propertiesChanged: PropertyChange[] = [];
  for (const name of props.common) {
    const fields = changedFields(propsA.get(name)!, propsB.get(name)!);
    if (fields.length > 0) propertiesChanged.push({ name, fields });
  }
  const nav = diffNames(
    a.navigationProperties.map((n) => n.name),
    b.navigationProperties.map((n) => n.name),
  );
  const actions = diffNames(
    a.actions.map((x) => x.name),
    b.actions.map((x) => x.name),
  );
  const fieldsChanged = changedFields(a, b, ENTITY_MEMBER_FIELDS);
  const navA = new Map(a.navigationProperties.map((n) => [n.name, n]));
  const navChanged = b.navigationProperties.some(
    (n) => navA.has(n.name) && JSON.stringify(navA.get(n.name)) !== JSON.stringify(n),
  );
  if (navChanged) fieldsChanged.push("navigationProperties");
  if (JSON.stringify(a.propertyGroups) !== JSON.stringify(b.propertyGroups))
    fieldsChanged.push("propertyGroups");
  const actA = new Map(a.actions.map((x) => [x.name, x]));
  if (b.actions.some((x) => actA.has(x.name) && JSON.stringify(actA.get(x.name)) !== JSON.stringify(x))) {
    fieldsChanged.push("actions");
  }
  return {
    name: b.name,
    propertiesAdded: props.added,
    propertiesRemoved: props.removed,
    propertiesChanged,
    navigationPropertiesAdded: nav.added,
    navigationPropertiesRemoved: nav.removed,
    actionsAdded: actions.added,
    actionsRemoved: actions.removed,
    fieldsChanged,
  };
}
