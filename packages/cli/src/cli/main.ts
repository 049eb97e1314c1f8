/**
 * The `d365fo` command: `main(argv)` parses, runs one command and returns the exit code (bin/
 * sets `process.exitCode`; nothing here calls `process.exit`, so buffered output is never lost).
 *
 * Failure contract: exactly one line on stderr, `d365fo: <message> [<code>]` (the stack only with
 * `--verbose`), in `--json` mode also `{"error":{code,message,exitCode,hint,details}}` on stdout
 * (the hint that fits the cause, from the error registry), and the exit code of the error's kind.
 */
import { CommanderError } from "commander";
import { AbortedError, createLogger, isD365Error, type Logger, silentLogger } from "d365fo-client";
import { CliContextImpl, type GlobalOptions } from "./context.js";
import { UsageError } from "./errors.js";
import { ExitCode, effectiveErrorCode, exitCodeForError, hintForError } from "./exit-codes.js";
import { Output, type OutputStreams } from "./output.js";
import { buildProgram } from "./program.js";
import { redactingStream, SecretRedactor } from "./redact.js";
import { resolveCacheUrl } from "./settings.js";

export interface MainOptions {
  env?: NodeJS.ProcessEnv;
  streams?: OutputStreams;
  /** Abort signal from the embedder; `main` also aborts on SIGINT / SIGTERM when it owns the process. */
  signal?: AbortSignal;
  /** Install SIGINT / SIGTERM handlers (default true). */
  handleSignals?: boolean;
}

/** One line: newlines collapsed, so the failure contract holds for multi-line library messages. */
export function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const flat = message.replace(/\s*\n\s*/g, " ").trim() || "Unknown error";
  return `d365fo: ${flat} [${displayCode(error)}]`;
}

/** The code shown to the user: the effective one (see exit-codes.ts), for D365 errors only. */
function displayCode(error: unknown): string {
  const code = effectiveErrorCode(error);
  return code?.startsWith("D365_") ? code : "D365_UNEXPECTED";
}

function usageMessage(error: CommanderError): string {
  // A command group without its subcommand: commander has printed the group's help on stderr.
  if (error.code === "commander.help") return "a command is missing (see the help above)";
  // Commander prefixes "error: " and may append a suggestion on a new line.
  return error.message
    .replace(/^error:\s*/i, "")
    .replace(/\s*\n\s*/g, " ")
    .trim();
}

export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const rawStreams = options.streams ?? { stdout: process.stdout, stderr: process.stderr };
  const redactor = new SecretRedactor();
  const streams: OutputStreams = {
    stdout: redactingStream(rawStreams.stdout, redactor),
    stderr: redactingStream(rawStreams.stderr, redactor),
  };

  // `d365fo … | head` closes the pipe early: stop writing quietly instead of crashing on EPIPE.
  for (const stream of [process.stdout, process.stderr]) {
    const used = rawStreams.stdout === stream || rawStreams.stderr === stream;
    if (used && stream.listenerCount("error") === 0) stream.on("error", ignoreBrokenPipe);
  }

  const controller = new AbortController();
  if (options.signal) {
    if (options.signal.aborted) controller.abort(options.signal.reason);
    else
      options.signal.addEventListener("abort", () => controller.abort(options.signal?.reason), {
        once: true,
      });
  }
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      streams.stderr.write(`\n${signal}: stopping cleanly (send it again to force)\n`);
      controller.abort();
    } else {
      process.exit(ExitCode.aborted);
    }
  };
  const handleSignals = options.handleSignals ?? true;
  if (handleSignals) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }

  let context: CliContextImpl | undefined;
  let output = new Output(argv.includes("--json"), streams);
  let verbose = argv.includes("--verbose") || argv.includes("-v");
  let exitCode: number = ExitCode.ok;

  const program = buildProgram({
    streams,
    createContext: (globals: GlobalOptions) => {
      output = new Output(globals.json === true, streams);
      verbose = globals.verbose === true;
      const logger: Logger =
        globals.verbose || env.D365FO_LOG_LEVEL
          ? createLogger({ level: globals.verbose ? "debug" : env.D365FO_LOG_LEVEL })
          : silentLogger;
      // A cache URL may carry a database password: nothing the CLI writes may repeat it.
      redactor.addUrlPassword(resolveCacheUrl(globals, env));
      context = new CliContextImpl(output, rawStreams, env, globals, controller.signal, logger, redactor);
      return context;
    },
    setExitCode: (code: number) => {
      exitCode = code;
    },
  });

  try {
    // The emulator has its own options (some share names with ours): hand it the raw arguments.
    if (argv[2] === "emulator") {
      const { runEmulatorCommand } = await import("./commands/emulator.js");
      return await runEmulatorCommand(argv.slice(3), controller.signal);
    }
    await program.parseAsync(argv);
    return exitCode;
  } catch (caught) {
    let error = caught;
    if (caught instanceof CommanderError) {
      // --help and --version are successes that commander reports by throwing.
      if (caught.exitCode === 0) return ExitCode.ok;
      error = new UsageError(usageMessage(caught), { cause: caught });
    }
    if (controller.signal.aborted && !(isD365Error(error) && error.code === "D365_ABORTED")) {
      error = new AbortedError("Interrupted", { cause: error });
    }
    const explicit =
      error && typeof error === "object" && "exitCode" in error && typeof error.exitCode === "number"
        ? error.exitCode
        : undefined;
    return reportFailure(output, streams, verbose, error, explicit ?? exitCodeForError(error));
  } finally {
    await (context as CliContextImpl | undefined)?.closeAll();
    if (handleSignals) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  }
}

function ignoreBrokenPipe(error: NodeJS.ErrnoException): void {
  if (error.code === "EPIPE") return;
  throw error;
}

function reportFailure(
  output: Output,
  streams: OutputStreams,
  verbose: boolean,
  error: unknown,
  exitCode: number,
): number {
  const line = errorLine(error);
  streams.stderr.write(`${line}\n`);
  if (verbose && error instanceof Error && error.stack) {
    streams.stderr.write(`${error.stack}\n`);
    if (error.cause instanceof Error && error.cause.stack)
      streams.stderr.write(`Caused by: ${error.cause.stack}\n`);
  }
  const code = displayCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const details = isD365Error(error)
    ? { status: error.status, requestId: error.requestId, activityId: error.activityId, url: error.url }
    : undefined;
  output.errorDocument({ code, message, exitCode, hint: hintForError(error), details });
  return exitCode;
}
