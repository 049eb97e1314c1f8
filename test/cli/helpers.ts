import { Writable } from "node:stream";
import { main } from "../../packages/cli/src/cli/main.js";

export interface CapturedRun {
  code: number;
  stdout: string;
  stderr: string;
}

class Capture extends Writable {
  text = "";
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += typeof chunk === "string" ? chunk : chunk.toString("utf8");
    callback();
  }
}

/** Runs `main` in-process with captured stdout / stderr (unit tests of parsing and output). */
export async function runInProcess(args: string[], env: NodeJS.ProcessEnv): Promise<CapturedRun> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(["node", "d365fo", ...args], {
    env,
    streams: { stdout, stderr },
    handleSignals: false,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

export function stderrLines(text: string): string[] {
  return text.split("\n").filter((line) => line.trim() !== "");
}
