/**
 * Comparing two environments synced into one store: finds what each serves, then loads only the
 * public entities whose content hash differs and diffs them (compare.ts holds the pure diffs).
 */
import { NotSyncedError } from "../errors.js";
import type { MetadataStore } from "../store/types.js";
import type { EnvironmentVersionInfo } from "../version/models.js";
import { diffModules, diffNames, diffPublicEntity } from "./compare.js";
import { normalizeEnvironmentUrl } from "./config.js";
import type { EntityChange, EnvironmentComparison, EnvironmentSide } from "./types.js";

async function side(store: MetadataStore, baseUrl: string): Promise<EnvironmentSide> {
  const url = normalizeEnvironmentUrl(baseUrl);
  const env = await store.findEnvironment(url);
  const version = env?.versionId != null ? await store.getVersion(env.versionId) : undefined;
  if (version?.status !== "complete") {
    const { location } = await store.describe();
    throw new NotSyncedError(`Environment ${url} has no synced metadata in ${location}; sync it first`);
  }
  return {
    baseUrl: url,
    versionId: version.id,
    versionHash: version.versionHash,
    applicationVersion: version.applicationVersion,
    platformVersion: version.platformVersion,
    moduleCount: version.moduleCount,
  };
}

/** How environment `b` differs from `a`; `versionInfo` reads a version's module set. */
export async function compareStoredEnvironments(
  store: MetadataStore,
  a: string,
  b: string,
  versionInfo: (versionId: number) => Promise<EnvironmentVersionInfo>,
): Promise<EnvironmentComparison> {
  const sideA = await side(store, a);
  const sideB = await side(store, b);
  const sameVersion = sideA.versionId === sideB.versionId;
  const modules = sameVersion
    ? { added: [], removed: [], changed: [], unchangedCount: sideA.moduleCount }
    : diffModules(await versionInfo(sideA.versionId), await versionInfo(sideB.versionId));
  if (sameVersion) {
    const count = (await store.listPublicEntityNames(sideA.versionId)).length;
    return {
      a: sideA,
      b: sideB,
      sameVersion,
      modules,
      publicEntities: { added: [], removed: [], changed: [], unchangedCount: count },
    };
  }
  const hashesA = await store.getPublicEntityHashes(sideA.versionId);
  const hashesB = await store.getPublicEntityHashes(sideB.versionId);
  const names = diffNames(hashesA.keys(), hashesB.keys());
  const changed: EntityChange[] = [];
  let unchangedCount = 0;
  for (const name of names.common) {
    if (hashesA.get(name) === hashesB.get(name)) {
      unchangedCount++;
      continue;
    }
    const entityA = await store.getPublicEntity(sideA.versionId, name);
    const entityB = await store.getPublicEntity(sideB.versionId, name);
    if (entityA && entityB) changed.push(diffPublicEntity(entityA, entityB));
  }
  return {
    a: sideA,
    b: sideB,
    sameVersion,
    modules,
    publicEntities: { added: names.added, removed: names.removed, changed, unchangedCount },
  };
}
