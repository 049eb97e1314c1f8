/**
 * The emulator in a child process, for benchmarks: its memory and CPU stay out of the measured
 * process. Started from source (`d365fo-source`), it prints one JSON line describing itself.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { Agent, fetch } from "undici";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The emulator's first stdout line. */
export interface EmulatorDescription {
  environments: { name: string; baseUrl: string; release: string }[];
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string;
  adminUrl: string;
  caCertificatePath: string;
}

export interface EmulatorProcess extends EmulatorDescription {
  child: ChildProcess;
}

export interface EmulatorProcessOptions {
  /** Upgrade step per environment, e.g. `0,0,1` (three environments); default one environment. */
  releases?: string;
  log?: (message: string) => void;
}

export async function startEmulatorProcess(
  preset: string,
  options: EmulatorProcessOptions = {},
): Promise<EmulatorProcess> {
  const environments = options.releases
    ? ["--envs", String(options.releases.split(",").length), "--releases", options.releases]
    : ["--envs", "1"];
  const child = spawn(
    process.execPath,
    [
      "--conditions=d365fo-source",
      "--import",
      "tsx",
      join(ROOT, "packages/emulator/src/cli.ts"),
      "--preset",
      preset,
      ...environments,
      "--log-level",
      "warn",
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
  );
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`emulator exited ${code} before it was ready`)));
  });
  const described = JSON.parse(first) as EmulatorDescription;
  options.log?.(
    `emulator (${preset}) ready: ${described.environments.map((e) => `${e.name}=${e.release}`).join(", ")}`,
  );
  return { child, ...described };
}

/** Stops the emulator and waits for its exit. */
export async function stopEmulatorProcess(emu: EmulatorProcess): Promise<void> {
  if (emu.child.exitCode !== null) return;
  const exited = new Promise((resolve) => emu.child.once("exit", resolve));
  emu.child.kill("SIGTERM");
  await exited;
}

/** A call to the emulator's admin API, `path` below `/environments/`. */
export async function admin<T>(
  emu: EmulatorDescription,
  path: string,
  init?: { method: string; body?: unknown },
): Promise<T> {
  const response = await fetch(`${emu.adminUrl}/environments/${path}`, {
    method: init?.method ?? "GET",
    ...(init?.body === undefined
      ? {}
      : { body: JSON.stringify(init.body), headers: { "content-type": "application/json" } }),
  });
  if (!response.ok) throw new Error(`admin ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Client-credentials tokens from the emulator's Entra-style endpoint, its CA trusted explicitly. */
export function emulatorCredential(emu: EmulatorDescription): TokenCredential & { close(): Promise<void> } {
  const dispatcher = new Agent({ connect: { ca: readFileSync(emu.caCertificatePath, "utf8") } });
  return {
    async getToken(scopes): Promise<AccessToken> {
      const response = await fetch(emu.tokenEndpoint, {
        method: "POST",
        dispatcher,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: emu.clientId,
          client_secret: emu.clientSecret,
          scope: Array.isArray(scopes) ? scopes.join(" ") : scopes,
        }).toString(),
      });
      const body = (await response.json()) as { access_token?: string; expires_in?: number };
      if (!body.access_token) throw new Error(`token endpoint answered ${response.status}`);
      return { token: body.access_token, expiresOnTimestamp: Date.now() + (body.expires_in ?? 3600) * 1000 };
    },
    close: () => dispatcher.close(),
  };
}

/** One bearer token for `audience` (an environment's base URL). */
export async function fetchToken(emu: EmulatorDescription, audience: string): Promise<string> {
  const credential = emulatorCredential(emu);
  try {
    const token = await credential.getToken(`${audience}/.default`);
    if (!token) throw new Error("the emulator issued no token");
    return token.token;
  } finally {
    await credential.close();
  }
}
