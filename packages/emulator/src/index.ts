/**
 * `@d365fo/emulator`: a faithful D365 F&O emulator on loopback HTTP (see docs/emulator.md).
 */
import type { EmulatorOptions, RunningEmulator } from "./api.js";
import { startEmulatorWith } from "./server/emulator.js";
import { generatorSource } from "./server/generator-source.js";

export type * from "./api.js";
export type {
  EmulatorRelease,
  InstalledModule,
  PresetName,
  PropertyRef,
  UpgradeChangeLog,
} from "./model/types.js";
export { DEFAULT_SEED, DEFAULT_TENANT_ID } from "./server/emulator.js";
export { DEFAULT_KNOBS, parseKnobsPatch, realisticKnobs } from "./server/knobs.js";

/** Starts the emulator: one loopback HTTP listener per environment, a token service and an admin listener. */
export function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulatorWith(options, generatorSource);
}
