/**
 * Releases for `startEmulator`: the generator in src/emulator/model/ (memoized there, so every
 * environment and emulator in the process shares one copy per release).
 */
import { generateRelease, moduleLines, renderCsdl } from "../model/index.js";
import type { PresetName } from "../model/types.js";
import type { ReleaseSource } from "./release-documents.js";

export function generatorSource(
  preset: PresetName,
  seed: number,
  languages: readonly string[],
): ReleaseSource {
  return {
    release: (upgradeStep) => generateRelease({ preset, seed, upgradeStep, languages: [...languages] }),
    renderCsdl,
    moduleLines: (release) => [...moduleLines(release)],
  };
}
