/** Pure comparison of two environment versions by module id. */
import type { EnvironmentVersionInfo, ModuleVersionInfoJson } from "./models.js";

export interface UpdatedModule {
  moduleId: string;
  oldVersion: string;
  newVersion: string;
}

export interface VersionComparison {
  /** Same module set (full SHA-256 over every module). */
  identical: boolean;
  /** Same 16-character version hash (equal whenever `identical`; a mismatch between the two means a prefix collision). */
  hashMatch: boolean;
  /** `b.modules.length - a.modules.length`. */
  moduleCountDiff: number;
  addedModules: ModuleVersionInfoJson[];
  removedModules: ModuleVersionInfoJson[];
  updatedModules: UpdatedModule[];
  /** Module ids present in both with the same version. */
  identicalModules: string[];
}

type Comparable = Pick<EnvironmentVersionInfo, "modules" | "modulesHash" | "versionHash">;

/** What changed from `a` to `b`; lists are sorted by module id so results are stable. */
export function compareVersions(a: Comparable, b: Comparable): VersionComparison {
  const before = new Map(a.modules.map((m) => [m.moduleId, m]));
  const after = new Map(b.modules.map((m) => [m.moduleId, m]));
  const addedModules: ModuleVersionInfoJson[] = [];
  const removedModules: ModuleVersionInfoJson[] = [];
  const updatedModules: UpdatedModule[] = [];
  const identicalModules: string[] = [];
  const byId = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  for (const id of [...after.keys()].sort(byId)) {
    const next = after.get(id)!;
    const previous = before.get(id);
    if (!previous) addedModules.push(next.toJSON());
    else if (previous.version !== next.version) {
      updatedModules.push({ moduleId: id, oldVersion: previous.version, newVersion: next.version });
    } else identicalModules.push(id);
  }
  for (const id of [...before.keys()].sort(byId)) {
    if (!after.has(id)) removedModules.push(before.get(id)!.toJSON());
  }
  return {
    identical: a.modulesHash === b.modulesHash,
    hashMatch: a.versionHash === b.versionHash,
    moduleCountDiff: b.modules.length - a.modules.length,
    addedModules,
    removedModules,
    updatedModules,
    identicalModules,
  };
}
