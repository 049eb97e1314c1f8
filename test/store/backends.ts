/**
 * The store backends the contract suite (`test/store/contract/`) runs against. Each entry opens
 * fresh, empty stores and cleans up whatever it created, without the tests knowing where a store
 * lives: SQLite (a temp directory per store) and PostgreSQL (a database per store on the run's
 * embedded server, see test/_support/postgres-server.ts).
 */
import { join } from "node:path";
import { inspectStore, openMetadataStore } from "../../packages/client/src/store/index.js";
import type { MetadataStore, StoreInspection } from "../../packages/client/src/store/types.js";
import { createTestDatabase, type TestDatabase } from "../_support/postgres-database.js";
import { makeTempDir } from "./fixtures.js";

export type StoreUnderTest = MetadataStore & StoreInspection;

/** What a child process needs to open the same store (JSON-serialisable). */
export interface StoreOpenOptions {
  cacheDir?: string;
  cacheUrl?: string;
}

export interface StoreBackendUnderTest {
  name: "sqlite" | "postgres";
  /** A new, empty store of its own (every call a different store). */
  open(): Promise<StoreUnderTest>;
  /** A second, independent handle on the store `store` (another connection, as another process would have). */
  openAnother(store: StoreUnderTest): Promise<StoreUnderTest>;
  /**
   * `openMetadataStore` options naming a new store that nobody has opened yet: child processes
   * given them (as JSON) race on creating it. Deleted by `cleanup`.
   */
  newStoreOptions(): Promise<StoreOpenOptions>;
  /** A handle on the store named by `options` (closed by `cleanup`). */
  openWith(options: StoreOpenOptions): Promise<StoreUnderTest>;
  /** Closes every handle opened through this entry and deletes every store it created. */
  cleanup(): Promise<void>;
}

function asTested(store: MetadataStore): StoreUnderTest {
  inspectStore(store);
  return store as StoreUnderTest;
}

function sqliteBackend(): StoreBackendUnderTest {
  const temps: ReturnType<typeof makeTempDir>[] = [];
  const handles: MetadataStore[] = [];
  const dirs = new Map<MetadataStore, string>();
  const openIn = async (cacheDir: string) => {
    const store = asTested(await openMetadataStore({ cacheDir, cacheUrl: "" }));
    handles.push(store);
    dirs.set(store, cacheDir);
    return store;
  };
  return {
    name: "sqlite",
    async open() {
      const temp = makeTempDir();
      temps.push(temp);
      return openIn(join(temp.dir, "cache"));
    },
    async openAnother(store) {
      const dir = dirs.get(store);
      if (dir === undefined) throw new Error("openAnother: not a store of this backend");
      return openIn(dir);
    },
    async newStoreOptions() {
      const temp = makeTempDir();
      temps.push(temp);
      return { cacheDir: join(temp.dir, "cache"), cacheUrl: "" };
    },
    async openWith(options) {
      if (options.cacheDir === undefined) throw new Error("openWith: SQLite needs a cacheDir");
      return openIn(options.cacheDir);
    },
    async cleanup() {
      for (const store of handles.splice(0)) await store.close().catch(() => undefined);
      for (const temp of temps.splice(0)) temp.cleanup();
      dirs.clear();
    },
  };
}

function postgresBackend(): StoreBackendUnderTest {
  const databases: TestDatabase[] = [];
  const handles: MetadataStore[] = [];
  const urls = new Map<MetadataStore, string>();
  const openAt = async (cacheUrl: string) => {
    const store = asTested(await openMetadataStore({ cacheUrl }));
    handles.push(store);
    urls.set(store, cacheUrl);
    return store;
  };
  const newDatabase = async () => {
    const database = await createTestDatabase("d365fo_contract");
    databases.push(database);
    return database.url;
  };
  return {
    name: "postgres",
    async open() {
      return openAt(await newDatabase());
    },
    async openAnother(store) {
      const url = urls.get(store);
      if (url === undefined) throw new Error("openAnother: not a store of this backend");
      return openAt(url);
    },
    async newStoreOptions() {
      return { cacheUrl: await newDatabase() };
    },
    async openWith(options) {
      if (!options.cacheUrl) throw new Error("openWith: PostgreSQL needs a cacheUrl");
      return openAt(options.cacheUrl);
    },
    async cleanup() {
      for (const store of handles.splice(0)) await store.close().catch(() => undefined);
      urls.clear();
      for (const database of databases.splice(0)) await database.drop().catch(() => undefined);
    },
  };
}

/** Every backend the contract runs against, each a fresh entry (call it once per describe). */
export function storeBackends(): StoreBackendUnderTest[] {
  return [sqliteBackend(), postgresBackend()];
}
