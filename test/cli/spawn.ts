/**
 * Runs the real `d365fo` bin (`node packages/cli/bin/d365fo.js`, which loads the packages' dist/) in a child process with an
 * isolated environment: temp config and cache directories, the emulator's CA trusted through
 * NODE_EXTRA_CA_CERTS, and none of the caller's D365FO_* / AZURE_* variables.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = join(ROOT, "packages", "cli", "bin", "d365fo.js");
export const DIST_MAIN = join(ROOT, "packages", "cli", "dist", "cli", "main.js");

export function assertBuilt(): void {
  if (!existsSync(DIST_MAIN)) {
    throw new Error(
      `${DIST_MAIN} is missing: the CLI tests spawn the built bin. Run 'npm run build' (npm test builds first).`,
    );
  }
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Called with each stderr chunk (e.g. to send SIGINT once progress shows). */
  onStderr?: (chunk: string, child: import("node:child_process").ChildProcess) => void;
  timeoutMs?: number;
}

/** The parent's environment minus anything that could select or authenticate an environment. */
export function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(D365FO_|AZURE_|NODE_EXTRA_CA_CERTS|XDG_)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

export function runCli(args: string[], options: SpawnOptions = {}): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: options.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      options.onStderr?.(chunk, child);
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`d365fo ${args.join(" ")} did not finish in time; stderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? "");
  });
}

export function nonEmptyLines(text: string): string[] {
  return text.split("\n").filter((line) => line.trim() !== "");
}
