/**
 * Shared set-up for the sync's end-to-end tests: a real emulator on loopback, a real
 * MetadataApiClient with the emulator's Entra credential, and a real store (on each backend of
 * `syncStoreBackends()`, see _backends.ts) named by a temp dir.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClientSecretCredential, type TokenCredential } from "@azure/identity";
import type { HttpOptions } from "../../packages/client/src/http/client.js";
import { MetadataApiClient } from "../../packages/client/src/metadata/client.js";
import type { MetadataStore } from "../../packages/client/src/store/types.js";
import { SmartSyncManagerV2 } from "../../packages/client/src/sync/manager.js";
import type { SmartSyncManagerOptions } from "../../packages/client/src/sync/types.js";
import { ModuleVersionDetector } from "../../packages/client/src/version/detector.js";
import type {
  EmulatorEnvironment,
  EmulatorOptions,
  RunningEmulator,
} from "../../packages/emulator/src/api.js";
import { startEmulator } from "../../packages/emulator/src/index.js";

export const ZERO_LATENCY = { baseMs: 0, jitterMs: 0, perMbMs: 0, actionMs: 0, firstRequestMs: 0 };

export function startTestEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  return startEmulator({ ...options, knobs: { latency: ZERO_LATENCY, ...options.knobs } });
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `d365fo-sync-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function emulatorCredential(emulator: RunningEmulator): ClientSecretCredential {
  const { tenantId, clientId, clientSecret } = emulator.credentials;
  return new ClientSecretCredential(tenantId, clientId, clientSecret, emulator.credentialOptions());
}

/** Version detection as the library does it: GetInstalledModules plus two version actions (3 requests). */
export function threeCallDetector(client: MetadataApiClient): ModuleVersionDetector {
  return new ModuleVersionDetector(client);
}

export interface SyncStack {
  client: MetadataApiClient;
  sync: SmartSyncManagerV2;
  close(): Promise<void>;
}

export function createSyncStack(
  env: Pick<EmulatorEnvironment, "baseUrl">,
  store: MetadataStore,
  credential: TokenCredential,
  options: Partial<SmartSyncManagerOptions> = {},
  http: HttpOptions = {},
): SyncStack {
  const client = new MetadataApiClient({
    baseUrl: env.baseUrl,
    credential,
    // Faults are retried quickly in tests; the server's Retry-After still wins on a 429.
    http: { retry: { maxAttempts: 8, baseDelayMs: 5, maxDelayMs: 50 }, ...http },
  });
  const sync = new SmartSyncManagerV2({
    store,
    source: client,
    detector: threeCallDetector(client),
    ...options,
  });
  return { client, sync, close: () => client.close() };
}
