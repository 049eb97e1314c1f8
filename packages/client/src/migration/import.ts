/**
 * The import itself, through the async store contract only (any backend): per planned version,
 * read its content from the Python file, repair it (pure), write it into a *pending* version in
 * the usual per-call transactions, mark its trust, complete it, then link its environments.
 * A version is invisible until `completeVersion`, and environments are linked only after it, so an
 * interrupted import leaves nothing half-visible (the next import, or a live sync of the same
 * module set, continues from what is stored: writes are idempotent).
 *
 * Content-addressed sharing is the store's: a version whose module set is already complete in the
 * store is not written at all (only linked), and definitions already stored are only referenced.
 */
import type { Logger } from "../logging.js";
import type { Label } from "../metadata/models.js";
import type { MetadataStore, SyncPhase, WriteResult } from "../store/types.js";
import { createLeaseOwner } from "../sync/lease.js";
import { importedVersionInfo } from "./keys.js";
import type { MigrationPlan, PlannedVersion } from "./plan.js";
import { collectLabelIds, dedupeFixedConstraints, type RepairReport, resolveLabelTexts } from "./repair.js";
import type { PythonCacheReader, PythonVersion } from "./types.js";

const CHUNK = { dataEntities: 500, publicEntities: 200, enumerations: 500, labels: 2000 } as const;
const LEASE_TTL_MS = 120_000;
/** Public entities read from the source at a time (≈ 3 MB of models on `large`). */
const WINDOW = 500;

export interface ImportedVersion {
  sourceVersionId: number;
  versionId: number;
  versionHash: string;
  trust: PlannedVersion["trust"];
  /** `imported`: written now; `shared`: an identical complete version was already stored (nothing written). */
  outcome: "imported" | "shared" | "busy";
  rowsWritten: number;
  definitionsReused: number;
  labels: number;
  repairs: RepairReport | null;
  environments: string[];
}

export interface MigrationProgress {
  sourceVersionId: number;
  step: SyncPhase | "link";
  done: number;
  total: number;
}

export interface ImportOptions {
  signal?: AbortSignal;
  onProgress?: (event: MigrationProgress) => void;
  /** Label language of the Python cache (it only ever synced `en-US`). */
  language?: string;
  logger: Logger;
}

async function writeChunks<T>(
  items: readonly T[],
  size: number,
  write: (chunk: readonly T[]) => Promise<WriteResult>,
  onChunk: (done: number) => void,
  signal?: AbortSignal,
): Promise<WriteResult> {
  const total: WriteResult = { rowsWritten: 0, definitionsReused: 0 };
  for (let i = 0; i < items.length; i += size) {
    signal?.throwIfAborted();
    const r = await write(items.slice(i, i + size));
    total.rowsWritten += r.rowsWritten;
    total.definitionsReused += r.definitionsReused;
    onChunk(Math.min(items.length, i + size));
  }
  return total;
}

export async function importVersion(
  store: MetadataStore,
  reader: PythonCacheReader,
  source: PythonVersion,
  planned: PlannedVersion,
  environments: ReadonlyMap<string, { name: string | null; lastSyncAt: Date | null }>,
  options: ImportOptions,
): Promise<ImportedVersion> {
  const info = importedVersionInfo(source);
  // Already stored (perhaps adopted under its full module list): link that one, write nothing.
  const stored = planned.storedAs ? await store.findVersionByModulesHash(planned.storedAs) : undefined;
  const version = stored ?? (await store.getOrCreateVersion(info, null)).version;
  const result: ImportedVersion = {
    sourceVersionId: source.sourceId,
    versionId: version.id,
    versionHash: version.versionHash,
    trust: planned.trust,
    outcome: "shared",
    rowsWritten: 0,
    definitionsReused: 0,
    labels: 0,
    repairs: null,
    environments: [],
  };
  if (version.status !== "complete") {
    const owner = createLeaseOwner();
    if (!(await store.tryAcquireSyncLease(version.id, owner, LEASE_TTL_MS))) {
      // A live sync of the same module set is writing it: it will publish the version itself.
      options.logger.warn(
        { versionId: version.id },
        "another process is syncing this version; not importing it",
      );
      return { ...result, outcome: "busy" };
    }
    try {
      const id = version.id;
      const progress = (step: SyncPhase, total: number) => (done: number) =>
        options.onProgress?.({ sourceVersionId: source.sourceId, step, done, total });
      const add = (r: WriteResult) => {
        result.rowsWritten += r.rowsWritten;
        result.definitionsReused += r.definitionsReused;
      };
      const renew = () => store.renewSyncLease(id, owner, LEASE_TTL_MS);
      // Trust before any content: an interrupted import that a live sync later completes (it
      // resumes from the phases stored here) still leaves the version marked for what it holds.
      if (planned.trust) await store.setVersionTrust(id, planned.trust);
      // One window of public entities in memory at a time; the rest of the version is small.
      const basics = await reader.readVersionBasics(source.sourceId);
      const labelIds = collectLabelIds(new Set(), basics);
      add(
        await writeChunks(
          basics.dataEntities,
          CHUNK.dataEntities,
          (c) => store.writeDataEntities(id, c),
          progress("dataEntities", basics.dataEntities.length),
          options.signal,
        ),
      );
      await store.markPhaseComplete(id, "dataEntities");
      await renew();
      let duplicateFixedConstraintsRemoved = 0;
      let entitiesDone = 0;
      const entityProgress = progress("publicEntities", planned.counts.publicEntities);
      for await (const window of reader.publicEntityWindows(source.sourceId, WINDOW)) {
        const { entities, removed } = dedupeFixedConstraints(window);
        duplicateFixedConstraintsRemoved += removed;
        collectLabelIds(labelIds, { publicEntities: entities });
        add(
          await writeChunks(
            entities,
            CHUNK.publicEntities,
            (c) => store.writePublicEntities(id, c),
            (done) => entityProgress(entitiesDone + done),
            options.signal,
          ),
        );
        entitiesDone += entities.length;
        await renew();
      }
      await store.markPhaseComplete(id, "publicEntities");
      add(
        await writeChunks(
          basics.enumerations,
          CHUNK.enumerations,
          (c) => store.writeEnumerations(id, c),
          progress("enumerations", basics.enumerations.length),
          options.signal,
        ),
      );
      await store.markPhaseComplete(id, "enumerations");
      const labels = resolveLabelTexts(labelIds, basics.labels, options.language);
      result.repairs = {
        duplicateFixedConstraintsRemoved,
        labelsResolved: labels.labels.length,
        labelsMissing: labels.missing.length,
        labelsUnreferenced: labels.unreferenced,
      };
      add(
        await writeChunks<Label>(
          labels.labels,
          CHUNK.labels,
          (c) => store.writeLabels(id, c),
          progress("labels", labels.labels.length),
          options.signal,
        ),
      );
      await store.markPhaseComplete(id, "labels");
      result.labels = labels.labels.length;
      options.signal?.throwIfAborted();
      await store.completeVersion(id);
      result.outcome = "imported";
    } finally {
      await store.releaseSyncLease(version.id, owner);
    }
  }
  for (const baseUrl of planned.environments) {
    options.signal?.throwIfAborted();
    const known = environments.get(baseUrl);
    const env = await store.ensureEnvironment(baseUrl, known?.name ?? undefined);
    await store.linkEnvironment(env.id, version.id);
    await store.recordSync(env.id, 0, known?.lastSyncAt ?? planned.completedAt ?? new Date());
    result.environments.push(baseUrl);
  }
  options.onProgress?.({
    sourceVersionId: source.sourceId,
    step: "link",
    done: result.environments.length,
    total: planned.environments.length,
  });
  return result;
}

export interface MigrationResult {
  plan: MigrationPlan;
  versions: ImportedVersion[];
  environmentsImported: number;
  versionsImported: number;
  /** Versions already complete in the store (identical module set): linked, nothing written. */
  versionsShared: number;
  rowsWritten: number;
  labelsImported: number;
  repairs: RepairReport;
  warnings: string[];
  /** True when the run changed nothing (everything was already imported, or nothing was importable). */
  nothingImported: boolean;
  message: string;
  durationMs: number;
}
