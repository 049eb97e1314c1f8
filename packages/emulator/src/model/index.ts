/**
 * The emulator's metadata generator: deterministic releases of a preset and their upgrades,
 * the `$metadata` CSDL and the `GetInstalledModules` lines rendered from them.
 */
import { ConfigurationError } from "d365fo-client";
import type { GenerationContext } from "./context.js";
import { generateBaseRelease, normalizeLanguages } from "./generate.js";
import { PRESETS } from "./presets.js";
import type { EmulatorRelease, PresetName } from "./types.js";
import { upgradeRelease } from "./upgrade.js";

export { renderCsdl } from "./csdl.js";
export { moduleLines } from "./modules.js";
export { PRESET_NAMES, PRESETS } from "./presets.js";
export type {
  EmulatorRelease,
  InstalledModule,
  PresetName,
  PresetSize,
  PropertyRef,
  UpgradeChangeLog,
} from "./types.js";

export interface GenerateReleaseOptions {
  preset: PresetName;
  /** Default 42. */
  seed?: number;
  /** 0 = the base release; n = the n-th upgrade (derived from step n-1). Default 0. */
  upgradeStep?: number;
  /** Label languages besides en-US is always present; default ["en-US", "de-DE"]. */
  languages?: string[];
}

interface Chain {
  context: GenerationContext;
  releases: EmulatorRelease[];
}

/** One chain of steps per (preset, seed, languages): a step is generated once per process. */
const chains = new Map<string, Chain>();

/**
 * The release of `preset` at `upgradeStep`. Deterministic: the same options give deep-equal
 * output in any process. Memoized: asking again returns the same object, and unchanged items of
 * step n+1 are the very objects of step n.
 */
export function generateRelease(options: GenerateReleaseOptions): EmulatorRelease {
  const { preset } = options;
  const seed = options.seed ?? 42;
  const step = options.upgradeStep ?? 0;
  if (!Object.hasOwn(PRESETS, preset)) {
    throw new ConfigurationError(
      `Unknown emulator preset ${JSON.stringify(preset)}; expected one of ${Object.keys(PRESETS).join(", ")}`,
    );
  }
  if (!Number.isSafeInteger(seed))
    throw new ConfigurationError(`Emulator seed must be an integer, got ${String(seed)}`);
  if (!Number.isSafeInteger(step) || step < 0) {
    throw new ConfigurationError(`Upgrade step must be a non-negative integer, got ${String(step)}`);
  }
  if (options.languages !== undefined) {
    for (const l of options.languages) {
      if (typeof l !== "string" || !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(l)) {
        throw new ConfigurationError(`Invalid label language tag ${JSON.stringify(l)}`);
      }
    }
  }
  const languages = normalizeLanguages(options.languages);
  const key = `${preset}|${seed}|${languages.join(",")}`;
  let chain = chains.get(key);
  if (!chain) {
    const { release, context } = generateBaseRelease(preset, seed, languages);
    chain = { context, releases: [release] };
    chains.set(key, chain);
  }
  while (chain.releases.length <= step) {
    chain.releases.push(upgradeRelease(chain.context, chain.releases[chain.releases.length - 1]));
  }
  return chain.releases[step];
}

/** Forgets memoized releases (tests; a long-lived process that no longer serves a preset). */
export function clearReleaseCache(): void {
  chains.clear();
}
