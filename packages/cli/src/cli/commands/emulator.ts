/**
 * `d365fo emulator …`: the emulator's own command line (`d365fo-emulator`, the same as
 * `npm run emulator`) in this process: one JSON line describing it on stdout, serves until Ctrl-C.
 * The emulator is its own package, an optional peer: loaded here only, with a clear error if absent.
 */
import { CommanderError } from "commander";
import { ConfigurationError } from "d365fo-client";
import { UsageError } from "../errors.js";

const EMULATOR_PACKAGE = "@d365fo/emulator";

async function loadEmulatorCli(): Promise<typeof import("@d365fo/emulator/cli")> {
  try {
    return await import("@d365fo/emulator/cli");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ERR_MODULE_NOT_FOUND" || !String(error).includes(EMULATOR_PACKAGE)) throw error;
    throw new ConfigurationError(
      `d365fo emulator needs the ${EMULATOR_PACKAGE} package: npm install ${EMULATOR_PACKAGE}`,
      { cause: error },
    );
  }
}

/** Runs the emulator CLI with `args` (everything after `emulator`) until `signal` aborts. */
export async function runEmulatorCommand(args: readonly string[], signal: AbortSignal): Promise<number> {
  try {
    const { runEmulatorCli } = await loadEmulatorCli();
    await runEmulatorCli(args, signal);
    return 0;
  } catch (error) {
    const cause = (error as { cause?: unknown })?.cause;
    if (cause instanceof CommanderError) {
      // --help: the emulator printed its help (to stderr) and asked to exit successfully.
      if (cause.exitCode === 0) return 0;
      throw new UsageError(`emulator: ${(error as Error).message}`, { cause: error });
    }
    throw error;
  }
}

export async function emulatorCommand(
  ctx: { signal: AbortSignal },
  args: string[] | undefined,
): Promise<number> {
  return runEmulatorCommand(args ?? [], ctx.signal);
}
