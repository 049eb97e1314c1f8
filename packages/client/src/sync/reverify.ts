/**
 * The `reverify` strategy: downloads a complete version again and writes only what differs.
 */
import type { PublicEntity } from "../metadata/models.js";
import type { WriteResult } from "../store/types.js";
import { chunksOf, publicEntityWindows, slices } from "./collections.js";
import { sameContent } from "./compare.js";
import { fetchLabels } from "./labels.js";
import { StepRateEstimator } from "./progress.js";
import type { PhaseDeps, RunContext } from "./run.js";
import type { SyncStep } from "./types.js";

/**
 * Downloads the complete version again and writes only definitions and label texts that differ
 * from what is stored (the store keeps one copy per content hash, so unchanged content costs no
 * rows).
 */
export async function reverify(deps: PhaseDeps, ctx: RunContext, versionId: number): Promise<void> {
  const differences = { dataEntities: 0, publicEntities: 0, enumerations: 0, labels: 0 };
  ctx.differences = differences;
  const compareCollection = async <T extends { name: string }>(
    step: SyncStep,
    stream: AsyncIterable<T>,
    stored: (name: string) => Promise<T | undefined>,
    write: (items: T[]) => Promise<WriteResult>,
    key: keyof typeof differences,
  ) => {
    const estimator = new StepRateEstimator(performance.now());
    let done = 0;
    for await (const chunk of chunksOf(stream, deps.chunkSize)) {
      deps.throwIfAborted(ctx);
      const changed: T[] = [];
      for (const item of chunk) if (!sameContent(item, await stored(item.name))) changed.push(item);
      if (changed.length > 0) {
        differences[key] += changed.length;
        deps.count(ctx, await write(changed));
      }
      done += chunk.length;
      deps.emitProgress(ctx, { step, done, total: null, estimator });
    }
    deps.emitProgress(ctx, { step, done, total: done, estimator, stepDone: true });
  };
  const signal = ctx.signal;
  await deps.timed(ctx, "dataEntities", () =>
    compareCollection(
      "dataEntities",
      deps.source.dataEntities({ signal }),
      (n) => deps.store.getDataEntity(versionId, n),
      (items) => deps.store.writeDataEntities(versionId, items),
      "dataEntities",
    ),
  );
  await deps.timed(ctx, "publicEntities", async () => {
    const estimator = new StepRateEstimator(performance.now());
    let done = 0;
    for await (const window of publicEntityWindows(deps.source, {
      startSkip: 0,
      windowSize: deps.windowSize,
      inFlight: deps.windowsInFlight,
      signal,
    })) {
      const changed: PublicEntity[] = [];
      for (const e of window.entities) {
        if (!sameContent(e, await deps.store.getPublicEntity(versionId, e.name))) changed.push(e);
      }
      for (const chunk of slices(changed, deps.chunkSize)) {
        deps.throwIfAborted(ctx);
        differences.publicEntities += chunk.length;
        deps.count(ctx, await deps.store.writePublicEntities(versionId, chunk));
      }
      done += window.entities.length;
      deps.emitProgress(ctx, { step: "publicEntities", done, total: null, estimator });
    }
  });
  await deps.timed(ctx, "enumerations", () =>
    compareCollection(
      "enumerations",
      deps.source.enumerations({ signal }),
      (n) => deps.store.getEnumeration(versionId, n),
      (items) => deps.store.writeEnumerations(versionId, items),
      "enumerations",
    ),
  );
  await deps.timed(ctx, "labels", async () => {
    const ids = await deps.store.listReferencedLabelIds(versionId);
    const estimator = new StepRateEstimator(performance.now());
    const total = ids.length * ctx.languages.length;
    let done = 0;
    for (const language of ctx.languages) {
      const result = await fetchLabels(deps.source, ids, {
        language,
        signal,
        concurrency: deps.labelConcurrency,
        chunkSize: deps.labelChunkSize,
        onChunk: async (labels, notFound) => {
          deps.throwIfAborted(ctx);
          const stored = await deps.store.getLabels(
            versionId,
            labels.map((l) => l.id),
            language,
          );
          const changed = labels.filter((l) => stored.get(l.id) !== l.value);
          if (changed.length > 0) {
            differences.labels += changed.length;
            deps.count(ctx, await deps.store.writeLabels(versionId, changed));
          }
          done += labels.length + notFound;
          deps.emitProgress(ctx, { step: "labels", done, total, estimator });
        },
      });
      ctx.labelsFetched += result.fetched;
      ctx.labelsNotFound += result.notFound;
    }
  });
}
