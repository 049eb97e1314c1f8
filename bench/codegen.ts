/**
 * `npm run bench -- codegen [--preset medium|large] [--entities N|all] [--no-tsc] [--json]`
 *
 * Against the in-process emulator, after a sync into a temp cache: the time to generate the
 * TypeScript of N public entities (default all) from the cache (cold: the first run, reading
 * definitions and labels from the store; warm: a second run), the bytes and files written, and
 * the time `tsc --strict` (compiler API, noEmit) takes on the result.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { listPublicEntities } from "../packages/client/src/codegen/generate.js";
import { connect } from "../packages/client/src/data/connect.js";
import { generateCode, writeGeneratedCode } from "../packages/client/src/index.js";
import { silentLogger } from "../packages/client/src/logging.js";
import { startEmulator } from "../packages/emulator/src/index.js";
import type { PresetName } from "../packages/emulator/src/model/types.js";
import { emulatorCredential, ZERO_LATENCY } from "../test/cache/helpers.js";
import { round } from "./_stats.js";
import type { BenchArgs, BenchResult } from "./run.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function typecheck(dir: string): { ms: number; diagnostics: number } {
  const started = performance.now();
  const program = ts.createProgram({
    rootNames: [join(dir, "index.ts")],
    options: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    },
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).length;
  return { ms: performance.now() - started, diagnostics };
}

export async function run(args: BenchArgs): Promise<BenchResult> {
  const preset = String(args.flags.preset ?? "medium") as PresetName;
  const limit =
    args.flags.entities === undefined || args.flags.entities === "all"
      ? Infinity
      : Number(args.flags.entities);
  const withTsc = args.flags["no-tsc"] !== true;
  mkdirSync(join(ROOT, ".tmp"), { recursive: true });
  const work = mkdtempSync(join(ROOT, ".tmp", "bench-codegen-"));
  const emulator = await startEmulator({
    preset,
    environments: 1,
    languages: [],
    logger: silentLogger,
    knobs: { latency: ZERO_LATENCY },
  });
  try {
    args.log(`syncing the ${preset} preset into ${work}`);
    let started = performance.now();
    const d365 = await connect({
      baseUrl: emulator.environments[0].baseUrl,
      credential: emulatorCredential(emulator),
      cacheDir: join(work, "cache"),
      syncMetadata: true,
    });
    const syncMs = performance.now() - started;
    try {
      const all = await listPublicEntities(d365.cache);
      const entities = all.slice(0, Math.min(limit, all.length));
      // The generated files import the descriptor type straight from the source (what tsc checks is the output).
      const clientModule = join(ROOT, "packages", "client", "src", "codegen", "descriptor.js");
      args.log(`generating ${entities.length} entities`);
      started = performance.now();
      const code = await generateCode(d365.cache, { entities, clientModule });
      const coldMs = performance.now() - started;
      started = performance.now();
      await generateCode(d365.cache, { entities, clientModule });
      const warmMs = performance.now() - started;
      const out = join(work, "out");
      started = performance.now();
      await writeGeneratedCode(out, code);
      const writeMs = performance.now() - started;
      const bytes = code.files.reduce((sum, f) => sum + Buffer.byteLength(f.content), 0);
      args.log(withTsc ? "type-checking the result (tsc --strict)" : "skipping tsc");
      const tsc = withTsc ? typecheck(out) : undefined;
      const figures = {
        preset,
        entities: entities.length,
        enums: Object.keys(code.manifest.enums).length,
        files: code.files.length,
        bytes,
        wallMs: round(coldMs, 0),
        warmMs: round(warmMs, 0),
        writeMs: round(writeMs, 0),
        tscMs: tsc ? round(tsc.ms, 0) : null,
        tscDiagnostics: tsc ? tsc.diagnostics : null,
        syncMs: round(syncMs, 0),
        cpus: cpus().length,
        loadAverage: loadavg().map((l) => round(l, 2)),
      };
      return {
        figures,
        rows: [
          { metric: "entities", value: figures.entities, note: `${preset}, ${figures.enums} enumerations` },
          {
            metric: "generate (cold)",
            value: `${figures.wallMs} ms`,
            note: "definitions and labels from the store",
          },
          { metric: "generate (warm)", value: `${figures.warmMs} ms` },
          { metric: "write", value: `${figures.writeMs} ms`, note: `${figures.files} files` },
          { metric: "bytes", value: bytes },
          {
            metric: "tsc --strict",
            value: tsc ? `${figures.tscMs} ms` : "skipped",
            note: tsc ? `${tsc.diagnostics} diagnostics` : "",
          },
          { metric: "sync (setup)", value: `${figures.syncMs} ms` },
          { metric: "load average", value: figures.loadAverage.join(" "), note: `${figures.cpus} cpus` },
        ],
      };
    } finally {
      await d365.close();
    }
  } finally {
    await emulator.close();
    rmSync(work, { recursive: true, force: true });
  }
}
