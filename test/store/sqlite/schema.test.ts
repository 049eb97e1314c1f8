import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CacheError, SchemaTooNewError } from "../../../packages/client/src/errors.js";
import {
  CacheCorruptError,
  openMetadataStore,
  resetMetadataStore,
  resolveCacheDir,
  SCHEMA_VERSION,
} from "../../../packages/client/src/store/index.js";
import { MIGRATIONS } from "../../../packages/client/src/store/sqlite/schema.js";
import { makeTempDir } from "../fixtures.js";

describe("store schema, migrations and location", () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(async () => {
    temp = makeTempDir();
  });
  afterEach(async () => temp.cleanup());

  it("refuses a database written by a newer schema", async () => {
    const path = join(temp.dir, "metadata-v2.db");
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    let error: unknown;
    try {
      await openMetadataStore({ cacheUrl: "", cacheDir: temp.dir });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SchemaTooNewError);
    expect(error).toMatchObject({
      code: "D365_CACHE_SCHEMA_TOO_NEW",
      found: SCHEMA_VERSION + 1,
      supported: SCHEMA_VERSION,
    });
  });

  it("reports a file that is not a database as a CacheCorruptError that says how to recover", async () => {
    writeFileSync(join(temp.dir, "metadata-v2.db"), "this is not sqlite ".repeat(100));
    const error = await openMetadataStore({ cacheUrl: "", cacheDir: temp.dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CacheCorruptError);
    expect(error).toBeInstanceOf(CacheError);
    expect(error).toMatchObject({
      code: "D365_CACHE_CORRUPT",
      message: expect.stringContaining("d365fo cache reset"),
    });
    expect((error as Error).cause).toBeDefined();
    // The way out: reset deletes the file (and its companions), the next open starts afresh.
    const reset = await resetMetadataStore({ cacheDir: temp.dir, cacheUrl: "" });
    expect(reset.removed).toEqual([join(temp.dir, "metadata-v2.db")]);
    const store = await openMetadataStore({ cacheUrl: "", cacheDir: temp.dir });
    expect((await store.checkIntegrity()).ok).toBe(true);
    await store.close();
  });

  it("migrates a version 1 file to the current schema, back-filling the search index", async () => {
    const path = join(temp.dir, "legacy.db");
    const db = new Database(path);
    db.exec(MIGRATIONS[0].up);
    db.pragma("user_version = 1");
    const now = Date.now();
    db.prepare(
      `INSERT INTO global_versions (id, version_hash, modules_hash, status, first_seen_at, last_used_at)
       VALUES (1, 'aaaaaaaaaaaaaaaa', ?, 'complete', ?, ?)`,
    ).run("a".repeat(64), now, now);
    db.prepare(
      `INSERT INTO public_entities (id, content_hash, name, entity_set_name, label_id, is_read_only, configuration_enabled,
         property_count) VALUES (1, 'h1', 'CustomerV3', 'CustomersV3', '@SYS1', 0, 1, 1)`,
    ).run();
    db.prepare(
      `INSERT INTO entity_properties (entity_id, name, type_name, data_type, label_id, is_key, is_mandatory,
         configuration_enabled, allow_edit, allow_edit_on_create, is_dimension, is_dynamic_dimension, property_order)
       VALUES (1, 'CustomerAccount', 'Edm.String', 'String', NULL, 1, 1, 1, 0, 1, 0, 0, 0)`,
    ).run();
    db.prepare("INSERT INTO version_public_entities VALUES (1, 'CustomerV3', 1)").run();
    db.close();

    const store = await openMetadataStore({ cacheUrl: "", cacheDir: temp.dir, fileName: "legacy.db" });
    try {
      const check = new Database(path, { readonly: true });
      expect(check.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
      check.close();
      expect((await store.getPublicEntity(1, "CustomerV3"))?.properties.map((p) => p.name)).toEqual([
        "CustomerAccount",
      ]);
      const hits = await store.search({
        versionId: 1,
        terms: ["customer", "account"],
        prefixLastTerm: false,
        language: "en-us",
        limit: 10,
        offset: 0,
      });
      expect(hits.hits).toEqual([
        expect.objectContaining({
          kind: "property",
          name: "CustomerV3",
          memberName: "CustomerAccount",
          tier: 0,
        }),
      ]);
      expect((await store.checkIntegrity()).ok).toBe(true);
    } finally {
      await store.close();
    }
    // Re-opening a current file is a no-op.
    await (await openMetadataStore({ cacheUrl: "", cacheDir: temp.dir, fileName: "legacy.db" })).close();
  });

  it("resolves the cache directory: explicit, then D365FO_CACHE_DIR, then the user cache dir", async () => {
    expect(resolveCacheDir("/explicit", { D365FO_CACHE_DIR: "/from-env" })).toBe("/explicit");
    expect(resolveCacheDir(undefined, { D365FO_CACHE_DIR: "/from-env" })).toBe("/from-env");
    expect(resolveCacheDir("", { D365FO_CACHE_DIR: " " })).toMatch(/d365fo-client$/);
  });

  it("uses D365FO_CACHE_DIR when opening without a cacheDir", async () => {
    const previous = process.env.D365FO_CACHE_DIR;
    process.env.D365FO_CACHE_DIR = join(temp.dir, "env-dir");
    try {
      const store = await openMetadataStore({ cacheUrl: "" });
      expect((await store.describe()).location).toBe(join(temp.dir, "env-dir", "metadata-v2.db"));
      await store.close();
    } finally {
      if (previous === undefined) delete process.env.D365FO_CACHE_DIR;
      else process.env.D365FO_CACHE_DIR = previous;
    }
  });
});

describe("store errors", () => {
  it("a write blocked by another connection's lock past the busy timeout is a CacheError, and close is final", async () => {
    const temp = makeTempDir();
    const store = await openMetadataStore({ cacheUrl: "", cacheDir: temp.dir });
    const blocker = new Database((await store.describe()).location, { timeout: 0 });
    try {
      blocker.exec("BEGIN IMMEDIATE");
      // A second store with a tiny busy timeout so the test does not wait 10 s; opening takes no lock.
      const other = await openMetadataStore({ cacheUrl: "", cacheDir: temp.dir, busyTimeoutMs: 50 });
      expect(await other.getEnvironment(1)).toBeUndefined();
      await expect(other.ensureEnvironment("https://a.example.com")).rejects.toThrowError(
        expect.objectContaining({ code: "D365_CACHE_BUSY" }),
      );
      await other.close();
    } finally {
      blocker.exec("ROLLBACK");
      blocker.close();
    }
    await store.close();
    await expect(store.ensureEnvironment("https://a.example.com")).rejects.toThrowError(/closed/);
    await expect(store.getPublicEntity(1, "CustomerV3")).rejects.toThrowError(/closed/);
    temp.cleanup();
  });
});
