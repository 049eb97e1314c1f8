/**
 * The library's code generation (I/O around the pure parts): read the entities and their
 * enumerations from the cache's current version, render, write; and `checkGeneratedCode`, which
 * compares a directory's manifest with what the current version would generate.
 */
import { readFileSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { MetadataCacheV2 } from "../cache/metadata-cache.js";
import { ConfigurationError, NotFoundError } from "../errors.js";
import { DEFAULT_CLIENT_MODULE, type GeneratedFile } from "./emit.js";
import { type CodegenManifest, type DriftChange, diffManifests, MANIFEST_FILE } from "./manifest.js";
import { type CodegenEntity, type CodegenInput, entityFromView, enumFromView, enumNamesOf } from "./model.js";
import { renderCode } from "./render.js";

export interface GenerateCodeOptions {
  /** Public entity names or entity set names (e.g. `CustomerV3` or `CustomersV3`). */
  entities: readonly string[];
  /** Language of the JSDoc label texts (default: the cache's first language). */
  language?: string;
  /** Where generated files import the `EntityDescriptor` type from (default `d365fo-client`). */
  clientModule?: string;
}

export interface GeneratedCode {
  /** Every file, the manifest `d365fo-codegen.json` included, relative to the output directory. */
  files: GeneratedFile[];
  manifest: CodegenManifest;
}

let version: string | undefined;

/** The generator's version (the package's). */
export function generatorVersion(): string {
  if (version === undefined) {
    try {
      const url = new URL("../../package.json", import.meta.url);
      version = (JSON.parse(readFileSync(url, "utf8")) as { version?: string }).version ?? "0.0.0";
    } catch {
      version = "0.0.0";
    }
  }
  return version;
}

/** Reads what the generator needs from the cache's current version. */
export async function readCodegenInput(
  cache: MetadataCacheV2,
  entities: readonly string[],
  language?: string,
): Promise<CodegenInput> {
  if (entities.length === 0) throw new ConfigurationError("codegen needs at least one entity");
  const version = await cache.getEnvironmentVersion({ cachedOnly: true });
  const options = language ? { language } : {};
  const found = new Map<string, CodegenEntity>();
  const missing: string[] = [];
  let viewLanguage = language;
  for (const name of entities) {
    const view = await cache.getPublicEntity(name, options);
    if (!view) missing.push(name);
    else {
      found.set(view.name, entityFromView(view));
      viewLanguage ??= view.language;
    }
  }
  if (missing.length > 0)
    throw new NotFoundError(
      `No public entity ${missing.map((m) => JSON.stringify(m)).join(", ")} in the synced metadata; try 'd365fo search'`,
    );
  const enums = [];
  for (const name of enumNamesOf([...found.values()])) {
    const view = await cache.getEnumeration(name, options);
    enums.push(view ? enumFromView(view) : { name, label: null, members: [] });
  }
  return {
    stamp: {
      environment: cache.baseUrl,
      modulesHash: version.modulesHash,
      versionHash: version.versionHash,
      language: viewLanguage ?? "en-US",
      generatorVersion: generatorVersion(),
    },
    entities: [...found.values()],
    enums,
  };
}

/** Every public entity name of the cache's current version (for generating them all). */
export async function listPublicEntities(cache: MetadataCacheV2): Promise<string[]> {
  const version = await cache.getEnvironmentVersion({ cachedOnly: true });
  const record = await cache.store.findVersionByModulesHash(version.modulesHash);
  return record ? (await cache.store.listPublicEntityNames(record.id)).sort() : [];
}

/**
 * TypeScript types, zod schemas and typed descriptors for `entities`, from the cache's current
 * version (the cache must be synced). Nothing is written: see `writeGeneratedCode`.
 */
export async function generateCode(
  cache: MetadataCacheV2,
  options: GenerateCodeOptions,
): Promise<GeneratedCode> {
  const input = await readCodegenInput(cache, options.entities, options.language);
  return renderCode(input, options.clientModule ?? DEFAULT_CLIENT_MODULE);
}

/** Writes the files into `dir` (created when missing), each atomically; returns their paths. */
export async function writeGeneratedCode(dir: string, code: GeneratedCode): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const file of code.files) {
    const path = join(dir, file.path);
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, file.content, "utf8");
    await rename(temp, path);
    paths.push(path);
  }
  return paths;
}

export async function readManifest(dir: string): Promise<CodegenManifest> {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new NotFoundError(
      `No ${MANIFEST_FILE} in ${dir}: generate first with 'd365fo codegen <entity…> --out ${dir}'`,
    );
  }
  const manifest = JSON.parse(text) as CodegenManifest;
  if (typeof manifest !== "object" || manifest === null || typeof manifest.entities !== "object")
    throw new ConfigurationError(`${path} is not a d365fo codegen manifest`);
  return manifest;
}

export interface CodegenCheckResult {
  /** The manifest's stamp and the current one. */
  generated: { modulesHash: string; environment: string };
  current: { modulesHash: string; environment: string };
  /** The environment runs another module set than the one generated from. */
  versionChanged: boolean;
  /** Changes of the generated types (empty: the files still match). */
  changes: DriftChange[];
  /** Entities of the manifest that no longer exist are listed in `changes` as `entityRemoved`. */
  upToDate: boolean;
}

/** Compares `dir`'s manifest with what the cache's current version generates for the same entities. */
export async function checkGeneratedCode(cache: MetadataCacheV2, dir: string): Promise<CodegenCheckResult> {
  const previous = await readManifest(dir);
  const version = await cache.getEnvironmentVersion({ cachedOnly: true });
  const names = await existing(cache, Object.keys(previous.entities));
  const current =
    names.length > 0
      ? (
          await generateCode(cache, {
            entities: names,
            language: previous.language,
            clientModule: previous.clientModule,
          })
        ).manifest
      : ({ ...previous, entities: {}, enums: {} } as CodegenManifest);
  const changes = diffManifests(previous, current);
  return {
    generated: { modulesHash: previous.modulesHash, environment: previous.environment },
    current: { modulesHash: version.modulesHash, environment: cache.baseUrl },
    versionChanged: previous.modulesHash !== version.modulesHash,
    changes,
    upToDate: changes.length === 0,
  };
}

async function existing(cache: MetadataCacheV2, names: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const name of names) if (await cache.getPublicEntity(name)) out.push(name);
  return out;
}
