/**
 * Builds entity schemas from the metadata cache (the environment's current version, no network
 * when it is synced) and adds the cache's search results to "did you mean" suggestions. Only the
 * cache's public async methods are used.
 */
import type { MetadataCacheV2 } from "../cache/metadata-cache.js";
import type { PublicEntityView } from "../cache/types.js";
import type { ValidationProblem } from "./errors.js";
import type { EntitySchema } from "./schema.js";
import { closestNames } from "./suggest.js";
import { enumNameOf } from "./values.js";

export type SchemaLookup = { schema: EntitySchema } | { problem: ValidationProblem };

export class SchemaResolver {
  constructor(private readonly cache: MetadataCacheV2) {}

  /** The schema of an entity set (case-sensitive name), or the problem naming why there is none. */
  async entitySet(entitySet: string): Promise<SchemaLookup> {
    const view = await this.cache.getPublicEntity(entitySet);
    if (view && view.entitySetName === entitySet) return { schema: await this.schemaOf(view) };
    const suggestions = new Set<string>();
    if (view) suggestions.add(view.entitySetName);
    for (const name of await this.similarEntitySets(entitySet)) suggestions.add(name);
    const message = view
      ? `${entitySet} is an entity name, not an entity set; its set is ${view.entitySetName}`
      : `No entity set ${entitySet} in this environment's metadata`;
    return {
      problem: { kind: "unknownEntitySet", message, entitySet, suggestions: [...suggestions].slice(0, 5) },
    };
  }

  /**
   * Entity sets named like `text`, from the cache's search: the text itself, then shorter
   * prefixes and its first word (a typo at the end defeats a full-text match), closest first.
   */
  private async similarEntitySets(text: string): Promise<string[]> {
    const queries = [text, text.slice(0, -1), text.slice(0, -2), text.match(/^[A-Z]?[a-z]+/)?.[0] ?? ""];
    const found = new Set<string>();
    for (const query of queries) {
      if (query.length < 3) continue;
      const page = await this.cache.searchEntities(query, { kinds: ["publicEntity"], limit: 20 });
      for (const hit of page.hits) {
        const candidate = await this.cache.getPublicEntity(hit.name);
        if (candidate) found.add(candidate.entitySetName);
      }
      if (found.size > 0) break;
    }
    const close = closestNames(text, found, 5);
    return [...close, ...[...found].filter((name) => !close.includes(name))].slice(0, 5);
  }

  private async schemaOf(view: PublicEntityView): Promise<EntitySchema> {
    const enumMembers = new Map<string, readonly string[]>();
    const enumEmptyMembers = new Map<string, string>();
    for (const property of view.properties) {
      if (property.dataType !== "Enum") continue;
      const name = enumNameOf(property.typeName);
      if (enumMembers.has(name)) continue;
      const enumeration = await this.cache.getEnumeration(name);
      if (enumeration)
        enumMembers.set(
          name,
          enumeration.members.map((m) => m.name),
        );
    }
    return {
      entitySet: view.entitySetName,
      entityName: view.name,
      isReadOnly: view.isReadOnly,
      properties: new Map(view.properties.map((p) => [p.name, p])),
      keys: view.properties.filter((p) => p.isKey).map((p) => p.name),
      navigations: new Map(view.navigationProperties.map((n) => [n.name, n])),
      actions: view.actions,
      enumMembers,
      enumEmptyMembers,
    };
  }

  /** Adds the cache's property search hits on this entity to unknown-property suggestions. */
  async enrich(schema: EntitySchema, problems: ValidationProblem[]): Promise<ValidationProblem[]> {
    const out: ValidationProblem[] = [];
    for (const problem of problems) {
      if (problem.kind !== "unknownProperty" || !problem.name) {
        out.push(problem);
        continue;
      }
      const page = await this.cache.searchEntities(problem.name, { kinds: ["property"], limit: 50 });
      const found = page.hits
        .filter(
          (hit) => hit.name === schema.entityName && hit.memberName && schema.properties.has(hit.memberName),
        )
        .map((hit) => hit.memberName as string);
      const suggestions = [...new Set([...(problem.suggestions ?? []), ...found])].slice(0, 5);
      out.push({ ...problem, suggestions });
    }
    return out;
  }
}
