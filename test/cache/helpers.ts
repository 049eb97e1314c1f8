/** Shared set-up for the cache's end-to-end tests: an emulator, temp dirs, credentials. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClientSecretCredential } from "@azure/identity";
import type { EmulatorOptions, RunningEmulator } from "../../packages/emulator/src/api.js";
import { startEmulator } from "../../packages/emulator/src/index.js";

export const ZERO_LATENCY = { baseMs: 0, jitterMs: 0, perMbMs: 0, actionMs: 0, firstRequestMs: 0 };

export async function startTestEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  return startEmulator({ knobs: { latency: ZERO_LATENCY }, ...options });
}

export function emulatorCredential(emulator: RunningEmulator): ClientSecretCredential {
  return new ClientSecretCredential(
    emulator.credentials.tenantId,
    emulator.credentials.clientId,
    emulator.credentials.clientSecret,
    emulator.credentialOptions(),
  );
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `d365fo-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
