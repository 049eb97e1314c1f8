/**
 * Label ids and their English texts. Ids come in the real forms: legacy `@SYS12345`, file-scoped
 * `@File:LabelName`, and a few lowercase `@sys2048`. The book only grows; a release's label maps
 * are built from it when the release is assembled.
 */
import type { Rng } from "./prng.js";
import { pseudoGerman } from "./text.js";

export class LabelBook {
  /** en-US text by label id, in allocation order. */
  readonly texts = new Map<string, string>();
  private nextSys: number;

  constructor(reserved: readonly (readonly [string, string])[] = [], firstSysNumber = 1000) {
    this.nextSys = firstSysNumber;
    for (const [id, text] of reserved) this.texts.set(id, text);
  }

  /** Registers a fixed id (real samples such as `@SYS14680`). */
  fixed(id: string, text: string): string {
    if (!this.texts.has(id)) this.texts.set(id, text);
    return id;
  }

  /** A new legacy id: numbers grow with random gaps, like the real SYS label file. */
  sys(text: string, rng: Rng, lowercase = false): string {
    let id: string;
    do {
      this.nextSys += rng.int(1, 12);
      id = `${lowercase ? "@sys" : "@SYS"}${this.nextSys}`;
    } while (this.texts.has(id));
    this.texts.set(id, text);
    return id;
  }

  /** A new `@File:Name` id; a numeric suffix keeps it unique. */
  file(file: string, name: string, text: string): string {
    let id = `@${file}:${name}`;
    for (let n = 2; this.texts.has(id); n++) id = `@${file}:${name}${n}`;
    this.texts.set(id, text);
    return id;
  }

  /** Either form, in the proportions of a 10.0.4x release. */
  any(file: string, name: string, text: string, rng: Rng): string {
    const x = rng.next();
    if (x < 0.03) return this.sys(text, rng, true);
    if (x < 0.7) return this.sys(text, rng);
    return this.file(file, name, text);
  }

  changeText(id: string, text: string): void {
    this.texts.set(id, text);
  }
}

/**
 * The label maps of a release for `languages` (lowercase tags), covering `referenced` ids:
 * English has every id; other languages carry a pseudo-translation, a small share missing
 * (untranslated labels are common in real non-English label files).
 */
export function buildLabelMaps(
  texts: ReadonlyMap<string, string>,
  referenced: ReadonlySet<string>,
  languages: readonly string[],
  missingShare: number,
  previous?: ReadonlyMap<string, ReadonlyMap<string, string>>,
): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const language of languages) {
    const english = language === "en-us";
    const prior = previous?.get(language);
    const map = new Map<string, string>();
    for (const id of referenced) {
      const text = texts.get(id);
      if (text === undefined) continue;
      if (english) {
        map.set(id, text);
        continue;
      }
      // Whether a label is translated is a property of the id, so upgrades keep it stable.
      if (missingFor(id, language, missingShare)) continue;
      const previousText = prior?.get(id);
      const translated = pseudoTranslate(text, language);
      map.set(id, previousText === translated ? previousText : translated);
    }
    out.set(language, map);
  }
  return out;
}

function missingFor(id: string, language: string, share: number): boolean {
  let h = 2166136261;
  const key = `${language}|${id}`;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619) >>> 0;
  return h / 4294967296 < share;
}

export function pseudoTranslate(text: string, language: string): string {
  if (language.startsWith("de")) return pseudoGerman(text);
  if (language.startsWith("en")) return text;
  // Other languages: a bracketed pseudo-localisation, recognisable and deterministic.
  return `[${language}] ${text}`;
}
