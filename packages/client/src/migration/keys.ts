/**
 * How an imported version is keyed in our store (pure).
 * - v2: by its module list, hashed the way this library hashes every module set
 *   (`computeModulesHash`), not with the Python tool's stored hash: a version the Python tool
 *   and this library both saw must land on the same key.
 * - v1: there is no module list, only application and platform versions; the key is derived from
 *   them under a prefix no module-list hash can produce, so it never matches a live module set.
 *   The first live sync of the environment replaces it.
 */
import { createHash } from "node:crypto";
import { normalizeBaseUrl } from "../auth/config.js";
import { EnvironmentVersionInfo, ModuleVersionInfo } from "../version/models.js";
import type { PythonModuleLine, PythonVersion } from "./types.js";

export function moduleInfoOf(line: PythonModuleLine): ModuleVersionInfo {
  return new ModuleVersionInfo({
    name: line.name || line.moduleId,
    version: line.version,
    moduleId: line.moduleId,
    publisher: line.publisher,
    displayName: line.displayName,
  });
}

export function legacyModulesHash(applicationVersion: string | null, platformVersion: string | null): string {
  const input = JSON.stringify({
    application_version: applicationVersion,
    platform_version: platformVersion,
  });
  return createHash("sha256").update(`python-v1-legacy:${input}`, "utf8").digest("hex");
}

/** The version identity the import creates for a Python version. */
export function importedVersionInfo(version: PythonVersion): EnvironmentVersionInfo {
  if (version.layout === "v1") {
    return new EnvironmentVersionInfo({
      modules: [],
      modulesHash: legacyModulesHash(version.applicationVersion, version.platformVersion),
      applicationVersion: version.applicationVersion,
      platformVersion: version.platformVersion,
    });
  }
  return new EnvironmentVersionInfo({ modules: version.modules.map(moduleInfoOf) });
}

/** The base URL as this library keys environments, or null when the stored one is not usable. */
export function normalizedBaseUrlOrNull(baseUrl: string): string | null {
  try {
    return normalizeBaseUrl(baseUrl);
  } catch {
    return null;
  }
}
