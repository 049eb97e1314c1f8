/**
 * What the facade returns: definitions joined with their label texts, and search pages. Pure:
 * the facade reads the store and the labels, these functions shape the answer.
 */
import type { Enumeration, PublicEntity } from "../metadata/models.js";
import type { EngineSearchResult } from "../search/engine.js";
import type { EnumerationView, PublicEntityView, SearchResultPage } from "./types.js";

/** The label ids a public entity view shows: the entity's and its properties'. */
export function publicEntityLabelIds(entity: PublicEntity): string[] {
  const ids: string[] = [];
  if (entity.labelId) ids.push(entity.labelId);
  for (const p of entity.properties) if (p.labelId) ids.push(p.labelId);
  return ids;
}

/** The label ids an enumeration view shows: the enumeration's and its members'. */
export function enumerationLabelIds(enumeration: Enumeration): string[] {
  const ids: string[] = [];
  if (enumeration.labelId) ids.push(enumeration.labelId);
  for (const m of enumeration.members) if (m.labelId) ids.push(m.labelId);
  return ids;
}

function textOf(texts: ReadonlyMap<string, string>): (id: string | null) => string | null {
  return (id) => (id ? (texts.get(id) ?? null) : null);
}

export function publicEntityView(
  entity: PublicEntity,
  texts: ReadonlyMap<string, string>,
  language: string,
): PublicEntityView {
  const text = textOf(texts);
  return {
    name: entity.name,
    entitySetName: entity.entitySetName,
    labelId: entity.labelId,
    labelText: text(entity.labelId),
    isReadOnly: entity.isReadOnly,
    configurationEnabled: entity.configurationEnabled,
    properties: entity.properties.map((p) => ({ ...p, labelText: text(p.labelId) })),
    navigationProperties: entity.navigationProperties,
    propertyGroups: entity.propertyGroups,
    actions: entity.actions,
    language,
  };
}

export function enumerationView(
  enumeration: Enumeration,
  texts: ReadonlyMap<string, string>,
  language: string,
): EnumerationView {
  const text = textOf(texts);
  return {
    name: enumeration.name,
    labelId: enumeration.labelId,
    labelText: text(enumeration.labelId),
    members: enumeration.members.map((m) => ({ ...m, labelText: text(m.labelId) })),
    language,
  };
}

/** The engine's result as the facade's page, tagged with the version it came from. */
export function searchResultPage(
  text: unknown,
  result: EngineSearchResult,
  versionHash: string,
): SearchResultPage {
  return {
    query: typeof text === "string" ? text : String(text ?? ""),
    terms: result.terms,
    hits: result.hits.map((hit) => ({
      kind: hit.kind,
      name: hit.name,
      ...(hit.memberName !== undefined ? { memberName: hit.memberName } : {}),
      ...(hit.ownerKind !== undefined ? { ownerKind: hit.ownerKind } : {}),
      reason: hit.reason,
      matchedField: hit.matchedField,
      matchedText: hit.matchedText,
      tier: hit.tier,
      score: hit.score,
      labelId: hit.labelId,
      labelText: hit.labelText,
    })),
    total: result.total,
    limit: result.limit,
    offset: result.offset,
    versionHash,
  };
}
