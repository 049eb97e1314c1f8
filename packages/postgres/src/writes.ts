/**
 * Writing definitions into a version. Each call is one transaction of a handful of statements
 * whatever its size: look the content hashes up, insert the new definitions with
 * `INSERT … SELECT FROM unnest(…) ON CONFLICT (content_hash) DO NOTHING RETURNING`, then every
 * child table and the search rows of those new definitions as one multi-row insert each, then the
 * version's membership as one upsert. New definitions are inserted in content-hash order so that
 * two machines writing overlapping batches wait for each other in the same order; a deadlock
 * that still happens is retried by the connection. A definition another machine inserted meanwhile
 * is found again and only referenced.
 */

import type { DataEntity, Enumeration, PublicEntity, RelationConstraint } from "d365fo-client";
import { ConfigurationError } from "d365fo-client";
import type { WriteResult } from "d365fo-client/backend";
import { encodePublicEntity, hashDataEntity, hashDocument, hashEnumeration } from "d365fo-client/backend";
import {
  type BulkColumn,
  bulkInsert,
  lockMetadata,
  type PgConnection,
  type Queryable,
} from "./connection.js";
import {
  ACTION_COLUMNS,
  CONSTRAINT_COLUMNS,
  DATA_ENTITY_COLUMNS,
  ENUMERATION_COLUMNS,
  ENUMERATION_MEMBER_COLUMNS,
  GROUP_COLUMNS,
  GROUP_MEMBER_COLUMNS,
  NAVIGATION_COLUMNS,
  PARAMETER_COLUMNS,
  PROPERTY_COLUMNS,
  PUBLIC_ENTITY_COLUMNS,
} from "./rows.js";
import { MEMBER_SEARCH_TABLE, SEARCH_TABLE } from "./schema.js";
import { SEARCH_COLUMNS, searchRow } from "./search.js";

/** Child items per definition the search index addresses (same limit as SQLite's rowid encoding). */
const MAX_MEMBERS = 65_536;

function checkMembers(count: number, where: string): void {
  if (count >= MAX_MEMBERS)
    throw new ConfigurationError(`${where} has more than ${MAX_MEMBERS} members; not supported`);
}

/** Takes the shared metadata lock and checks the version exists (one round trip). */
export async function beginMetadataWrite(tx: Queryable, versionId: number): Promise<void> {
  await lockMetadata(tx, "shared");
  const [row] = await tx.query<{ found: boolean }>(
    "SELECT EXISTS (SELECT 1 FROM global_versions WHERE id = $1) AS found",
    [versionId],
  );
  if (!row.found) throw new ConfigurationError(`Unknown global version id ${versionId}`);
}

interface Hashed<T> {
  item: T;
  hash: string;
}

/**
 * Ids of the definitions by content hash: existing ones, then the missing ones inserted (in hash
 * order); `inserted` are those this transaction created (their children still need writing).
 */
async function resolveDefinitions<T>(
  tx: Queryable,
  table: string,
  items: readonly Hashed<T>[],
  columns: readonly BulkColumn[],
  rowOf: (item: T, hash: string) => unknown[],
): Promise<{ ids: Map<string, number>; inserted: Map<string, T> }> {
  const hashes = [...new Set(items.map((i) => i.hash))];
  const ids = new Map<string, number>();
  for (const r of await tx.query<{ id: number; content_hash: string }>(
    `SELECT id, content_hash FROM ${table} WHERE content_hash = ANY($1::text[])`,
    [hashes],
  )) {
    ids.set(r.content_hash, r.id);
  }
  const missing = new Map<string, T>();
  for (const { item, hash } of items) if (!ids.has(hash) && !missing.has(hash)) missing.set(hash, item);
  const inserted = new Map<string, T>();
  if (missing.size === 0) return { ids, inserted };
  const ordered = [...missing.keys()].sort();
  const { rows } = await bulkInsert<{ id: number; content_hash: string }>(
    tx,
    table,
    [["content_hash", "text"], ...columns],
    ordered.map((hash) => [hash, ...rowOf(missing.get(hash) as T, hash)]),
    "ON CONFLICT (content_hash) DO NOTHING RETURNING id, content_hash",
  );
  for (const r of rows) {
    ids.set(r.content_hash, r.id);
    inserted.set(r.content_hash, missing.get(r.content_hash) as T);
  }
  if (rows.length < ordered.length) {
    // Inserted by another machine after our lookup: committed now (the conflict waited for it).
    const raced = ordered.filter((h) => !ids.has(h));
    for (const r of await tx.query<{ id: number; content_hash: string }>(
      `SELECT id, content_hash FROM ${table} WHERE content_hash = ANY($1::text[])`,
      [raced],
    )) {
      ids.set(r.content_hash, r.id);
    }
  }
  return { ids, inserted };
}

/** The version's membership rows, one upsert; the last item of a name wins, as in sequential writes. */
async function upsertMembership(
  tx: Queryable,
  table: string,
  idColumn: string,
  versionId: number,
  members: readonly { name: string; id: number }[],
): Promise<number> {
  const byName = new Map<string, number>();
  for (const m of members) byName.set(m.name, m.id);
  if (byName.size === 0) return 0;
  return tx.execute(
    `INSERT INTO ${table} (global_version_id, name, ${idColumn})
     SELECT $1, * FROM unnest($2::text[], $3::int[])
     ON CONFLICT (global_version_id, name) DO UPDATE SET ${idColumn} = excluded.${idColumn}
     WHERE ${table}.${idColumn} <> excluded.${idColumn}`,
    [versionId, [...byName.keys()], [...byName.values()]],
  );
}

async function insertSearchRows(tx: Queryable, table: string, rows: unknown[][]): Promise<void> {
  await bulkInsert(tx, table, SEARCH_COLUMNS, rows);
}

export async function writeDataEntities(
  db: PgConnection,
  versionId: number,
  entities: readonly DataEntity[],
): Promise<WriteResult> {
  const items = entities.map((item) => ({ item, hash: hashDataEntity(item) }));
  return db.transaction(async (tx) => {
    await beginMetadataWrite(tx, versionId);
    if (items.length === 0) return { rowsWritten: 0, definitionsReused: 0 };
    const { ids, inserted } = await resolveDefinitions(
      tx,
      "data_entities",
      items,
      DATA_ENTITY_COLUMNS,
      (e) => [
        e.name,
        e.publicEntityName ?? null,
        e.publicCollectionName ?? null,
        e.labelId ?? null,
        e.entityCategory ?? null,
        e.dataServiceEnabled === true,
        e.dataManagementEnabled === true,
        e.isReadOnly === true,
      ],
    );
    const search: unknown[][] = [];
    for (const [hash, e] of inserted) {
      search.push(
        searchRow(
          "dataEntity",
          ids.get(hash) as number,
          0,
          e.name,
          e.name,
          e.publicCollectionName,
          e.labelId,
        ),
      );
    }
    await insertSearchRows(tx, SEARCH_TABLE, search);
    const members = items.map(({ item, hash }) => ({ name: item.name, id: ids.get(hash) as number }));
    const memberships = await upsertMembership(
      tx,
      "version_data_entities",
      "data_entity_id",
      versionId,
      members,
    );
    return { rowsWritten: inserted.size + memberships, definitionsReused: items.length - inserted.size };
  });
}

function constraintRow(
  entityId: number,
  navigationOrder: number,
  order: number,
  c: RelationConstraint,
): unknown[] {
  switch (c.kind) {
    case "Referential":
      return [entityId, navigationOrder, order, c.kind, c.property, c.referencedProperty, null, null, null];
    case "Fixed":
      return [
        entityId,
        navigationOrder,
        order,
        c.kind,
        c.property,
        null,
        null,
        c.value ?? null,
        c.valueStr ?? null,
      ];
    case "RelatedFixed":
      return [
        entityId,
        navigationOrder,
        order,
        c.kind,
        null,
        null,
        c.relatedProperty,
        c.value ?? null,
        c.valueStr ?? null,
      ];
    default:
      throw new ConfigurationError(
        `Unknown relation constraint kind ${String((c as { kind: unknown }).kind)}`,
      );
  }
}

/** Child rows of new public entities, one array of rows per table (and the search rows). */
function publicEntityChildren(inserted: Map<string, PublicEntity>, ids: Map<string, number>) {
  const rows = {
    properties: [] as unknown[][],
    navigations: [] as unknown[][],
    constraints: [] as unknown[][],
    groups: [] as unknown[][],
    groupMembers: [] as unknown[][],
    actions: [] as unknown[][],
    parameters: [] as unknown[][],
    search: [] as unknown[][],
    memberSearch: [] as unknown[][],
    count: 0,
  };
  for (const [hash, e] of inserted) {
    const id = ids.get(hash) as number;
    rows.count += 1;
    rows.search.push(searchRow("publicEntity", id, 0, e.name, e.name, e.entitySetName, e.labelId));
    e.properties.forEach((p, order) => {
      rows.properties.push([
        id,
        order,
        p.name,
        p.typeName,
        p.dataType,
        p.labelId ?? null,
        p.isKey === true,
        p.isMandatory === true,
        p.configurationEnabled === true,
        p.allowEdit === true,
        p.allowEditOnCreate === true,
        p.isDimension === true,
        p.dimensionRelation ?? null,
        p.isDynamicDimension === true,
        p.dimensionLegalEntityProperty ?? null,
        p.dimensionTypeProperty ?? null,
      ]);
      rows.memberSearch.push(searchRow("property", id, order, e.name, p.name, null, p.labelId));
    });
    e.navigationProperties.forEach((n, order) => {
      rows.navigations.push([
        id,
        order,
        n.name,
        n.relatedEntity,
        n.relatedRelationName ?? null,
        n.cardinality,
      ]);
      n.constraints.forEach((c, constraintOrder) => {
        rows.constraints.push(constraintRow(id, order, constraintOrder, c));
      });
    });
    e.propertyGroups.forEach((g, order) => {
      rows.groups.push([id, order, g.name]);
      g.properties.forEach((name, memberOrder) => {
        rows.groupMembers.push([id, order, memberOrder, name]);
      });
    });
    e.actions.forEach((a, order) => {
      rows.actions.push([
        id,
        order,
        a.name,
        a.bindingKind,
        a.fieldLookup ?? null,
        a.returnType ? a.returnType.typeName : null,
        a.returnType ? a.returnType.isCollection === true : null,
      ]);
      rows.memberSearch.push(searchRow("action", id, order, e.name, a.name, null, null));
      a.parameters.forEach((p, parameterOrder) => {
        rows.parameters.push([
          id,
          order,
          parameterOrder,
          p.name,
          p.type.typeName,
          p.type.isCollection === true,
        ]);
      });
    });
  }
  return rows;
}

export async function writePublicEntities(
  db: PgConnection,
  versionId: number,
  entities: readonly PublicEntity[],
): Promise<WriteResult> {
  for (const e of entities)
    checkMembers(Math.max(e.properties.length, e.actions.length), `Public entity ${e.name}`);
  // The canonical document is both what the content hash covers and what reads decode (one row).
  const documents = new Map<string, string>();
  const items = entities.map((item) => {
    const document = encodePublicEntity(item);
    const hash = hashDocument(document);
    documents.set(hash, document);
    return { item, hash };
  });
  return db.transaction(async (tx) => {
    await beginMetadataWrite(tx, versionId);
    if (items.length === 0) return { rowsWritten: 0, definitionsReused: 0 };
    const { ids, inserted } = await resolveDefinitions(
      tx,
      "public_entities",
      items,
      PUBLIC_ENTITY_COLUMNS,
      (e, hash) => [
        documents.get(hash),
        e.name,
        e.entitySetName,
        e.labelId ?? null,
        e.isReadOnly === true,
        e.configurationEnabled === true,
        e.properties.length,
        e.navigationProperties.length,
        e.actions.length,
        e.propertyGroups.length,
      ],
    );
    const c = publicEntityChildren(inserted, ids);
    // One statement per member table, whatever the batch size.
    await bulkInsert(tx, "entity_properties", PROPERTY_COLUMNS, c.properties);
    await bulkInsert(tx, "navigation_properties", NAVIGATION_COLUMNS, c.navigations);
    await bulkInsert(tx, "relation_constraints", CONSTRAINT_COLUMNS, c.constraints);
    await bulkInsert(tx, "property_groups", GROUP_COLUMNS, c.groups);
    await bulkInsert(tx, "property_group_members", GROUP_MEMBER_COLUMNS, c.groupMembers);
    await bulkInsert(tx, "entity_actions", ACTION_COLUMNS, c.actions);
    await bulkInsert(tx, "action_parameters", PARAMETER_COLUMNS, c.parameters);
    await insertSearchRows(tx, SEARCH_TABLE, c.search);
    await insertSearchRows(tx, MEMBER_SEARCH_TABLE, c.memberSearch);
    const members = items.map(({ item, hash }) => ({ name: item.name, id: ids.get(hash) as number }));
    const memberships = await upsertMembership(
      tx,
      "version_public_entities",
      "public_entity_id",
      versionId,
      members,
    );
    const childRows =
      c.properties.length +
      c.navigations.length +
      c.constraints.length +
      c.groups.length +
      c.groupMembers.length +
      c.actions.length +
      c.parameters.length;
    return {
      rowsWritten: c.count + childRows + memberships,
      definitionsReused: items.length - inserted.size,
    };
  });
}

export async function writeEnumerations(
  db: PgConnection,
  versionId: number,
  enumerations: readonly Enumeration[],
): Promise<WriteResult> {
  for (const e of enumerations) checkMembers(e.members.length, `Enumeration ${e.name}`);
  const items = enumerations.map((item) => ({ item, hash: hashEnumeration(item) }));
  return db.transaction(async (tx) => {
    await beginMetadataWrite(tx, versionId);
    if (items.length === 0) return { rowsWritten: 0, definitionsReused: 0 };
    const { ids, inserted } = await resolveDefinitions(
      tx,
      "enumerations",
      items,
      ENUMERATION_COLUMNS,
      (e) => [e.name, e.labelId ?? null, e.members.length],
    );
    const memberRows: unknown[][] = [];
    const search: unknown[][] = [];
    const memberSearch: unknown[][] = [];
    for (const [hash, e] of inserted) {
      const id = ids.get(hash) as number;
      search.push(searchRow("enumeration", id, 0, e.name, e.name, null, e.labelId));
      e.members.forEach((m, order) => {
        memberRows.push([id, order, m.name, m.value, m.labelId ?? null, m.configurationEnabled === true]);
        memberSearch.push(searchRow("enumMember", id, order, e.name, m.name, null, m.labelId));
      });
    }
    await bulkInsert(tx, "enumeration_members", ENUMERATION_MEMBER_COLUMNS, memberRows);
    await insertSearchRows(tx, SEARCH_TABLE, search);
    await insertSearchRows(tx, MEMBER_SEARCH_TABLE, memberSearch);
    const members = items.map(({ item, hash }) => ({ name: item.name, id: ids.get(hash) as number }));
    const memberships = await upsertMembership(
      tx,
      "version_enumerations",
      "enumeration_id",
      versionId,
      members,
    );
    return {
      rowsWritten: inserted.size + memberRows.length + memberships,
      definitionsReused: items.length - inserted.size,
    };
  });
}
