/**
 * Step-level resume with a real SQLite store and a fixture source: a stream that breaks part-way
 * (after the HTTP client's own retries) is continued from what is stored, with `$skip`.
 */
import { afterEach, describe, expect, it } from "vitest";
import { NetworkError } from "../../packages/client/src/errors.js";
import type {
  DataEntity,
  Enumeration,
  Label,
  PublicEntity,
} from "../../packages/client/src/metadata/models.js";
import type {
  CollectionRequestOptions,
  MetadataSource,
  TransferCounters,
} from "../../packages/client/src/metadata/source.js";
import { SmartSyncManagerV2 } from "../../packages/client/src/sync/manager.js";
import { EnvironmentVersionInfo, ModuleVersionInfo } from "../../packages/client/src/version/models.js";
import { entityProperty } from "../_fixtures/models.js";
import { openStoreAt } from "./_backends.js";
import { tempDir } from "./_stack.js";

const dirs: ReturnType<typeof tempDir>[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

function dataEntity(i: number): DataEntity {
  return {
    name: `Entity${i}Entity`,
    publicEntityName: `Entity${i}`,
    publicCollectionName: `Entity${i}s`,
    labelId: `@Fix:E${i}`,
    dataServiceEnabled: true,
    dataManagementEnabled: true,
    entityCategory: "Master",
    isReadOnly: false,
  };
}

function publicEntity(i: number): PublicEntity {
  return {
    name: `Entity${i}`,
    entitySetName: `Entity${i}s`,
    labelId: `@Fix:E${i}`,
    isReadOnly: false,
    configurationEnabled: true,
    properties: [
      entityProperty("Id", { labelId: `@Fix:P${i}`, isKey: true, isMandatory: true, allowEdit: false }),
    ],
    navigationProperties: [],
    propertyGroups: [],
    actions: [],
  };
}

/** A fixture environment whose collection streams break once, part-way, with a network error. */
class FlakySource implements MetadataSource {
  readonly baseUrl = "https://fixture.example.com";
  readonly requests: { collection: string; skip?: number; top?: number }[] = [];
  private readonly broken = new Set<string>();
  constructor(
    readonly data: {
      dataEntities: DataEntity[];
      publicEntities: PublicEntity[];
      enumerations: Enumeration[];
    },
  ) {}

  private async *stream<T>(
    collection: string,
    items: T[],
    o: CollectionRequestOptions = {},
  ): AsyncGenerator<T> {
    this.requests.push({ collection, skip: o.skip, top: o.top });
    const start = o.skip ?? 0;
    const end = o.top === undefined ? items.length : Math.min(items.length, start + o.top);
    for (let i = start; i < end; i++) {
      // Each collection breaks once, mid-body, after some items were delivered.
      if (i === Math.floor(items.length / 2) + 3 && !this.broken.has(collection)) {
        this.broken.add(collection);
        throw new NetworkError(`connection reset reading ${collection}`);
      }
      yield items[i];
    }
  }
  dataEntities(o?: CollectionRequestOptions) {
    return this.stream("dataEntities", this.data.dataEntities, o);
  }
  publicEntities(o?: CollectionRequestOptions) {
    return this.stream("publicEntities", this.data.publicEntities, o);
  }
  enumerations(o?: CollectionRequestOptions) {
    return this.stream("enumerations", this.data.enumerations, o);
  }
  async getLabel(id: string, language: string): Promise<Label | null> {
    return { id, language, value: `Text of ${id}` };
  }
  counters(): TransferCounters {
    return { requests: this.requests.length, bytesReceived: 0, throttled: 0, retries: 0 };
  }
}

const version = new EnvironmentVersionInfo({
  modules: [ModuleVersionInfo.parseFromString("Name: Fixture | Version: 1.0.0.0 | Module: Fixture")],
});

describe("step-level resume", () => {
  it("continues a broken stream from the stored count and stores every item exactly once", async () => {
    const dir = tempDir("resume");
    dirs.push(dir);
    const store = await openStoreAt({ cacheDir: dir.path });
    const n = 130;
    const source = new FlakySource({
      dataEntities: Array.from({ length: n }, (_, i) => dataEntity(i)),
      publicEntities: Array.from({ length: n }, (_, i) => publicEntity(i)),
      enumerations: Array.from({ length: 40 }, (_, i) => ({
        name: `Enum${i}`,
        labelId: null,
        members: [{ name: "A", value: 0, labelId: `@Fix:M${i}`, configurationEnabled: true }],
      })),
    });
    const sync = new SmartSyncManagerV2({
      store,
      source,
      detector: { getEnvironmentVersion: async () => version },
      chunkSize: 10,
      windowSize: 25,
      windowsInFlight: 1,
    });
    const result = await sync.syncIfNeeded();
    expect(result.outcome).toBe("synced");
    const counts = await store.getCounts(result.versionId);
    expect(counts.dataEntities).toBe(n);
    expect(counts.publicEntities).toBe(n);
    expect(counts.enumerations).toBe(40);
    expect(await store.listPublicEntityNames(result.versionId)).toHaveLength(n);
    expect(await store.listMissingLabelIds(result.versionId, "en-US")).toEqual([]);

    // The retry asked only for what was not stored: `$skip` equals the items stored before the break.
    const de = source.requests.filter((r) => r.collection === "dataEntities");
    expect(de).toHaveLength(2);
    expect(de[1].skip).toBe(Math.floor((n / 2 + 3) / 10) * 10);
    const pe = source.requests.filter((r) => r.collection === "publicEntities");
    // The broken window (50..74) is asked again from what is stored; nothing before it.
    expect(pe.map((r) => r.skip ?? 0)).toEqual([0, 25, 50, 50, 75, 100, 125]);
    expect(pe.every((r) => r.top === 25)).toBe(true);
    await store.close();
  });
});
