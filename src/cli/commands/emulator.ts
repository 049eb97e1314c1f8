/**
 * `d365fo emulator …`: the emulator's own command line (src/emulator/cli.ts, the same as
 * `npm run emulator`) in this process: one JSON line describing it on stdout, serves until Ctrl-C.
 */
import { CommanderError } from "commander";
import { runEmulatorCli } from "../../emulator/cli.js";
import { UsageError } from "../errors.js";

/** Runs the emulator CLI with `args` (everything after `emulator`) until `signal` aborts. */
export async function runEmulatorCommand(args: readonly string[], signal: AbortSignal): Promise<number> {
  try {
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
