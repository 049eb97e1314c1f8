/**
 * `check.ts`, the program test/package/install.e2e.test.ts compiles with `tsc --strict` in the fresh
 * project and runs with node: it imports the library, its `./backend` entry, the emulator and the
 * PostgreSQL backend, starts the emulator, syncs and searches it, and prints one JSON line.
 */
export const CHECK_TS = `import { join } from "node:path";
import { type EmulatorOptions, type RunningEmulator, startEmulator } from "@d365fo/emulator";
import { openPostgresStore } from "@d365fo/postgres";
import {
  type Logger,
  MetadataCacheV2,
  type SearchResultPage,
  type SyncResult,
  silentLogger,
} from "d365fo-client";
import type { MetadataStore } from "d365fo-client/backend";

/** Compiled, not called: the PostgreSQL backend fits the library's store contract. */
export function openTeamStore(url: string, logger: Logger = silentLogger): Promise<MetadataStore> {
  return openPostgresStore({ url, logger });
}

const options: EmulatorOptions = { preset: "tiny", environments: 1, logger: silentLogger };
const emulator: RunningEmulator = await startEmulator(options);
const environment = emulator.environments[0];
const entityName: string = environment.release.publicEntities[0].Name;

const cache = new MetadataCacheV2({
  baseUrl: environment.baseUrl,
  ...emulator.credentials,
  authorityHost: emulator.authorityHost,
  credentialOptions: emulator.credentialOptions(),
  cacheDir: join(process.cwd(), "library-cache"),
  cacheUrl: "",
  logger: silentLogger,
});
const sync: SyncResult = await cache.syncIfNeeded();
const page: SearchResultPage = await cache.searchEntities(entityName, { limit: 5 });
await cache.close();

process.stdout.write(
  JSON.stringify({
    baseUrl: environment.baseUrl,
    tenantId: emulator.credentials.tenantId,
    clientId: emulator.credentials.clientId,
    clientSecret: emulator.credentials.clientSecret,
    authorityHost: emulator.authorityHost,
    caCertificatePath: emulator.caCertificatePath,
    entityName,
    librarySync: sync.outcome,
    libraryHits: page.hits.map((hit) => hit.name),
  }) + "\\n",
);

await new Promise<void>((resolve) => {
  process.once("SIGTERM", () => resolve());
  process.once("SIGINT", () => resolve());
});
await emulator.close();
`;

/** The JSON line check.ts prints once the library has synced and searched the emulator. */
export interface CheckLine {
  baseUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  authorityHost: string;
  caCertificatePath: string;
  entityName: string;
  librarySync: string;
  libraryHits: string[];
}
