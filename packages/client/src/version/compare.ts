/**
 * Pure comparison of two environment versions. A line is identified by module id AND model name:
 * one module can ship several models (`ApplicationSuite` ships `ApplicationSuite` and
 * `Foundation`), each its own GetInstalledModules line, so keying by module id alone would fold
 * them together and miss an update of one of them.
 */
import type { EnvironmentVersionInfo, ModuleVersionInfo, ModuleVersionInfoJson } from "./models.js";

export interface UpdatedModule {
  moduleId: string;
  /** The model whose version changed (equals `moduleId` for single-model modules). */
  name: string;
  oldVersion: string;
  newVersion: string;
}

export interface VersionComparison {
  /** Same module set (full SHA-256 over every module). */
  identical: boolean;
  /** Same 16-character version hash (equal whenever `identical`; otherwise equal only on a prefix collision). */
  hashMatch: boolean;
  /** `b.modules.length - a.modules.length`. */
  moduleCountDiff: number;
  addedModules: ModuleVersionInfoJson[];
  removedModules: ModuleVersionInfoJson[];
  updatedModules: UpdatedModule[];
  /** Module ids whose every line is present in both with the same version. */
  identicalModules: string[];
}

/** The part of a version that a comparison reads (an `EnvironmentVersionInfo` has it). */
export type ComparableVersion = Pick<EnvironmentVersionInfo, "modules" | "modulesHash" | "versionHash">;
type Line = Pick<ModuleVersionInfo, "moduleId" | "name" | "version" | "toJSON">;

const lineKey = (m: Line) => `${m.moduleId}\u0000${m.name}`;
const byKey = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

/** What changed from `a` to `b`; lists are sorted by module id, then model name. */
export function compareVersions(a: ComparableVersion, b: ComparableVersion): VersionComparison {
  const before = new Map<string, Line>(a.modules.map((m) => [lineKey(m), m]));
  const after = new Map<string, Line>(b.modules.map((m) => [lineKey(m), m]));
  const addedModules: ModuleVersionInfoJson[] = [];
  const removedModules: ModuleVersionInfoJson[] = [];
  const updatedModules: UpdatedModule[] = [];
  const changedIds = new Set<string>();
  const sameIds = new Set<string>();
  for (const key of [...after.keys()].sort(byKey)) {
    const next = after.get(key)!;
    const previous = before.get(key);
    if (!previous) {
      addedModules.push(next.toJSON());
      changedIds.add(next.moduleId);
    } else if (previous.version !== next.version) {
      updatedModules.push({
        moduleId: next.moduleId,
        name: next.name,
        oldVersion: previous.version,
        newVersion: next.version,
      });
      changedIds.add(next.moduleId);
    } else sameIds.add(next.moduleId);
  }
  for (const key of [...before.keys()].sort(byKey)) {
    if (after.has(key)) continue;
    const gone = before.get(key)!;
    removedModules.push(gone.toJSON());
    changedIds.add(gone.moduleId);
  }
  return {
    identical: a.modulesHash === b.modulesHash,
    hashMatch: a.versionHash === b.versionHash,
    moduleCountDiff: b.modules.length - a.modules.length,
    addedModules,
    removedModules,
    updatedModules,
    identicalModules: [...sameIds].filter((id) => !changedIds.has(id)).sort(byKey),
  };
}
