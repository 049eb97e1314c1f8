/** An emulator with entity rows and a connection whose metadata is synced, for the e2e tests. */
import { type ConnectConfig, connect, type D365Connection } from "../../packages/client/src/data/connect.js";
import { silentLogger } from "../../packages/client/src/logging.js";
import type {
  DataOptions,
  EmulatorOptions,
  KnobsPatch,
  RunningEmulator,
} from "../../packages/emulator/src/api.js";
import { startEmulator } from "../../packages/emulator/src/index.js";
import { emulatorCredential, tempDir, ZERO_LATENCY } from "../cache/helpers.js";

export interface DataEnvironment {
  emulator: RunningEmulator;
  d365: D365Connection;
  dir: ReturnType<typeof tempDir>;
  /** Requests the emulator saw since the last `resetCounters()`. */
  requests(): number;
  close(): Promise<void>;
}

export async function startDataEnvironment(
  options: {
    data?: DataOptions;
    knobs?: KnobsPatch;
    emulator?: EmulatorOptions;
    connect?: Partial<ConnectConfig>;
  } = {},
): Promise<DataEnvironment> {
  const emulator = await startEmulator({
    preset: "tiny",
    logger: silentLogger,
    environments: 1,
    languages: [],
    ...options.emulator,
    knobs: { latency: ZERO_LATENCY, ...options.knobs },
    data: options.data,
  });
  const env = emulator.environments[0];
  const dir = tempDir("data");
  let d365: D365Connection;
  try {
    d365 = await connect({
      baseUrl: env.baseUrl,
      credential: emulatorCredential(emulator),
      cacheDir: dir.path,
      languages: ["en-US"],
      syncMetadata: true,
      ...options.connect,
    });
  } catch (error) {
    await emulator.close();
    dir.remove();
    throw error;
  }
  env.resetCounters();
  return {
    emulator,
    d365,
    dir,
    requests: () => env.counters().requests,
    close: async () => {
      await d365.close();
      await emulator.close();
      dir.remove();
    },
  };
}

export async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

/** A create body the metadata accepts: every key but dataAreaId and every mandatory field. */
export async function validRow(
  d365: D365Connection,
  entity: string,
  account: string,
): Promise<Record<string, unknown>> {
  const view = await d365.cache.getPublicEntity(entity);
  if (!view) throw new Error(`no entity ${entity}`);
  const row: Record<string, unknown> = {};
  for (const p of view.properties) {
    if (p.name === "dataAreaId" || !(p.isKey || p.isMandatory)) continue;
    if (p.isKey) row[p.name] = account;
    else if (p.dataType === "Enum") {
      const enumeration = await d365.cache.getEnumeration(p.typeName.split(".").pop() as string);
      row[p.name] = enumeration?.members.at(-1)?.name;
    } else
      row[p.name] =
        {
          String: "V",
          Int32: 3,
          Int64: 5637144577,
          Real: 12.5,
          Time: 3600,
          Date: "2026-03-01T12:00:00Z",
          UtcDateTime: "2026-03-01T08:30:00Z",
          Guid: "0f8fad5b-d9cb-469f-a165-70867728950e",
        }[p.dataType] ?? "";
  }
  return row;
}
