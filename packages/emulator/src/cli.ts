/**
 * `npm run emulator -- --preset large --envs 3`: starts the emulator, prints ONE JSON line on stdout
 * describing it (URLs, credentials, CA file), logs to stderr, serves until SIGINT/SIGTERM.
 * `runEmulatorCli` is reused by the `d365fo emulator` command.
 */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { ConfigurationError, createLogger } from "d365fo-client";
import type { EmulatorOptions, EnvironmentSpec, KnobsPatch, RunningEmulator } from "./api.js";
import { startEmulator } from "./index.js";
import type { PresetName } from "./model/types.js";
import { realisticKnobs } from "./server/knobs.js";

// The types this entry point's functions take and return, so it stands on its own.
export type * from "./api.js";
export type {
  EmulatorRelease,
  InstalledModule,
  PresetName,
  PropertyRef,
  UpgradeChangeLog,
} from "./model/types.js";

export interface EmulatorCliOptions {
  preset: PresetName;
  envs: number;
  seed?: number;
  port: number;
  releases?: number[];
  latency?: "realistic" | "strict" | number;
  throttle?: number;
  pageSize?: number;
  dataPageSize?: number;
  rows?: number;
  rowsBySet?: Record<string, number>;
  faultRate?: number;
  modulesForbidden: boolean;
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  logLevel?: string;
}

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError("expected an integer");
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

function fraction(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError("expected a number from 0 to 1");
  return n;
}

function releaseList(value: string): number[] {
  return value.split(",").map((part) => integer(0)(part));
}

/** `CustomersV3=100000,VendorsV2=500` → `{ CustomersV3: 100000, VendorsV2: 500 }`. */
function rowCounts(value: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const part of value.split(",")) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\d+)\s*$/.exec(part);
    if (!match) throw new InvalidArgumentError("expected <EntitySet>=<rows>[,<EntitySet>=<rows>…]");
    counts[match[1]] = Number(match[2]);
  }
  return counts;
}

function latency(value: string): "realistic" | "strict" | number {
  if (value === "realistic" || value === "strict") return value;
  return integer(0)(value);
}

function buildCommand(): Command {
  return new Command("emulator")
    .description("Run the D365 F&O emulator on loopback; prints one JSON line describing it")
    .addOption(
      new Option("--preset <preset>", "metadata size").choices(["tiny", "medium", "large"]).default("medium"),
    )
    .option("--envs <n>", "number of environments", integer(1, 64), 1)
    .option("--seed <n>", "generator and randomness seed", integer(0))
    .option(
      "--port <n>",
      "port of the first environment (others consecutive; 0 = ephemeral)",
      integer(0, 65535),
      0,
    )
    .option("--releases <steps>", "upgrade step per environment, e.g. 0,0,1", releaseList)
    .option(
      "--latency <realistic|strict|ms>",
      "'realistic' (protocol §5.6 profile), 'strict' (plus the historic per-user limits) or a fixed delay in ms",
      latency,
    )
    .option("--throttle <maxConcurrent>", "answer 429 above this many requests in flight", integer(1))
    .option("--page-size <n>", "server-driven page size for collections (0 = one page)", integer(0))
    .option(
      "--data-page-size <n>",
      "server-driven page size of /data collections (max 10,000)",
      integer(1, 10_000),
    )
    .option("--rows <n>", "entity rows generated per entity set (default 30)", integer(0))
    .option("--rows-by-set <counts>", "rows of particular sets, e.g. CustomersV3=100000", rowCounts)
    .option("--fault-rate <rate>", "fraction of requests answered 500 or 503 (half each)", fraction)
    .option("--modules-forbidden", "GetInstalledModules answers 403", false)
    .option("--tenant-id <guid>", "Entra tenant id")
    .option("--client-id <id>", "registered client id (default: generated from the seed)")
    .option("--client-secret <secret>", "its secret (with --client-id)")
    .option("--log-level <level>", "pino level for stderr logs", "info")
    .exitOverride()
    .configureOutput({
      // Help goes to stderr (stdout carries only the JSON line); errors are thrown, not printed.
      writeOut: (s) => process.stderr.write(s),
      writeErr: () => {},
    });
}

/**
 * Parses emulator CLI arguments (user arguments only, without node and script paths). Returns
 * undefined when `--help` was asked for (the help text went to stderr).
 */
export function parseEmulatorArgs(argv: readonly string[]): EmulatorCliOptions | undefined {
  const command = buildCommand();
  try {
    command.parse([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError && error.code === "commander.helpDisplayed") return undefined;
    if (error instanceof CommanderError) {
      throw new ConfigurationError(error.message.replace(/^error: /, ""), { cause: error });
    }
    throw error;
  }
  const o = command.opts<EmulatorCliOptions>();
  if (o.releases && o.releases.length !== o.envs) {
    if (o.envs === 1 && o.releases.length > 1) o.envs = o.releases.length;
    else
      throw new ConfigurationError(`--releases lists ${o.releases.length} steps for ${o.envs} environments`);
  }
  if ((o.clientId === undefined) !== (o.clientSecret === undefined)) {
    throw new ConfigurationError("--client-id and --client-secret go together");
  }
  return o;
}

/** Maps parsed CLI options to `startEmulator` options. */
export function emulatorOptionsFromCli(o: EmulatorCliOptions): EmulatorOptions {
  const knobs: KnobsPatch = {};
  if (o.latency === "realistic" || o.latency === "strict")
    Object.assign(knobs, realisticKnobs({ strictUserLimits: o.latency === "strict" }));
  else if (o.latency !== undefined) knobs.latency = { baseMs: o.latency };
  if (o.throttle !== undefined)
    knobs.throttling = { ...knobs.throttling, enabled: true, maxConcurrent: o.throttle };
  if (o.pageSize !== undefined) knobs.pageSize = o.pageSize;
  if (o.dataPageSize !== undefined) knobs.dataPageSize = o.dataPageSize;
  if (o.faultRate !== undefined || o.modulesForbidden) {
    knobs.faults = { installedModulesForbidden: o.modulesForbidden };
    if (o.faultRate !== undefined)
      Object.assign(knobs.faults, { error500Rate: o.faultRate / 2, error503Rate: o.faultRate / 2 });
  }
  const environments: EnvironmentSpec[] = Array.from({ length: o.envs }, (_, i) => ({
    name: `env${i + 1}`,
    release: o.releases?.[i] ?? 0,
  }));
  return {
    preset: o.preset,
    seed: o.seed,
    port: o.port,
    environments,
    knobs,
    data:
      o.rows === undefined && o.rowsBySet === undefined
        ? undefined
        : { rowsPerEntity: o.rows, rowsBySet: o.rowsBySet },
    tenantId: o.tenantId,
    clients:
      o.clientId && o.clientSecret ? [{ clientId: o.clientId, clientSecret: o.clientSecret }] : undefined,
    logger: createLogger({ name: "d365fo-emulator", level: o.logLevel }),
  };
}

/** The one JSON line the CLI prints. */
export function describeEmulator(emulator: RunningEmulator): Record<string, unknown> {
  return {
    environments: emulator.environments.map((env) => ({
      name: env.name,
      baseUrl: env.baseUrl,
      release: env.release.id,
    })),
    tokenEndpoint: emulator.tokenEndpoint,
    authorityHost: emulator.authorityHost,
    tenantId: emulator.credentials.tenantId,
    clientId: emulator.credentials.clientId,
    clientSecret: emulator.credentials.clientSecret,
    adminUrl: emulator.adminUrl,
    caCertificatePath: emulator.caCertificatePath,
  };
}

/**
 * Starts the emulator from CLI arguments, prints the JSON line on stdout, and serves until SIGINT or
 * SIGTERM (or `signal` aborts), then closes cleanly. Throws ConfigurationError on bad arguments.
 */
export async function runEmulatorCli(argv: readonly string[], signal?: AbortSignal): Promise<void> {
  const parsed = parseEmulatorArgs(argv);
  if (!parsed) return;
  const options = emulatorOptionsFromCli(parsed);
  const emulator = await startEmulator(options);
  process.stdout.write(`${JSON.stringify(describeEmulator(emulator))}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      signal?.removeEventListener("abort", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    signal?.addEventListener("abort", stop);
    if (signal?.aborted) stop();
  });
  await emulator.close();
}

function isMain(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  runEmulatorCli(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`d365fo emulator: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(error instanceof ConfigurationError ? 2 : 1);
    },
  );
}
