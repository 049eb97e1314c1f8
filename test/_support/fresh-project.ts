/**
 * The packages as a user gets them, for the install test (test/package/install.e2e.test.ts) and the
 * footprint bench (bench/footprint.ts): each workspace packed as `npm publish` would pack it, and
 * installed into a fresh project in the temp directory, every process running with the environment
 * of a user's shell (see `userEnv`).
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface Workspace {
  /** The footprint bench's name for its row (`--only`). */
  key: string;
  /** Its directory under packages/. */
  dir: string;
  /** Its package name. */
  name: string;
}

/** The four published workspaces. */
export const WORKSPACES: readonly Workspace[] = [
  { key: "library", dir: "client", name: "d365fo-client" },
  { key: "cli", dir: "cli", name: "@d365fo/cli" },
  { key: "emulator", dir: "emulator", name: "@d365fo/emulator" },
  { key: "postgres", dir: "postgres", name: "@d365fo/postgres" },
];

/** A workspace's directory in the repository. */
export function workspacePath(workspace: Workspace): string {
  return join(ROOT, "packages", workspace.dir);
}

/** npm settings that describe the user's machine (registry, cache, certificates), not the `npm run` in progress. */
const KEPT_NPM_CONFIG = new Set(
  [
    "cache",
    "registry",
    "userconfig",
    "globalconfig",
    "cafile",
    "nodedir",
    "proxy",
    "https_proxy",
    "noproxy",
  ].map((key) => `npm_config_${key}`),
);

/**
 * The parent's environment as a user's shell would have it: no `npm run` context (npm_* variables,
 * INIT_CWD, the repository's `node_modules/.bin` on PATH), no D365FO_* / AZURE_* variables, no
 * NODE_OPTIONS, tsx or test-runner variables; then `extra`.
 */
export function userEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (
      /^(D365FO_|AZURE_|XDG_|VITEST|TSX_|NODE_EXTRA_CA_CERTS$|NODE_OPTIONS$|NODE_ENV$|INIT_CWD$|TEST$)/i.test(
        key,
      )
    )
      continue;
    if (/^npm_/i.test(key) && !KEPT_NPM_CONFIG.has(key.toLowerCase())) continue;
    env[key] = value;
  }
  env.PATH = (env.PATH ?? "")
    .split(delimiter)
    .filter((entry) => entry !== "" && !entry.startsWith(ROOT) && !/node_modules[\\/]\.bin$/.test(entry))
    .join(delimiter);
  return { ...env, ...extra };
}

export interface Run {
  /** The command line. */
  command: string;
  cwd: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

export function tail(text: string, lines = 40): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** A failed step's message: the command, its exit and the end of its stderr (and stdout). */
export function explain(run: Run): string {
  return [
    `${run.command} (in ${run.cwd}, ${run.seconds.toFixed(1)} s) exited ${run.code ?? run.signal}`,
    `--- stderr (tail) ---\n${tail(run.stderr)}`,
    `--- stdout (tail) ---\n${tail(run.stdout, 20)}`,
  ].join("\n");
}

export interface RunOptions {
  cwd: string;
  /** Default: `userEnv()`. */
  env?: Record<string, string>;
  /** Killed (SIGKILL) and rejected after this long; default: no limit. */
  timeoutMs?: number;
}

/** Runs a command to completion, whatever its exit (`succeeds` throws on a failure). */
export function runCommand(command: string, args: string[], options: RunOptions): Promise<Run> {
  const started = performance.now();
  const label = [command, ...args].join(" ");
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? userEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out = { stdout: "", stderr: "" };
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out.stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      out.stderr += chunk;
    });
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill("SIGKILL");
            reject(
              new Error(`${label} did not finish in ${options.timeoutMs! / 1000} s\n${tail(out.stderr)}`),
            );
          }, options.timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`${label} could not start: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      resolvePromise({ command: label, cwd: options.cwd, code, signal, ...out, seconds });
    });
  });
}

/** `runCommand`, throwing with `explain` unless the command exits 0. */
export async function succeeds(command: string, args: string[], options: RunOptions): Promise<Run> {
  const run = await runCommand(command, args, options);
  if (run.code !== 0) throw new Error(explain(run));
  return run;
}

export interface Packed {
  name: string;
  version: string;
  /** Its path. */
  tarball: string;
  /** Size of the .tgz. */
  size: number;
  unpackedSize: number;
}

/** `npm pack` of the package in `dir` (its `files`, as `npm publish` would pack it) into `destination`. */
export async function pack(
  dir: string,
  destination: string,
  options: { ignoreScripts?: boolean; timeoutMs?: number } = {},
): Promise<Packed> {
  const run = await succeeds(
    "npm",
    [
      "pack",
      "--json",
      "--pack-destination",
      destination,
      ...(options.ignoreScripts ? ["--ignore-scripts"] : []),
    ],
    { cwd: dir, timeoutMs: options.timeoutMs },
  );
  const [info] = JSON.parse(run.stdout.slice(run.stdout.indexOf("["))) as {
    name: string;
    version: string;
    filename: string;
    size: number;
    unpackedSize: number;
  }[];
  return {
    name: info.name,
    version: info.version,
    tarball: join(destination, info.filename),
    size: info.size,
    unpackedSize: info.unpackedSize,
  };
}

/** The fresh project's package.json: an ES module project that approves better-sqlite3's install script. */
export function writeProjectManifest(project: string, name: string): void {
  writeFileSync(
    join(project, "package.json"),
    `${JSON.stringify(
      {
        name,
        private: true,
        type: "module",
        // npm 11 asks for install scripts to be approved; better-sqlite3 builds its native addon.
        allowScripts: { "better-sqlite3": true },
      },
      null,
      2,
    )}\n`,
  );
}

/** `npm install` of `specs` (tarball paths, `name@version`) into the fresh project; throws unless it succeeds. */
export function npmInstall(project: string, specs: string[], timeoutMs?: number): Promise<Run> {
  return succeeds("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", ...specs], {
    cwd: project,
    timeoutMs,
  });
}
