/** All generated files and the manifest for one input (pure; deterministic). */
import {
  commonFile,
  DEFAULT_CLIENT_MODULE,
  entityFile,
  enumsFile,
  type GeneratedFile,
  indexFile,
} from "./emit.js";
import { buildManifest, type CodegenManifest, MANIFEST_FILE } from "./manifest.js";
import type { CodegenInput } from "./model.js";
import { allocateNames, compare } from "./names.js";

export interface RenderedCode {
  files: GeneratedFile[];
  manifest: CodegenManifest;
}

export function renderCode(input: CodegenInput, clientModule = DEFAULT_CLIENT_MODULE): RenderedCode {
  const names = allocateNames(input.entities, input.enums);
  const manifest = buildManifest(input, names, clientModule);
  const files: GeneratedFile[] = [];
  for (const entity of [...input.entities].sort((a, b) => compare(a.name, b.name))) {
    const file = names.entities.get(entity.name)!.file;
    files.push({ path: `${file}.ts`, content: entityFile(input, entity, names, clientModule) });
  }
  if (input.enums.length > 0) files.push({ path: "enums.ts", content: enumsFile(input, input.enums, names) });
  files.push({ path: "common.ts", content: commonFile(input) });
  files.push({ path: "index.ts", content: indexFile(input, names, input.enums.length > 0) });
  files.push({ path: MANIFEST_FILE, content: `${JSON.stringify(manifest, null, 2)}\n` });
  return { files, manifest };
}
