/** Starting the emulator and a client against it, for end-to-end tests. */

import type { HttpOptions } from "../../packages/client/src/http/client.js";
import { MetadataApiClient } from "../../packages/client/src/metadata/client.js";
import type {
  EmulatorEnvironment,
  EmulatorOptions,
  RunningEmulator,
} from "../../packages/emulator/src/api.js";
import { startEmulator } from "../../packages/emulator/src/index.js";

export async function emulatorWithClient(
  options: EmulatorOptions = {},
  http: HttpOptions = {},
): Promise<{
  emulator: RunningEmulator;
  env: EmulatorEnvironment;
  client: MetadataApiClient;
  token: string;
}> {
  const emulator = await startEmulator({ preset: "tiny", environments: 1, ...options });
  const env = emulator.environments[0];
  const token = await emulator.issueToken({ audience: env.baseUrl });
  const client = new MetadataApiClient({
    baseUrl: env.baseUrl,
    tokenProvider: { getToken: async () => token },
    http: {
      retry: { baseDelayMs: 1, throttledBaseDelayMs: 1, maxDelayMs: 10, retryAfterCapMs: 10 },
      ...http,
    },
  });
  return { emulator, env, client, token };
}

export async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
