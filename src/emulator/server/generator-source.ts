/**
 * Releases for `startEmulator`: the generator in src/emulator/model/ (memoized there, so every
 * environment and emulator in the process shares one copy per release).
 */
import type { EmulatorRelease, PresetName } from "../model/types.js";
import { fixtureCsdl, fixtureModuleLines, fixtureRelease } from "./fixture-release.js";
import type { ReleaseSource } from "./release-documents.js";

const fixtures = new Map<number, EmulatorRelease>();

/** Until the generator lands, every preset serves the hand-written fixture release. */
export function generatorSource(
  _preset: PresetName,
  _seed: number,
  _languages: readonly string[],
): ReleaseSource {
  return {
    release(upgradeStep) {
      let release = fixtures.get(upgradeStep);
      if (!release) {
        release = fixtureRelease(upgradeStep);
        fixtures.set(upgradeStep, release);
      }
      return release;
    },
    renderCsdl: fixtureCsdl,
    moduleLines: fixtureModuleLines,
  };
}
