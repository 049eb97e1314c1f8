/** `d365fo emulator …`: the emulator's own command line (src/emulator/cli.ts), in this process. */
import type { CliContext } from "../context.js";

export async function emulatorCommand(_ctx: CliContext, _args: string[]): Promise<number> {
  throw new Error("emulator: not wired yet");
}
