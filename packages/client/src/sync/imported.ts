/**
 * Versions imported from the Python d365fo-client's cache (src/migration/), met at a live version
 * check. Trust, not faith:
 * - an `imported` version whose module list equals the live one is confirmed (`verified`);
 * - one whose list lacks exactly the live lines the Python tool's strict split rejected is the
 *   same version: it is adopted (re-keyed to the full list and its correct hash) and confirmed;
 * - a `needsReverification` one is found as usual, and the caller re-verifies it;
 * - anything else (including a v1 `legacy` version, whose key no live list matches) is not found,
 *   so the caller syncs normally.
 */
import type { Logger } from "../logging.js";
import { adoptsImportedVersion, linesPythonDropped } from "../migration/adoption.js";
import type { GlobalVersionRecord, MetadataStore } from "../store/types.js";
import { computeModulesHash, type EnvironmentVersionInfo } from "../version/models.js";

const ADOPTABLE = new Set<GlobalVersionRecord["trust"]>(["imported", "needsReverification"]);

/** The stored version of the live module set, adopting an imported one when the rule allows. */
export async function findLiveVersion(
  store: MetadataStore,
  info: EnvironmentVersionInfo,
  logger: Logger,
): Promise<GlobalVersionRecord | undefined> {
  let version = await store.findVersionByModulesHash(info.modulesHash);
  if (!version) {
    const dropped = new Set(linesPythonDropped(info.modules));
    if (dropped.size === 0) return undefined;
    const pythonHash = computeModulesHash(info.modules.filter((m) => !dropped.has(m)));
    const imported = await store.findVersionByModulesHash(pythonHash);
    if (imported?.status !== "complete" || !ADOPTABLE.has(imported.trust)) return undefined;
    if (!adoptsImportedVersion(info.modules, imported.modulesHash)) return undefined;
    version = await store.rekeyVersion(imported.id, info);
    logger.info(
      { versionId: version.id, restoredModuleLines: dropped.size },
      "adopted an imported version: its module list lacked only the lines the Python tool could not parse",
    );
  }
  if (version.status === "complete" && version.trust === "imported") {
    await store.setVersionTrust(version.id, "verified");
    version = { ...version, trust: "verified" };
  }
  return version;
}
