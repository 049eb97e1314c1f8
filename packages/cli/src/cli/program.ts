/**
 * The command tree (commander). Each action builds the context from the global options, runs its
 * command module and reports an exit code; parsing and dispatch live here, behaviour in commands/.
 */
import { readFileSync } from "node:fs";
import { Command, InvalidArgumentError, Option } from "commander";
import type { SearchKind } from "d365fo-client";
import { registerDataCommands } from "./commands/data-program.js";
import { registerMcpCommand } from "./commands/mcp-program.js";
import type { CliContext, GlobalOptions } from "./context.js";
import type { OutputStreams } from "./output.js";

export interface ProgramHooks {
  streams: OutputStreams;
  createContext(globals: GlobalOptions): CliContext;
  setExitCode(code: number): void;
}

export function cliVersion(): string {
  try {
    const url = new URL("../../package.json", import.meta.url);
    return (JSON.parse(readFileSync(url, "utf8")) as { version?: string }).version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

export function parsePositiveInt(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed <= 0) {
    throw new InvalidArgumentError("must be a positive integer");
  }
  return parsed;
}

export function parseNonNegativeInt(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed)) {
    throw new InvalidArgumentError("must be an integer >= 0");
  }
  return parsed;
}

export function parseNonNegativeNumber(value: string): number {
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed) || parsed < 0) {
    throw new InvalidArgumentError("must be a number >= 0");
  }
  return parsed;
}

export const SYNC_STRATEGIES = ["full", "entities", "labels", "reverify"] as const;
export const SEARCH_KINDS = [
  "dataEntity",
  "publicEntity",
  "property",
  "enumeration",
  "enumMember",
  "action",
  "label",
] as const;

export function parseSearchKinds(value: string): SearchKind[] {
  const kinds = value
    .split(",")
    .map((kind) => kind.trim())
    .filter(Boolean);
  const unknown = kinds.filter((kind) => !(SEARCH_KINDS as readonly string[]).includes(kind));
  if (kinds.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`expected one or more of ${SEARCH_KINDS.join(", ")}`);
  }
  return kinds as SearchKind[];
}

export function buildProgram(hooks: ProgramHooks): Command {
  const program = new Command("d365fo");

  // Command modules load on demand: `profile list` should not pay for @azure/identity, undici
  // or the emulator's generator.
  const run =
    <A extends unknown[]>(
      load: () => Promise<(ctx: CliContext, ...args: A) => Promise<number | undefined>>,
    ) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const globals = command.optsWithGlobals() as GlobalOptions;
      const ctx = hooks.createContext(globals);
      const handler = await load();
      const code = await handler(ctx, ...(args.slice(0, -1) as A));
      hooks.setExitCode(code ?? 0);
    };
  const profileCommands = () => import("./commands/profile.js");
  const environmentCommands = () => import("./commands/environment.js");
  const metadataCommands = () => import("./commands/metadata.js");
  const cacheCommands = () => import("./commands/cache.js");

  program
    .description("Dynamics 365 Finance & Operations metadata client (module-versioned, shared cache)")
    .version(cliVersion(), "-V, --version", "print the d365fo CLI version")
    .option("-p, --profile <name>", "use this profile (default: the default profile; env D365FO_PROFILE)")
    .option("--base-url <url>", "environment URL, without a profile (env D365FO_BASE_URL)")
    .option("--tenant-id <id>", "Entra tenant id (env D365FO_TENANT_ID)")
    .option("--client-id <id>", "app registration client id (env D365FO_CLIENT_ID)")
    .option(
      "--authority-host <url>",
      "Entra authority host (env D365FO_AUTHORITY_HOST / AZURE_AUTHORITY_HOST)",
    )
    .option(
      "--access-token-stdin",
      "read a bearer token for the environment from stdin instead of signing in (env D365FO_ACCESS_TOKEN)",
    )
    .option("--cache-dir <dir>", "metadata cache directory (env D365FO_CACHE_DIR)")
    .option(
      "--cache-url <url>",
      "PostgreSQL URL of a metadata cache shared by a team, instead of the SQLite file in the cache directory (env D365FO_CACHE_URL)",
    )
    .option("--language <tag>", "label language, e.g. en-US or de-DE")
    .option(
      "--timeout <ms>",
      "timeout in ms for a response to start, or a body to continue",
      parsePositiveInt,
    )
    .option(
      "--retries <n>",
      "retries of a failed request (429, 5xx, network); default 5",
      parseNonNegativeInt,
    )
    .option("--json", "print one JSON document on stdout")
    .option("-v, --verbose", "debug logs and stack traces on stderr")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => hooks.streams.stdout.write(text),
      writeErr: (text) => hooks.streams.stderr.write(text),
      // Errors are reported once, by main, as `d365fo: <message> [<code>]`.
      outputError: () => {},
    });

  const profile = program.command("profile").description("manage named environments (profiles)");
  profile
    .command("add <name>")
    .description("add or replace a profile (secrets: --client-secret-env or --client-secret-stdin)")
    .option("--client-secret-env <VAR>", "read the client secret from this environment variable at run time")
    .option(
      "--client-secret-stdin",
      "read the client secret from stdin (a hidden prompt on a terminal) and store it in the profile file (0600)",
    )
    .option("--default", "make it the default profile")
    .option("-f, --force", "replace an existing profile")
    .addHelpText(
      "after",
      "\nConnection fields come from the global options: --base-url (required), --tenant-id, --client-id,\n--authority-host. Example:\n  printf '%s' \"$SECRET\" | d365fo profile add dev --base-url https://contoso-dev.sandbox.operations.dynamics.com \\\n    --tenant-id <tenant> --client-id <app> --client-secret-stdin",
    )
    .action(run(async () => (await profileCommands()).profileAddCommand));
  profile
    .command("list")
    .description("list profiles (secrets are never shown)")
    .action(run(async () => (await profileCommands()).profileListCommand));
  profile
    .command("show <name>")
    .description("show one profile")
    .action(run(async () => (await profileCommands()).profileShowCommand));
  profile
    .command("remove <name>")
    .alias("rm")
    .description("remove a profile")
    .action(run(async () => (await profileCommands()).profileRemoveCommand));
  profile
    .command("default <name>")
    .description("make a profile the default")
    .action(run(async () => (await profileCommands()).profileDefaultCommand));

  program
    .command("version")
    .description("the environment's version: installed modules and their hashes")
    .option("--modules", "list every installed module")
    .option("--cached", "answer from the cache's last detection instead of asking the environment")
    .action(run(async () => (await environmentCommands()).versionCommand));

  program
    .command("sync")
    .description("download the environment's metadata (shared with environments on the same module set)")
    .addOption(
      new Option("--strategy <strategy>", "what to sync").choices([...SYNC_STRATEGIES]).default("full"),
    )
    .option("--no-wait", "fail instead of waiting when another process syncs the same version")
    .option("--no-progress", "no progress on stderr")
    .option(
      "--force",
      "publish the download even when its counts look implausible (no data entities, a collection that collapsed)",
    )
    .action(run(async () => (await environmentCommands()).syncCommand));

  program
    .command("search <text...>")
    .description("search entities, enumerations, properties and labels in the synced metadata")
    .option("--kind <kinds>", `kinds of hits, comma-separated: ${SEARCH_KINDS.join(", ")}`, parseSearchKinds)
    .option("--category <category>", "entity category, e.g. Master, Transaction")
    .option("--limit <n>", "hits per page (1-500)", parsePositiveInt, 20)
    .option("--offset <n>", "hits to skip", (v) => parseNonNegativeNumber(v), 0)
    .action(run(async () => (await metadataCommands()).searchCommand));

  program
    .command("entity <name>")
    .description("a public entity's schema: labels, keys, enum types, navigation, actions")
    .action(run(async () => (await metadataCommands()).entityCommand));

  program
    .command("enum <name>")
    .description("an enumeration's members with labels")
    .action(run(async () => (await metadataCommands()).enumCommand));

  program
    .command("label <id>")
    .description("a label's text, e.g. @SYS12345")
    .action(run(async () => (await metadataCommands()).labelCommand));

  program
    .command("compare <a> <b>")
    .description("compare two synced environments (profile names or base URLs): modules and public entities")
    .action(run(async () => (await import("./commands/compare.js")).compareCommand));

  program
    .command("codegen [entities...]")
    .description(
      "TypeScript types and zod schemas for public entities, from the synced metadata (--check: drift)",
    )
    .option("--out <dir>", "directory of the generated files (and their manifest d365fo-codegen.json)")
    .option("--all", "every public entity of the environment's version")
    .option(
      "--check",
      "compare <dir> with the environment's current version; exit 17 naming the changed types",
    )
    .option("--no-sync", "with --check: compare with the cached version, without asking the environment")
    .option(
      "--client-module <specifier>",
      "module the generated files import EntityDescriptor from",
      "d365fo-client",
    )
    .action(run(async () => (await import("./commands/codegen.js")).codegenCommand));

  registerDataCommands(program, run);
  registerMcpCommand(program, run);

  const cache = program.command("cache").description("the metadata cache (SQLite file or shared PostgreSQL)");
  cache
    .command("stats")
    .description("sharing and storage statistics")
    .action(run(async () => (await cacheCommands()).cacheStatsCommand));
  cache
    .command("cleanup")
    .description("remove versions no environment uses any more")
    .option("--dry-run", "only report what would be removed")
    .option("--retention-days <days>", "keep versions used within this many days", parseNonNegativeNumber)
    .action(run(async () => (await cacheCommands()).cacheCleanupCommand));
  cache
    .command("reset")
    .description("delete the local SQLite cache (e.g. a corrupt one); the next sync rebuilds it")
    .action(run(async () => (await cacheCommands()).cacheResetCommand));
  cache
    .command("import")
    .description("import the Python d365fo-client's metadata caches (default locations, or --from)")
    .option(
      "--from <path>",
      "a Python cache file (metadata_v2.db, <host>/metadata.db) or a folder holding one",
    )
    .option("--dry-run", "only print what would be imported, repaired, distrusted and skipped")
    .action(run(async () => (await import("./commands/cache-import.js")).cacheImportCommand));

  program
    .command("doctor")
    .description(
      "check Node, the metadata store, permissions, and each profile's connectivity and authentication",
    )
    .option("--offline", "local checks only")
    .action(run(async () => (await import("./commands/doctor.js")).doctorCommand));

  program
    .command("emulator")
    .description("start the D365 F&O emulator (same options as 'npm run emulator'; --help lists them)")
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .argument("[args...]")
    .action(run(async () => (await import("./commands/emulator.js")).emulatorCommand));

  return program;
}
