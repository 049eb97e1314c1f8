/**
 * Reading definitions. A public entity with every member is one row: its canonical document
 * (definition-document.ts, shared with SQLite), decoded here, through a named prepared statement
 * planned once per connection. The member tables serve search, labels, counts and integrity.
 */
import type { DataEntity, Enumeration, PublicEntity } from "d365fo-client";
import type { MetadataCounts } from "d365fo-client/backend";
import { decodePublicEntity, VersionContentHasher } from "d365fo-client/backend";
import type { Queryable } from "./connection.js";

type Json = unknown[];

export async function getDataEntity(
  db: Queryable,
  versionId: number,
  name: string,
): Promise<DataEntity | undefined> {
  const [row] = await db.prepared<{
    name: string;
    public_entity_name: string | null;
    public_collection_name: string | null;
    label_id: string | null;
    entity_category: string | null;
    data_service_enabled: boolean;
    data_management_enabled: boolean;
    is_read_only: boolean;
  }>(
    "d365fo_data_entity",
    `SELECT d.name, d.public_entity_name, d.public_collection_name, d.label_id, d.entity_category,
       d.data_service_enabled, d.data_management_enabled, d.is_read_only
     FROM version_data_entities v JOIN data_entities d ON d.id = v.data_entity_id
     WHERE v.global_version_id = $1 AND v.name = $2`,
    [versionId, name],
  );
  if (!row) return undefined;
  return {
    name: row.name,
    publicEntityName: row.public_entity_name,
    publicCollectionName: row.public_collection_name,
    labelId: row.label_id,
    dataServiceEnabled: row.data_service_enabled,
    dataManagementEnabled: row.data_management_enabled,
    entityCategory: row.entity_category,
    isReadOnly: row.is_read_only,
  };
}

export async function getPublicEntity(
  db: Queryable,
  versionId: number,
  name: string,
): Promise<PublicEntity | undefined> {
  const [row] = await db.prepared<{ document: string }>(
    "d365fo_public_entity",
    `SELECT p.document FROM version_public_entities v JOIN public_entities p ON p.id = v.public_entity_id
     WHERE v.global_version_id = $1 AND v.name = $2`,
    [versionId, name],
  );
  return row && decodePublicEntity(row.document);
}

export async function getPublicEntityBySetName(
  db: Queryable,
  versionId: number,
  entitySetName: string,
): Promise<PublicEntity | undefined> {
  const [row] = await db.prepared<{ document: string }>(
    "d365fo_public_entity_by_set",
    `SELECT p.document FROM public_entities p
     JOIN version_public_entities v ON v.public_entity_id = p.id AND v.global_version_id = $1
     WHERE p.entity_set_name = $2 ORDER BY v.name LIMIT 1`,
    [versionId, entitySetName],
  );
  return row && decodePublicEntity(row.document);
}

export async function getEnumeration(
  db: Queryable,
  versionId: number,
  name: string,
): Promise<Enumeration | undefined> {
  const [row] = await db.prepared<{ name: string; label_id: string | null; members: Json[] | null }>(
    "d365fo_enumeration",
    `SELECT e.name, e.label_id,
       (SELECT json_agg(json_build_array(m.name, m.value, m.label_id, m.configuration_enabled) ORDER BY m.member_order)
        FROM enumeration_members m WHERE m.enumeration_id = e.id) AS members
     FROM version_enumerations v JOIN enumerations e ON e.id = v.enumeration_id
     WHERE v.global_version_id = $1 AND v.name = $2`,
    [versionId, name],
  );
  if (!row) return undefined;
  return {
    name: row.name,
    labelId: row.label_id,
    members: (row.members ?? []).map((m) => ({
      name: m[0] as string,
      value: Number(m[1]),
      labelId: m[2] as string | null,
      configurationEnabled: m[3] === true,
    })),
  };
}

export type MembershipTable = "version_data_entities" | "version_public_entities" | "version_enumerations";

export async function listNames(db: Queryable, table: MembershipTable, versionId: number): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    `SELECT name FROM ${table} WHERE global_version_id = $1 ORDER BY name COLLATE "C"`,
    [versionId],
  );
  return rows.map((r) => r.name);
}

export function getCounts(db: Queryable, versionId: number): Promise<MetadataCounts> {
  return getCountsIn(db, versionId);
}

export async function getPublicEntityHashes(db: Queryable, versionId: number): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const r of await db.query<{ name: string; content_hash: string }>(
    `SELECT v.name, p.content_hash FROM version_public_entities v
     JOIN public_entities p ON p.id = v.public_entity_id WHERE v.global_version_id = $1 ORDER BY v.name COLLATE "C"`,
    [versionId],
  )) {
    map.set(r.name, r.content_hash);
  }
  return map;
}

/**
 * SHA-256 over the version's (name, content hash) pairs and label texts in a canonical order:
 * the same bytes as SQLite's (names in code-point order, `COLLATE "C"`), so equal content gives
 * an equal hash in either backend.
 */
export async function getContentHash(db: Queryable, versionId: number): Promise<string> {
  const hasher = new VersionContentHasher();
  const sections: [string, string][] = [
    ["dataEntities", "version_data_entities v JOIN data_entities d ON d.id = v.data_entity_id"],
    ["publicEntities", "version_public_entities v JOIN public_entities d ON d.id = v.public_entity_id"],
    ["enumerations", "version_enumerations v JOIN enumerations d ON d.id = v.enumeration_id"],
  ];
  for (const [section, from] of sections) {
    hasher.section(section);
    for (const r of await db.query<{ name: string; content_hash: string }>(
      `SELECT v.name, d.content_hash FROM ${from} WHERE v.global_version_id = $1 ORDER BY v.name COLLATE "C"`,
      [versionId],
    )) {
      hasher.item(r.name, r.content_hash);
    }
  }
  hasher.section("labels");
  for (const r of await db.query<{ language: string; label_id: string; label_text: string }>(
    `SELECT lt.language, lt.label_id, lt.label_text FROM version_labels vl
     JOIN labels_cache lt ON lt.id = vl.label_text_id WHERE vl.global_version_id = $1
     ORDER BY lt.language COLLATE "C", lt.label_id COLLATE "C"`,
    [versionId],
  )) {
    hasher.item(r.language, r.label_id, r.label_text);
  }
  return hasher.digest();
}

/** Counts of one version (the `getCounts` read, also used inside `completeVersion`'s transaction). */
export async function getCountsIn(tx: Queryable, versionId: number) {
  const [row] = await tx.query<{
    public_entities: number;
    properties: number;
    navigation: number;
    actions: number;
    data_entities: number;
    enumerations: number;
    labels: number;
  }>(
    `SELECT
       count(*)::int AS public_entities,
       COALESCE(sum(p.property_count), 0)::int AS properties,
       COALESCE(sum(p.navigation_count), 0)::int AS navigation,
       COALESCE(sum(p.action_count), 0)::int AS actions,
       (SELECT count(*)::int FROM version_data_entities WHERE global_version_id = $1) AS data_entities,
       (SELECT count(*)::int FROM version_enumerations WHERE global_version_id = $1) AS enumerations,
       (SELECT count(*)::int FROM version_labels WHERE global_version_id = $1) AS labels
     FROM version_public_entities v JOIN public_entities p ON p.id = v.public_entity_id
     WHERE v.global_version_id = $1`,
    [versionId],
  );
  return {
    dataEntities: row.data_entities,
    publicEntities: row.public_entities,
    properties: row.properties,
    navigationProperties: row.navigation,
    actions: row.actions,
    enumerations: row.enumerations,
    labels: row.labels,
  };
}
