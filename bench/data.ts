/**
 * `npm run bench -- data [--json] [--preset large] [--rows 100000] [--creates 10000]
 *  [--per-row n] [--batch-size 5000] [--batch-concurrency 2] [--tuned-batch-size 500]
 *  [--tuned-concurrency 8] [--select a,b] [--fresh]`
 *
 * The data client against the emulator in its own process (so this process's RSS is the
 * client's alone), with the emulator's realistic latency and throttling (`realisticKnobs()`):
 * - read: `--rows` rows of CustomersV3 through `query()`, following nextLinks (10,000 a page);
 *   `rowsPerSecond`, `peakRssMb` and the RSS after each page (memory must stay flat);
 * - creates: `--creates` rows (into the first company-specific entity set whose mandatory fields
 *   can all be set on create) through `$batch` (split at `--batch-size`) versus one POST per row
 *   (`--per-row` of them, default all; workers: 64, the adaptive limiter decides how many are in
 *   flight); `batchSpeedup` = rows per second through `$batch` / rows per second one by one,
 *   with the library's defaults (5,000 per batch, 2 in flight), and `batchSpeedupTuned` with
 *   smaller batches in parallel (the service runs a batch's operations one after another).
 * The metadata is synced once with zero latency into `$TMPDIR/d365fo-bench/data-<preset>`
 * (reused unless `--fresh`), then the realistic knobs are applied.
 */
import { mkdirSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type D365Connection } from "../packages/client/src/data/connect.js";
import type { EnvironmentCounters, KnobsPatch } from "../packages/emulator/src/api.js";
import { realisticKnobs } from "../packages/emulator/src/index.js";
import { admin, emulatorCredential, startEmulatorProcess, stopEmulatorProcess } from "./_emulator-process.js";
import { round, trackPeakRss } from "./_stats.js";
import type { BenchArgs, BenchResult, BenchRow } from "./run.js";

const SET = "CustomersV3";

const mb = (bytes: number) => round(bytes / 1048576, 1);

async function measureRead(d365: D365Connection, select: string[] | undefined, log: (m: string) => void) {
  const rssAfterPage: number[] = [];
  const rss = trackPeakRss(20);
  const rssBefore = mb(process.memoryUsage.rss());
  const started = performance.now();
  let rows = 0;
  let bytes = 0;
  for await (const row of d365.query(SET, {
    crossCompany: true,
    select,
    onPage: (page) => {
      rssAfterPage.push(mb(process.memoryUsage.rss()));
      log(
        `  read: ${rows} rows, page ${rssAfterPage.length} (${page.rows} rows), rss ${rssAfterPage.at(-1)} MB`,
      );
    },
  })) {
    rows++;
    if (rows === 1) bytes = JSON.stringify(row).length;
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    rows,
    seconds: round(seconds, 1),
    rowsPerSecond: round(rows / seconds, 0),
    approxRowBytes: bytes,
    rssBeforeMb: rssBefore,
    peakRssMb: rss.stop(),
    rssAfterPageMb: rssAfterPage,
  };
}

async function createOneByOne(
  d365: D365Connection,
  set: string,
  rows: Record<string, unknown>[],
  log: (m: string) => void,
) {
  const started = performance.now();
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < rows.length) {
      const row = rows[next++];
      await d365.create(set, row);
      if (++done % 1000 === 0) log(`  one by one: ${done}/${rows.length}`);
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { rows: rows.length, seconds: round(seconds, 1), rowsPerSecond: round(rows.length / seconds, 1) };
}

async function createInBatches(
  d365: D365Connection,
  set: string,
  rows: Record<string, unknown>[],
  size: number,
  concurrency: number,
) {
  const started = performance.now();
  const batch = d365.batch();
  for (const row of rows) batch.create(set, row);
  const results = await batch.send({ operationsPerBatch: size, concurrency });
  const seconds = (performance.now() - started) / 1000;
  const failed = results.filter((r) => !r.ok).length;
  if (failed > 0) throw new Error(`${failed} batch operations failed`);
  return {
    rows: rows.length,
    seconds: round(seconds, 1),
    rowsPerSecond: round(rows.length / seconds, 1),
    operationsPerBatch: size,
    concurrency,
  };
}

/**
 * The entity set the creates go to: the first company-specific, writable entity (by name) with at
 * least 20 properties whose mandatory fields can all be set on create.
 */
async function writableEntitySet(d365: D365Connection): Promise<string> {
  const store = d365.cache.store;
  const versionId = (await store.findEnvironment(d365.cache.baseUrl))?.versionId;
  if (versionId === undefined || versionId === null) throw new Error("no synced version");
  for (const name of [...(await store.listPublicEntityNames(versionId))].sort()) {
    const view = await d365.cache.getPublicEntity(name);
    if (!view || view.isReadOnly || view.properties.length < 20) continue;
    if (!view.properties.some((p) => p.name === "dataAreaId" && p.isKey)) continue;
    if (view.properties.every((p) => !p.isMandatory || p.isKey || p.allowEditOnCreate))
      return view.entitySetName;
  }
  throw new Error("no writable entity set in the release");
}

/** Valid new rows: every key but dataAreaId and every mandatory field, from the cached metadata. */
async function newRows(
  d365: D365Connection,
  set: string,
  count: number,
  prefix: string,
): Promise<Record<string, unknown>[]> {
  const view = await d365.cache.getPublicEntity(set);
  if (!view) throw new Error(`${set} is not in the cached metadata`);
  const template: Record<string, unknown> = {};
  for (const p of view.properties) {
    if (p.name === "dataAreaId" || p.isKey || !p.isMandatory) continue;
    if (p.dataType === "Enum") {
      const e = await d365.cache.getEnumeration(p.typeName.split(".").pop() as string);
      template[p.name] = e?.members.find((m) => m.value !== 0)?.name;
    } else
      template[p.name] =
        {
          Int32: 3,
          Int64: 5637144577,
          Real: 12.5,
          Time: 3600,
          Date: "2026-03-01T12:00:00Z",
          UtcDateTime: "2026-03-01T08:30:00Z",
          Guid: "0f8fad5b-d9cb-469f-a165-70867728950e",
        }[p.dataType] ?? "B";
  }
  const keys = view.properties.filter((p) => p.isKey && p.name !== "dataAreaId");
  return Array.from({ length: count }, (_, i) => ({
    ...template,
    ...Object.fromEntries(keys.map((k) => [k.name, k.dataType === "String" ? `${prefix}${i}` : i + 1])),
  }));
}

export async function run(args: BenchArgs): Promise<BenchResult> {
  const flag = (name: string, fallback: number) =>
    typeof args.flags[name] === "string" ? Number(args.flags[name]) : fallback;
  const preset = typeof args.flags.preset === "string" ? args.flags.preset : "large";
  const rowCount = flag("rows", 100_000);
  const creates = flag("creates", 10_000);
  const perRow = flag("per-row", creates);
  const batchSize = flag("batch-size", 5_000);
  const batchConcurrency = flag("batch-concurrency", 2);
  const tunedSize = flag("tuned-batch-size", 500);
  const tunedConcurrency = flag("tuned-concurrency", 8);
  const select = typeof args.flags.select === "string" ? args.flags.select.split(",") : undefined;
  const dir = join(tmpdir(), "d365fo-bench", `data-${preset}`);
  if (args.flags.fresh === true) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  args.log(`data: starting the emulator (${preset}) in its own process`);
  const emu = await startEmulatorProcess(preset);
  const envName = emu.environments[0].name;
  const credential = emulatorCredential(emu);
  let d365: D365Connection | undefined;
  try {
    args.log(`data: syncing the metadata into ${dir} (zero latency; reused when complete)`);
    d365 = await connect({
      baseUrl: emu.environments[0].baseUrl,
      credential,
      cacheDir: dir,
      languages: ["en-US"],
      syncMetadata: true,
    });
    await admin(emu, `${envName}/data/reset`, { method: "POST", body: { rowsBySet: { [SET]: rowCount } } });
    const knobs: KnobsPatch = realisticKnobs();
    await admin(emu, `${envName}/knobs`, { method: "PATCH", body: knobs });
    await d365.count(SET); // pays the one-off warm-up outside the measurements
    await admin(emu, `${envName}/counters/reset`, { method: "POST" });

    args.log(`data: reading ${rowCount} rows (realistic latency)`);
    const read = await measureRead(d365, select, args.log);
    const readCounters = await admin<EnvironmentCounters>(emu, `${envName}/counters`);

    const writeSet = await writableEntitySet(d365);
    await admin(emu, `${envName}/data/reset`, { method: "POST", body: { rowsBySet: { [SET]: 100 } } });
    await admin(emu, `${envName}/counters/reset`, { method: "POST" });
    args.log(
      `data: ${creates} creates into ${writeSet} through $batch (${batchSize} per batch, ${batchConcurrency} in flight)`,
    );
    const batched = await createInBatches(
      d365,
      writeSet,
      await newRows(d365, writeSet, creates, "BATCH"),
      batchSize,
      batchConcurrency,
    );
    const batchCounters = await admin<EnvironmentCounters>(emu, `${envName}/counters`);

    await admin(emu, `${envName}/data/reset`, { method: "POST", body: { rowsBySet: { [SET]: 100 } } });
    await admin(emu, `${envName}/counters/reset`, { method: "POST" });
    args.log(
      `data: ${creates} creates through $batch, tuned (${tunedSize} per batch, ${tunedConcurrency} in flight)`,
    );
    const tuned = await createInBatches(
      d365,
      writeSet,
      await newRows(d365, writeSet, creates, "TUNED"),
      tunedSize,
      tunedConcurrency,
    );

    await admin(emu, `${envName}/counters/reset`, { method: "POST" });
    args.log(`data: ${perRow} creates one request per row`);
    const oneByOne = await createOneByOne(
      d365,
      writeSet,
      await newRows(d365, writeSet, perRow, "ROW"),
      args.log,
    );
    const rowCounters = await admin<EnvironmentCounters>(emu, `${envName}/counters`);

    const pageRss = read.rssAfterPageMb;
    const figures = {
      preset,
      latency: "realistic",
      readSet: SET,
      writeSet,
      read: { ...read, requests: readCounters.requests, throttled: readCounters.throttled },
      rowsPerSecond: read.rowsPerSecond,
      peakRssMb: read.peakRssMb,
      rssSpreadAfterPagesMb: pageRss.length > 0 ? round(Math.max(...pageRss) - Math.min(...pageRss), 1) : 0,
      createsBatch: { ...batched, requests: batchCounters.requests, throttled: batchCounters.throttled },
      createsOneByOne: {
        ...oneByOne,
        requests: rowCounters.requests,
        throttled: rowCounters.throttled,
        maxInFlight: rowCounters.maxInFlight,
      },
      batchSpeedup: round(batched.rowsPerSecond / oneByOne.rowsPerSecond, 2),
      createsBatchTuned: tuned,
      batchSpeedupTuned: round(tuned.rowsPerSecond / oneByOne.rowsPerSecond, 2),
      machine: { cpus: cpus().length, loadAverage1m: round(loadavg()[0], 2) },
    };
    const rows: BenchRow[] = [
      {
        metric: "read rows / s",
        value: read.rowsPerSecond,
        note: `${read.rows} rows in ${read.seconds} s, ${readCounters.requests} requests`,
      },
      {
        metric: "peak RSS during the read",
        value: `${read.peakRssMb} MB`,
        note: `before ${read.rssBeforeMb} MB; after each page ${pageRss.join(", ")}`,
      },
      {
        metric: "creates via $batch, rows / s",
        value: batched.rowsPerSecond,
        note: `${creates} rows in ${batched.seconds} s, ${batchCounters.requests} requests`,
      },
      {
        metric: "creates one per request, rows / s",
        value: oneByOne.rowsPerSecond,
        note: `${perRow} rows in ${oneByOne.seconds} s, max ${rowCounters.maxInFlight} in flight, ${rowCounters.throttled} × 429`,
      },
      {
        metric: "batchSpeedup",
        value: figures.batchSpeedup,
        note: `${batchSize} per batch, ${batchConcurrency} in flight`,
      },
      {
        metric: "creates via $batch, tuned, rows / s",
        value: tuned.rowsPerSecond,
        note: `${tunedSize} per batch, ${tunedConcurrency} in flight: speedup ${figures.batchSpeedupTuned}`,
      },
      {
        metric: "load average (1 min)",
        value: figures.machine.loadAverage1m,
        note: `${figures.machine.cpus} CPUs`,
      },
    ];
    return { figures, rows };
  } finally {
    await d365?.close();
    await credential.close();
    await stopEmulatorProcess(emu);
  }
}
