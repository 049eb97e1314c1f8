import type { PresetName, PresetSize } from "./types.js";

/**
 * Preset sizes (protocol §6). `large` is a realistic 10.0.4x environment: its PublicEntities
 * JSON is 40–50 MB and its metadata references ~27k distinct label ids.
 */
export const PRESETS: Record<PresetName, PresetSize> = {
  tiny: {
    dataEntities: 20,
    publicEntities: 15,
    enumerations: 10,
    modules: 8,
    properties: 200,
    labelIds: 160,
    boundActions: 3,
  },
  medium: {
    dataEntities: 500,
    publicEntities: 400,
    enumerations: 300,
    modules: 60,
    properties: 12_000,
    labelIds: 3_000,
    boundActions: 30,
  },
  large: {
    dataEntities: 5_000,
    publicEntities: 4_500,
    enumerations: 2_000,
    modules: 200,
    properties: 126_000,
    labelIds: 27_000,
    boundActions: 350,
  },
};

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];
