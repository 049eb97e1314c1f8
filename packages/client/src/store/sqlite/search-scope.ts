/**
 * What a search needs to know about one version, in memory: its definition ids with their filter
 * attributes, its label texts and their owners. Built once per version and connection (see
 * `SqliteMetadataStore`'s scope cache); candidates are filtered and ranked against it.
 */
import type { SearchKind } from "../types.js";
import type { SqliteStatement } from "./connection.js";

export type Prepare = (sql: string) => SqliteStatement;

export interface DefinitionAttributes {
  readOnly: boolean | null;
  category: string | null;
  dataServiceEnabled: boolean | null;
}

export type LabelOwnerKind = "dataEntity" | "publicEntity" | "enumeration";

/** What the search needs to know about one version, in memory. */
export interface VersionScope {
  publicEntities: Map<number, DefinitionAttributes>;
  dataEntities: Map<number, DefinitionAttributes>;
  enumerations: Set<number>;
  /** Per language (loaded on first use): label text id → label id, for the texts the version uses. */
  labelTexts: Map<string, Map<number, string>>;
  /** Label id → definitions of the version carrying it. */
  labelOwners: Map<string, { kind: LabelOwnerKind; id: number }[]>;
}

export const NO_ATTRIBUTES: DefinitionAttributes = {
  readOnly: null,
  category: null,
  dataServiceEnabled: null,
};

export function loadVersionScope(prepare: Prepare, versionId: number): VersionScope {
  const labelOwners = new Map<string, { kind: LabelOwnerKind; id: number }[]>();
  const own = (labelId: string | null, kind: LabelOwnerKind, id: number) => {
    if (!labelId) return;
    const list = labelOwners.get(labelId);
    if (list) list.push({ kind, id });
    else labelOwners.set(labelId, [{ kind, id }]);
  };
  const dataEntities = new Map<number, DefinitionAttributes>();
  const byPublicName = new Map<string, DefinitionAttributes>();
  for (const [id, publicName, labelId, category, dse, readOnly] of prepare(
    `SELECT d.id, d.public_entity_name, d.label_id, d.entity_category, d.data_service_enabled, d.is_read_only
     FROM version_data_entities v CROSS JOIN data_entities d ON d.id = v.data_entity_id
     WHERE v.global_version_id = ?`,
  )
    .raw()
    .all(versionId) as [number, string | null, string | null, string | null, number, number][]) {
    const attributes = { readOnly: readOnly === 1, category, dataServiceEnabled: dse === 1 };
    dataEntities.set(id, attributes);
    if (publicName) byPublicName.set(publicName, attributes);
    own(labelId, "dataEntity", id);
  }
  const publicEntities = new Map<number, DefinitionAttributes>();
  for (const [id, name, labelId, readOnly] of prepare(
    `SELECT p.id, p.name, p.label_id, p.is_read_only
     FROM version_public_entities v CROSS JOIN public_entities p ON p.id = v.public_entity_id
     WHERE v.global_version_id = ?`,
  )
    .raw()
    .all(versionId) as [number, string, string | null, number][]) {
    const dataEntity = byPublicName.get(name) ?? NO_ATTRIBUTES;
    publicEntities.set(id, {
      readOnly: readOnly === 1,
      category: dataEntity.category,
      dataServiceEnabled: dataEntity.dataServiceEnabled,
    });
    own(labelId, "publicEntity", id);
  }
  const enumerations = new Set<number>();
  for (const [id, labelId] of prepare(
    `SELECT e.id, e.label_id FROM version_enumerations v CROSS JOIN enumerations e ON e.id = v.enumeration_id
     WHERE v.global_version_id = ?`,
  )
    .raw()
    .all(versionId) as [number, string | null][]) {
    enumerations.add(id);
    own(labelId, "enumeration", id);
  }
  const labelTexts = new Map<string, Map<number, string>>();
  return { publicEntities, dataEntities, enumerations, labelTexts, labelOwners };
}

export function labelTextsOf(prepare: Prepare, scope: VersionScope, versionId: number, language: string) {
  let texts = scope.labelTexts.get(language);
  if (!texts) {
    texts = new Map<number, string>();
    for (const [id, labelId] of prepare(
      `SELECT lt.id, lt.label_id FROM version_labels vl
       CROSS JOIN labels_cache lt ON lt.id = vl.label_text_id
       WHERE vl.global_version_id = ? AND lt.language = ?`,
    )
      .raw()
      .all(versionId, language) as [number, string][]) {
      texts.set(id, labelId);
    }
    scope.labelTexts.set(language, texts);
  }
  return texts;
}

export interface Candidate {
  rowid: number;
  kind: SearchKind;
  ownerId: number;
  ordinal: number;
  tier: number;
  score: number;
  /** For label hits: the definition carrying the label. */
  labelOwner?: { kind: LabelOwnerKind; id: number };
}

export interface Filters {
  category?: string;
  dataServiceEnabled?: boolean;
  readOnly?: boolean;
}

/** False for `undefined` (not a member of the version) or when a set filter does not match. */
export function passes(attributes: DefinitionAttributes | undefined, filters: Filters): boolean {
  if (attributes === undefined) return false;
  const a = attributes;
  if (filters.category !== undefined && a.category !== filters.category) return false;
  if (filters.dataServiceEnabled !== undefined && a.dataServiceEnabled !== filters.dataServiceEnabled)
    return false;
  if (filters.readOnly !== undefined && a.readOnly !== filters.readOnly) return false;
  return true;
}

export function attributesOf(
  scope: VersionScope,
  kind: LabelOwnerKind,
  id: number,
): DefinitionAttributes | undefined {
  if (kind === "dataEntity") return scope.dataEntities.get(id);
  if (kind === "publicEntity") return scope.publicEntities.get(id);
  return scope.enumerations.has(id) ? NO_ATTRIBUTES : undefined;
}

function compareCandidates(a: Candidate, b: Candidate): number {
  if (a.tier !== b.tier) return a.tier - b.tier;
  // Unscored (NaN) and equal (also both Infinity) scores fall through to the stable order.
  if (a.score < b.score) return -1;
  if (a.score > b.score) return 1;
  return a.rowid - b.rowid || (a.labelOwner?.id ?? 0) - (b.labelOwner?.id ?? 0);
}

/**
 * The first `count` candidates in rank order. A page is usually a few dozen hits out of thousands:
 * a bounded max-heap keeps that O(n log count) instead of sorting everything.
 */
export function topHits(candidates: Candidate[], count: number): Candidate[] {
  if (count >= candidates.length / 4) return [...candidates].sort(compareCandidates).slice(0, count);
  const heap: Candidate[] = [];
  const worse = (i: number, j: number) => compareCandidates(heap[i], heap[j]) > 0;
  const swap = (i: number, j: number) => {
    const t = heap[i];
    heap[i] = heap[j];
    heap[j] = t;
  };
  for (const c of candidates) {
    if (heap.length < count) {
      heap.push(c);
      for (let i = heap.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!worse(i, parent)) break;
        swap(i, parent);
        i = parent;
      }
    } else if (compareCandidates(c, heap[0]) < 0) {
      heap[0] = c;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let top = i;
        if (l < heap.length && worse(l, top)) top = l;
        if (r < heap.length && worse(r, top)) top = r;
        if (top === i) break;
        swap(i, top);
        i = top;
      }
    }
  }
  return heap.sort(compareCandidates);
}

const MAX_SCOPES = 4;

/**
 * Per-version scopes of one connection (LRU). Dropped on this connection's content writes, and
 * when another connection committed (`PRAGMA data_version` changed): its writes may change any
 * version.
 */
export class VersionScopeCache {
  private readonly scopes = new Map<number, VersionScope>();
  private dataVersion = -1;

  constructor(private readonly prepare: Prepare) {}

  clear(): void {
    this.scopes.clear();
  }

  get(versionId: number): VersionScope {
    const dataVersion = this.prepare("PRAGMA data_version").pluck().get() as number;
    if (dataVersion !== this.dataVersion) {
      this.scopes.clear();
      this.dataVersion = dataVersion;
    }
    let scope = this.scopes.get(versionId);
    if (scope) {
      this.scopes.delete(versionId);
    } else {
      scope = loadVersionScope(this.prepare, versionId);
      if (this.scopes.size >= MAX_SCOPES) this.scopes.delete(this.scopes.keys().next().value as number);
    }
    this.scopes.set(versionId, scope);
    return scope;
  }
}
