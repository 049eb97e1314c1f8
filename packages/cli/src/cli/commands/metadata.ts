/** `d365fo search|entity|enum|label`: reads from the synced metadata (labels may be fetched on a miss). */
import type { MetadataCacheV2, SearchKind, SearchOptions } from "d365fo-client";
import { NotFoundError } from "d365fo-client";
import type { CliContext } from "../context.js";
import { UsageError } from "../errors.js";
import { renderEntity, renderEnumeration, renderSearch } from "../render.js";

export interface SearchCommandOptions {
  kind?: SearchKind[];
  category?: string;
  limit: number;
  offset: number;
}

export const MAX_SEARCH_LIMIT = 500;

/**
 * Schema first: while a sync is still fetching the labels of the version served, say so on stderr
 * and as `labelsComplete: false` in the JSON document (absent: the labels are complete).
 */
async function labelsState(ctx: CliContext, cache: MetadataCacheV2): Promise<{ labelsComplete?: false }> {
  const version = await cache.getEnvironmentVersion({ cachedOnly: true });
  if (version.labelsComplete !== false) return {};
  ctx.output.note(
    "d365fo: a sync is still fetching this version's labels; missing label texts are shown as ids",
  );
  return { labelsComplete: false };
}

export async function searchCommand(
  ctx: CliContext,
  words: string[],
  options: SearchCommandOptions,
): Promise<number> {
  const text = words.join(" ").trim();
  if (!text) throw new UsageError("search needs some text");
  if (options.limit > MAX_SEARCH_LIMIT) throw new UsageError(`--limit must be at most ${MAX_SEARCH_LIMIT}`);
  const cache = await ctx.openCache();
  const searchOptions: SearchOptions = { limit: options.limit, offset: options.offset };
  if (options.kind?.length) searchOptions.kinds = options.kind;
  if (options.category) searchOptions.entityCategory = options.category;
  if (ctx.globals.language) searchOptions.language = ctx.globals.language;
  const page = await cache.searchEntities(text, searchOptions);
  ctx.output.result({ ...page, ...(await labelsState(ctx, cache)) }, () => renderSearch(page));
  return 0;
}

function languageOption(ctx: CliContext): { language?: string } {
  return ctx.globals.language ? { language: ctx.globals.language } : {};
}

export async function entityCommand(ctx: CliContext, name: string): Promise<number> {
  const cache = await ctx.openCache();
  let entity = await cache.getPublicEntity(name, languageOption(ctx));
  const dataEntity = entity ? undefined : await cache.getDataEntity(name, languageOption(ctx));
  // A data entity name (e.g. CustCustomerV3Entity) leads to its public entity (CustomerV3).
  if (!entity && dataEntity?.publicEntityName) {
    entity = await cache.getPublicEntity(dataEntity.publicEntityName, languageOption(ctx));
  }
  if (!entity) {
    throw new NotFoundError(
      dataEntity
        ? `Data entity ${name} has no public (OData) entity`
        : `Entity ${JSON.stringify(name)} not found; try 'd365fo search ${name}'`,
    );
  }
  const keys = entity.properties.filter((p) => p.isKey).map((p) => p.name);
  const enumTypes = [
    ...new Set(entity.properties.filter((p) => p.dataType === "Enum").map((p) => p.typeName)),
  ].sort();
  const document = {
    ...entity,
    keys,
    enumTypes,
    ...(dataEntity ? { dataEntity } : {}),
    ...(await labelsState(ctx, cache)),
  };
  ctx.output.result(document, () => renderEntity(entity));
  return 0;
}

export async function enumCommand(ctx: CliContext, name: string): Promise<number> {
  const cache = await ctx.openCache();
  const enumeration = await cache.getEnumeration(name, languageOption(ctx));
  if (!enumeration)
    throw new NotFoundError(
      `Enumeration ${JSON.stringify(name)} not found; try 'd365fo search ${name} --kind enumeration'`,
    );
  ctx.output.result({ ...enumeration, ...(await labelsState(ctx, cache)) }, () =>
    renderEnumeration(enumeration),
  );
  return 0;
}

export async function labelCommand(ctx: CliContext, id: string): Promise<number> {
  if (!id.startsWith("@"))
    throw new UsageError(`Label ids start with '@', e.g. @SYS12345 (got ${JSON.stringify(id)})`);
  const cache = await ctx.openCache();
  const text = await cache.getLabel(id, ctx.globals.language);
  const language = ctx.globals.language ?? "en-US";
  if (text === undefined) throw new NotFoundError(`Label ${id} not found in ${language}`);
  ctx.output.result({ id, language, text }, () => text);
  return 0;
}
