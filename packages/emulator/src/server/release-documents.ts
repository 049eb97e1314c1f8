/**
 * What the server serves for one release, serialised once and shared by every environment on that
 * release (so two environments answer byte-identical metadata, and the `large` PublicEntities is
 * not re-serialised per request). Each item's JSON is kept as its own Buffer so collections can be
 * streamed in chunks and filtered/paged without re-serialising.
 */
import type { EmulatorRelease } from "../model/types.js";
import type { PropertySchema, PropertyType } from "./odata/filter.js";

/** Where releases come from: the generator in production, a fixture in unit tests. */
export interface ReleaseSource {
  release(upgradeStep: number): EmulatorRelease;
  renderCsdl(release: EmulatorRelease): string;
  moduleLines(release: EmulatorRelease): string[];
}

export type CollectionName = "DataEntities" | "PublicEntities" | "PublicEnumerations";

export class ItemCollection {
  private json?: Buffer[];
  private index?: Map<string, number>;
  readonly schema: PropertySchema;
  readonly properties: readonly string[];

  constructor(
    readonly name: CollectionName,
    readonly items: readonly Readonly<Record<string, unknown>>[],
    schema: PropertySchema,
  ) {
    this.schema = schema;
    this.properties = Object.keys(schema);
  }

  /** Each item's JSON, computed on first use. */
  itemJson(): Buffer[] {
    if (!this.json) this.json = this.items.map((item) => Buffer.from(JSON.stringify(item)));
    return this.json;
  }

  /** Position of the item with this `Name` (keys are case-sensitive, like entity-set names). */
  find(name: string): number | undefined {
    if (!this.index) {
      this.index = new Map();
      for (const [i, item] of this.items.entries()) this.index.set(item.Name as string, i);
    }
    return this.index.get(name);
  }
}

const METADATA_ENUM = "enum:Microsoft.Dynamics.Metadata";

/** Filterable/selectable top-level properties of each Metadata collection (wire.ts shapes). */
const SCHEMAS: Record<CollectionName, Record<string, PropertyType | "collection" | "complex">> = {
  DataEntities: {
    Name: "string",
    PublicEntityName: "string",
    PublicCollectionName: "string",
    LabelId: "string",
    DataServiceEnabled: "boolean",
    DataManagementEnabled: "boolean",
    EntityCategory: `${METADATA_ENUM}.EntityCategory`,
    IsReadOnly: "boolean",
  },
  PublicEntities: {
    Name: "string",
    EntitySetName: "string",
    LabelId: "string",
    IsReadOnly: "boolean",
    ConfigurationEnabled: "boolean",
    Properties: "collection",
    NavigationProperties: "collection",
    PropertyGroups: "collection",
    Actions: "collection",
  },
  PublicEnumerations: {
    Name: "string",
    LabelId: "string",
    Members: "collection",
  },
};

function filterSchema(name: CollectionName): { schema: PropertySchema; selectable: string[] } {
  const schema: Record<string, PropertyType> = {};
  const all = SCHEMAS[name];
  for (const [property, type] of Object.entries(all)) {
    if (type !== "collection" && type !== "complex") schema[property] = type;
  }
  return { schema, selectable: Object.keys(all) };
}

export class ReleaseDocuments {
  readonly collections: Record<CollectionName, ItemCollection>;
  readonly selectable: Record<CollectionName, readonly string[]>;
  private csdl?: Buffer;
  private lines?: string[];
  private serviceEntries?: Buffer;

  constructor(
    readonly release: EmulatorRelease,
    private readonly source: ReleaseSource,
  ) {
    const make = (name: CollectionName, items: readonly object[]) =>
      new ItemCollection(name, items as Readonly<Record<string, unknown>>[], filterSchema(name).schema);
    this.collections = {
      DataEntities: make("DataEntities", release.dataEntities),
      PublicEntities: make("PublicEntities", release.publicEntities),
      PublicEnumerations: make("PublicEnumerations", release.enumerations),
    };
    this.selectable = {
      DataEntities: filterSchema("DataEntities").selectable,
      PublicEntities: filterSchema("PublicEntities").selectable,
      PublicEnumerations: filterSchema("PublicEnumerations").selectable,
    };
  }

  csdlXml(): Buffer {
    if (!this.csdl) this.csdl = Buffer.from(this.source.renderCsdl(this.release));
    return this.csdl;
  }

  moduleLines(): string[] {
    if (!this.lines) this.lines = this.source.moduleLines(this.release);
    return this.lines;
  }

  /** The `value` array of the `/data` service document (every public entity set). */
  serviceDocumentValue(): Buffer {
    if (!this.serviceEntries) {
      const entries = this.release.publicEntities.map((entity) => ({
        name: entity.EntitySetName,
        kind: "EntitySet",
        url: entity.EntitySetName,
      }));
      this.serviceEntries = Buffer.from(JSON.stringify(entries));
    }
    return this.serviceEntries;
  }

  /** Label text: language matched case-insensitively, id exactly. */
  label(id: string, language: string): string | undefined {
    return this.release.labels.get(language.toLowerCase())?.get(id);
  }
}

const documents = new WeakMap<EmulatorRelease, ReleaseDocuments>();

/** One ReleaseDocuments per release object, shared by all environments and emulators in the process. */
export function documentsFor(release: EmulatorRelease, source: ReleaseSource): ReleaseDocuments {
  let docs = documents.get(release);
  if (!docs) {
    docs = new ReleaseDocuments(release, source);
    documents.set(release, docs);
  }
  return docs;
}
