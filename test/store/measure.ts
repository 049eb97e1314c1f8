/**
 * Measurement script (not a test): `npx tsx test/store/measure.ts [medium|large]` loads a release
 * and its first upgrade into a fresh store and prints growth, size, write and read timings.
 */

import { openMetadataStore } from "../../packages/client/src/store/index.js";
import { generateRelease } from "../../packages/emulator/src/model/index.js";
import type { PresetName } from "../../packages/emulator/src/model/types.js";
import { makeTempDir } from "./fixtures.js";
import { loadRelease, releaseModels } from "./release-loader.js";

const preset = (process.argv[2] ?? "medium") as PresetName;
const temp = makeTempDir("d365fo-measure-");
const store = await openMetadataStore({ cacheDir: temp.dir });
const log = (...args: unknown[]) => console.log(...args);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

try {
  const r0 = releaseModels(generateRelease({ preset, upgradeStep: 0 }));
  const r1 = releaseModels(generateRelease({ preset, upgradeStep: 1 }));
  log(
    `${preset}: ${r0.publicEntities.length} public entities, ${r0.publicEntities.reduce((s, e) => s + e.properties.length, 0)} properties, ${r0.labels.length} labels`,
  );
  const first = await loadRelease(store, r0);
  const f0 = await store.getStorageFootprint();
  log("release 0 write ms", first.timings, "rows", first.rowsWritten, "footprint", f0);
  const second = await loadRelease(store, r1);
  const f1 = await store.getStorageFootprint();
  log("upgrade write ms", second.timings, "rows", second.rowsWritten, "footprint", f1);
  log(
    `growth: metadata ${(((f1.metadataBytes - f0.metadataBytes) / f0.metadataBytes) * 100).toFixed(2)} %, file ${(((f1.totalBytes - f0.totalBytes) / f0.totalBytes) * 100).toFixed(2)} %`,
  );
  const v = second.versionId;
  const names = await store.listPublicEntityNames(v);
  const times: number[] = [];
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < names.length; i += 3) {
      const t = performance.now();
      await store.getPublicEntity(v, names[i]);
      times.push(performance.now() - t);
    }
  }
  log(
    `getPublicEntity n=${times.length} p50 ${percentile(times, 50).toFixed(3)} ms p99 ${percentile(times, 99).toFixed(3)} ms`,
  );
  const queries: [string[], boolean][] = [
    [["customer"], false],
    [["cust"], true],
    [["sales", "order"], false],
    [["invoice"], false],
    [["account"], false],
    [["vend"], true],
    [["CustomerV3"], false],
    [["ledger", "journal"], false],
    [["amount"], false],
    [["pro"], true],
  ];
  for (const [terms, prefixLastTerm] of queries) {
    const samples: number[] = [];
    let total = 0;
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      total = (
        await store.search({
          versionId: v,
          terms,
          prefixLastTerm,
          language: "en-us",
          limit: 20,
          offset: 0,
        })
      ).total;
      samples.push(performance.now() - t);
    }
    log(
      `search ${JSON.stringify(terms)}${prefixLastTerm ? "*" : ""} total ${total} p50 ${percentile(samples, 50).toFixed(2)} ms p99 ${percentile(samples, 99).toFixed(2)} ms`,
    );
  }
  const labelIds = await store.listReferencedLabelIds(v);
  const t = performance.now();
  const labels = await store.getLabels(v, labelIds, "en-us");
  log(`getLabels ${labelIds.length} ids -> ${labels.size} in ${(performance.now() - t).toFixed(1)} ms`);
  const th = performance.now();
  await store.getContentHash(v);
  log(
    `getContentHash ${(performance.now() - th).toFixed(1)} ms; integrity`,
    (await store.checkIntegrity()).ok,
  );
} finally {
  await store.close();
  temp.cleanup();
}
