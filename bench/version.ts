/**
 * `npm run bench -- version [--preset large] [--iterations 30] [--buffered] [--json]`
 *
 * - cached version detection (TTL cache hit) median;
 * - live version detection (GetInstalledModules + the three version actions in parallel) median
 *   against the emulator with latency 0;
 * - streaming and parsing the full PublicEntities of the preset: time, throughput and the client
 *   process's peak RSS delta. The emulator runs in a child process so its own memory (the
 *   generated release and serialised documents) is not counted.
 * - with `--buffered`, the same body read whole and `JSON.parse`d, for comparison.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { MetadataApiClient } from "../packages/client/src/metadata/client.js";
import { parsePublicEntity } from "../packages/client/src/metadata/parse.js";
import { ModuleVersionDetector } from "../packages/client/src/version/detector.js";
import {
  type EmulatorDescription,
  emulatorCredential,
  startEmulatorProcess,
  stopEmulatorProcess,
} from "./_emulator-process.js";
import { round, summarize, trackPeakRss } from "./_stats.js";
import type { BenchArgs, BenchResult } from "./run.js";

const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);

interface ChildFigures {
  entities: number;
  properties: number;
  bodyMB: number;
  seconds: number;
  mbPerSecond: number;
  rssBeforeMB: number;
  peakRssMB: number;
  peakRssDeltaMB: number;
  heapAfterGcDeltaMB: number;
}

const CHILD_ENV = "D365FO_BENCH_VERSION_CHILD";

/** Runs this file as a child process in `mode`; it prints one JSON line of figures. */
async function measureInChild(
  mode: "stream" | "buffered",
  info: EmulatorDescription,
  nodeFlags: string[],
): Promise<ChildFigures> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    [...nodeFlags, "--expose-gc", "--conditions=d365fo-source", "--import", "tsx", self],
    {
      stdio: ["ignore", "pipe", "inherit"],
      // The description only: the emulator's own `child` handle (when passed one) stays here.
      env: {
        ...process.env,
        [CHILD_ENV]: JSON.stringify({ mode, info }, (key, value) => (key === "child" ? undefined : value)),
      },
    },
  );
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`measurement child (${mode}) exited with ${code}`);
  return JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as ChildFigures;
}

/** The child side: one measured pass over PublicEntities. */
async function childMeasure(mode: "stream" | "buffered", info: EmulatorDescription): Promise<ChildFigures> {
  const credential = emulatorCredential(info);
  const client = new MetadataApiClient({ baseUrl: info.environments[0].baseUrl, credential });
  try {
    await client.getApplicationVersion(); // token, connection and module warm-up
    global.gc?.();
    const rssBefore = process.memoryUsage.rss();
    const heapBefore = process.memoryUsage().heapUsed;
    const tracker = trackPeakRss(5);
    const t0 = performance.now();
    let entities = 0;
    let properties = 0;
    if (mode === "stream") {
      for await (const entity of client.publicEntities()) {
        entities++;
        properties += entity.properties.length;
      }
    } else {
      const body = (await client.http.getJson<{ value: unknown[] }>("/Metadata/PublicEntities")) ?? {
        value: [],
      };
      const parsed = body.value.map((item, index) =>
        parsePublicEntity(item, { collection: "PublicEntities", index }),
      );
      entities = parsed.length;
      properties = parsed.reduce((n, e) => n + e.properties.length, 0);
    }
    const ms = performance.now() - t0;
    const peak = tracker.stop();
    global.gc?.();
    const bodyBytes = client.counters().bytesReceived;
    return {
      entities,
      properties,
      bodyMB: mb(bodyBytes),
      seconds: round(ms / 1000, 2),
      mbPerSecond: round(mb(bodyBytes) / (ms / 1000), 1),
      rssBeforeMB: mb(rssBefore),
      peakRssMB: peak,
      peakRssDeltaMB: round(peak - mb(rssBefore), 1),
      heapAfterGcDeltaMB: mb(process.memoryUsage().heapUsed - heapBefore),
    };
  } finally {
    await client.close();
    await credential.close();
  }
}

if (process.env[CHILD_ENV]) {
  const { mode, info } = JSON.parse(process.env[CHILD_ENV]) as {
    mode: "stream" | "buffered";
    info: EmulatorDescription;
  };
  childMeasure(mode, info).then(
    (figures) => {
      process.stdout.write(`${JSON.stringify(figures)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}

export async function run(args: BenchArgs): Promise<BenchResult> {
  const preset = typeof args.flags.preset === "string" ? args.flags.preset : "large";
  const iterations = Number(args.flags.iterations ?? 30);
  const info = await startEmulatorProcess(preset, { log: args.log });
  const credential = emulatorCredential(info);
  const baseUrl = info.environments[0].baseUrl;
  const client = new MetadataApiClient({ baseUrl, credential });
  try {
    const detector = new ModuleVersionDetector(client);
    const first = await detector.getEnvironmentVersion({ useCache: false });
    args.log(`environment ${baseUrl}: ${first.modules.length} modules, version ${first.versionHash}`);

    const live: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const t = performance.now();
      await detector.getEnvironmentVersion({ useCache: false });
      live.push(performance.now() - t);
    }
    const cached: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const t = performance.now();
      await detector.getEnvironmentVersion();
      cached.push(performance.now() - t);
    }
    const liveStats = summarize(live);
    const cachedStats = summarize(cached.map((ms) => ms * 1000));
    args.log(`live detection p50 ${liveStats.p50} ms; cached p50 ${cachedStats.p50} µs`);

    // Memory is measured in fresh child processes (one per mode) so one phase's heap growth does
    // not hide the next one's.
    const streamFigures = await measureInChild("stream", info, []);
    args.log(
      `streamed ${streamFigures.entities} entities (${streamFigures.bodyMB} MB) in ${streamFigures.seconds} s, peak RSS +${streamFigures.peakRssDeltaMB} MB`,
    );
    const boundedFigures = await measureInChild("stream", info, ["--max-old-space-size=64"]);
    args.log(`streamed with a 64 MB old-space cap: peak RSS +${boundedFigures.peakRssDeltaMB} MB`);
    let buffered: ChildFigures | undefined;
    if (args.flags.buffered) {
      buffered = await measureInChild("buffered", info, []);
      args.log(`buffered: peak RSS +${buffered.peakRssDeltaMB} MB in ${buffered.seconds} s`);
    }
    const entities = streamFigures.entities;
    const properties = streamFigures.properties;
    const peakMb = streamFigures.peakRssMB;

    const figures = {
      preset,
      modules: first.modules.length,
      cachedDetectionMicrosP50: cachedStats.p50,
      cachedDetectionMicrosP99: cachedStats.p99,
      liveDetectionMsP50: liveStats.p50,
      liveDetectionMsP99: liveStats.p99,
      liveIterations: iterations,
      publicEntitiesStream: streamFigures,
      publicEntitiesStreamOldSpace64MB: boundedFigures,
      ...(buffered ? { publicEntitiesBuffered: buffered } : {}),
    };
    const rows = [
      { metric: "cached version detection p50", value: `${cachedStats.p50} µs`, note: "TTL cache hit" },
      {
        metric: "live version detection p50",
        value: `${liveStats.p50} ms`,
        note: `${iterations} runs, latency 0, p99 ${liveStats.p99} ms`,
      },
      {
        metric: "PublicEntities streamed",
        value: `${entities} entities / ${properties} properties`,
        note: `${streamFigures.bodyMB} MB body`,
      },
      {
        metric: "stream + parse time",
        value: `${streamFigures.seconds} s`,
        note: `${streamFigures.mbPerSecond} MB/s`,
      },
      {
        metric: "peak RSS delta while streaming",
        value: `${streamFigures.peakRssDeltaMB} MB`,
        note: `peak ${peakMb} MB`,
      },
    ];
    if (buffered) {
      rows.push({
        metric: "buffered JSON.parse peak RSS delta",
        value: `${buffered.peakRssDeltaMB} MB`,
        note: `${buffered.seconds} s`,
      });
    }
    return { figures, rows };
  } finally {
    await client.close();
    await credential.close();
    await stopEmulatorProcess(info);
  }
}
