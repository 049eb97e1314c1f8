/**
 * Schema first: which version a cache may serve before its labels are complete. A first sync
 * marks its entity phases (data entities, public entities, enumerations) complete as they finish
 * and the version `complete` only once its labels are; in between, the environment that is
 * creating it can already answer lookups, search by name and schema questions from it, with label
 * texts missing (shown as their ids) and every answer saying so.
 *
 * Only the version this environment's own sync created is staged, only while it is pending with
 * every entity phase complete, and only where the environment serves nothing yet (`firstSync`) or,
 * when asked for (`always`), also in place of an older complete version.
 */
import type { GlobalVersionRecord, MetadataStore, SyncPhase } from "../store/types.js";

/** When a pending version may be served before its labels are complete. */
export type SchemaFirstMode = "firstSync" | "always" | "never";

export const SCHEMA_FIRST_MODES: readonly SchemaFirstMode[] = ["firstSync", "always", "never"];

const ENTITY_PHASES: readonly SyncPhase[] = ["dataEntities", "publicEntities", "enumerations"];

/** True when every entity phase is complete and the labels are not. Pure. */
export function isSchemaReady(completedPhases: readonly SyncPhase[]): boolean {
  return ENTITY_PHASES.every((p) => completedPhases.includes(p)) && !completedPhases.includes("labels");
}

/**
 * The newest pending version created by `environmentId` whose schema is ready, newer than
 * `servingVersionId` when there is one; undefined when there is none.
 */
export async function findStagedVersion(
  store: MetadataStore,
  environmentId: number,
  servingVersionId: number | null,
): Promise<GlobalVersionRecord | undefined> {
  const candidates = (await store.listVersions())
    .filter(
      (v) =>
        v.status === "pending" &&
        v.createdByEnvironmentId === environmentId &&
        (servingVersionId === null || v.id > servingVersionId),
    )
    .sort((a, b) => b.id - a.id);
  for (const version of candidates) {
    const state = await store.getSyncState(version.id);
    if (isSchemaReady(state.completedPhases)) return version;
  }
  return undefined;
}

/** The version a cache serves: its id and hash, and whether its label texts are complete. */
export interface ServingVersion {
  id: number;
  hash: string;
  /** False while a schema-first version's labels are still being fetched. */
  labelsComplete: boolean;
}

/**
 * The version the environment serves now: the complete version it is linked to, or, per `mode`,
 * a newer schema-ready version its own sync is completing.
 */
export async function resolveServingVersion(
  store: MetadataStore,
  environment: { id: number; versionId: number | null },
  mode: SchemaFirstMode,
): Promise<ServingVersion | undefined> {
  const linked = environment.versionId === null ? undefined : await store.getVersion(environment.versionId);
  const complete = linked?.status === "complete" ? linked : undefined;
  if (mode === "always" || (mode === "firstSync" && !complete)) {
    const staged = await findStagedVersion(store, environment.id, complete?.id ?? null);
    if (staged) return { id: staged.id, hash: staged.versionHash, labelsComplete: false };
  }
  return complete && { id: complete.id, hash: complete.versionHash, labelsComplete: true };
}

/** Ids of the pending versions whose schema is ready (served schema first somewhere), for statistics. */
export async function listSchemaReadyVersionIds(
  store: MetadataStore,
  versions: readonly GlobalVersionRecord[],
): Promise<number[]> {
  const ids: number[] = [];
  for (const v of versions) {
    if (v.status === "pending" && isSchemaReady((await store.getSyncState(v.id)).completedPhases))
      ids.push(v.id);
  }
  return ids;
}
