/**
 * `d365fo codegen <entity…> --out <dir>`: TypeScript types, zod schemas and typed descriptors
 * from the synced metadata of the environment's current version; `--check`: does the directory
 * still match the environment (exit 17 with the changed types when not)?
 */
import { resolve } from "node:path";
import {
  CodegenDriftError,
  checkGeneratedCode,
  generateCode,
  listPublicEntities,
  writeGeneratedCode,
} from "d365fo-client";
import type { CliContext } from "../context.js";
import { UsageError } from "../errors.js";

export interface CodegenCommandOptions {
  out?: string;
  all?: boolean;
  check?: boolean;
  clientModule?: string;
  /** `--no-sync`: check against the cached version without asking the environment. */
  sync?: boolean;
}

export async function codegenCommand(
  ctx: CliContext,
  entities: string[],
  options: CodegenCommandOptions,
): Promise<number> {
  if (!options.out) throw new UsageError("codegen needs --out <dir>");
  const dir = resolve(options.out);
  if (options.check) return check(ctx, dir, entities, options);
  if (entities.length === 0 && !options.all)
    throw new UsageError("codegen needs entity names (e.g. CustomersV3 SalesOrderHeadersV2) or --all");
  const cache = await ctx.openCache();
  const names = options.all ? await listPublicEntities(cache) : entities;
  const started = performance.now();
  const code = await generateCode(cache, {
    entities: names,
    ...(ctx.globals.language ? { language: ctx.globals.language } : {}),
    ...(options.clientModule ? { clientModule: options.clientModule } : {}),
  });
  const paths = await writeGeneratedCode(dir, code);
  const { manifest } = code;
  const result = {
    out: dir,
    entities: Object.keys(manifest.entities).length,
    enums: Object.keys(manifest.enums).length,
    files: paths.length,
    bytes: code.files.reduce((sum, f) => sum + Buffer.byteLength(f.content), 0),
    modulesHash: manifest.modulesHash,
    environment: manifest.environment,
    wallMs: Math.round(performance.now() - started),
  };
  ctx.output.result(
    result,
    () =>
      `Wrote ${result.files} files (${result.entities} entities, ${result.enums} enumerations) to ${dir}\n` +
      `environment ${result.environment}, modules hash ${result.modulesHash.slice(0, 16)}…`,
  );
  return 0;
}

async function check(ctx: CliContext, dir: string, entities: string[], options: CodegenCommandOptions) {
  if (entities.length > 0 || options.all)
    throw new UsageError("codegen --check takes no entity names: it checks the entities of <dir>'s manifest");
  const cache = await ctx.openCache(undefined, { network: options.sync !== false });
  // The environment's current module set: a new one is synced (or linked) before comparing.
  if (options.sync !== false) await cache.syncIfNeeded();
  const result = await checkGeneratedCode(cache, dir);
  ctx.output.result(result, () => {
    const lines = [
      result.upToDate
        ? `Up to date: the generated types in ${dir} match ${result.current.environment}`
        : `Drift: ${result.changes.length} change(s) in the generated types of ${dir}:`,
      ...result.changes.map((c) => `  ${c.message}`),
    ];
    if (result.versionChanged)
      lines.push(
        `The environment's modules changed (${result.generated.modulesHash.slice(0, 16)}… → ${result.current.modulesHash.slice(0, 16)}…)${result.upToDate ? "; the generated types are unaffected, regenerate to update the header" : ""}`,
      );
    return lines.join("\n");
  });
  if (!result.upToDate) {
    const types = [...new Set(result.changes.flatMap((c) => c.types))];
    throw new CodegenDriftError(
      `${result.changes.length} change(s) since the code in ${dir} was generated; types changed: ${types.slice(0, 12).join(", ")}${types.length > 12 ? ", …" : ""}`,
      result.changes,
    );
  }
  return 0;
}
