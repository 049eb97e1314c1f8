/**
 * The first live version check of an environment served by an imported v2 version (pure): the
 * Python tool's module list lacks the lines its strict five-part split rejected, so the live list
 * hashes differently although it is the same version. The imported version is adopted when the
 * live list, minus exactly those lines, hashes to the imported list; any other difference is a
 * different version.
 */
import { computeModulesHash, type ModuleVersionInfo } from "../version/models.js";
import { isRejectedByPythonSplit } from "./repair.js";

/** Live module lines the Python tool could not have stored. */
export function linesPythonDropped(live: readonly ModuleVersionInfo[]): ModuleVersionInfo[] {
  return live.filter((m) => isRejectedByPythonSplit(m.toString()));
}

/** True when `live` is the version imported under `importedModulesHash` plus only lines the Python tool dropped. */
export function adoptsImportedVersion(
  live: readonly ModuleVersionInfo[],
  importedModulesHash: string,
): boolean {
  const dropped = new Set(linesPythonDropped(live));
  if (dropped.size === 0) return false;
  return computeModulesHash(live.filter((m) => !dropped.has(m))) === importedModulesHash;
}
