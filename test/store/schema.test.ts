import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SchemaTooNewError } from "../../src/errors.js";
import { openMetadataStore, resolveCacheDir, SCHEMA_VERSION } from "../../src/store/index.js";
import { MIGRATIONS } from "../../src/store/sqlite/schema.js";
import { makeTempDir } from "./fixtures.js";

describe("store schema, migrations and location", () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.cleanup());

  it("refuses a database written by a newer schema", () => {
    const path = join(temp.dir, "metadata-v2.db");
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    let error: unknown;
    try {
      openMetadataStore({ cacheDir: temp.dir });
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

  it("reports a file that is not a database as a CacheError", () => {
    writeFileSync(join(temp.dir, "metadata-v2.db"), "this is not sqlite ".repeat(100));
    expect(() => openMetadataStore({ cacheDir: temp.dir })).toThrowError(
      expect.objectContaining({ code: "D365_CACHE" }),
    );
  });

  it("migrates a version 1 file to the current schema, back-filling the search index", () => {
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

    const store = openMetadataStore({ cacheDir: temp.dir, fileName: "legacy.db" });
    try {
      const check = new Database(path, { readonly: true });
      expect(check.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
      check.close();
      expect(store.getPublicEntity(1, "CustomerV3")?.properties.map((p) => p.name)).toEqual([
        "CustomerAccount",
      ]);
      const hits = store.search({
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
      expect(store.checkIntegrity().ok).toBe(true);
    } finally {
      store.close();
    }
    // Re-opening a current file is a no-op.
    openMetadataStore({ cacheDir: temp.dir, fileName: "legacy.db" }).close();
  });

  it("resolves the cache directory: explicit, then D365FO_CACHE_DIR, then the user cache dir", () => {
    expect(resolveCacheDir("/explicit", { D365FO_CACHE_DIR: "/from-env" })).toBe("/explicit");
    expect(resolveCacheDir(undefined, { D365FO_CACHE_DIR: "/from-env" })).toBe("/from-env");
    expect(resolveCacheDir("", { D365FO_CACHE_DIR: " " })).toMatch(/d365fo-client$/);
  });

  it("uses D365FO_CACHE_DIR when opening without a cacheDir", () => {
    const previous = process.env.D365FO_CACHE_DIR;
    process.env.D365FO_CACHE_DIR = join(temp.dir, "env-dir");
    try {
      const store = openMetadataStore({});
      expect(store.location).toBe(join(temp.dir, "env-dir", "metadata-v2.db"));
      store.close();
    } finally {
      if (previous === undefined) delete process.env.D365FO_CACHE_DIR;
      else process.env.D365FO_CACHE_DIR = previous;
    }
  });
});

describe("store errors", () => {
  it("a write blocked by another connection's lock past the busy timeout is a CacheError, and close is final", () => {
    const temp = makeTempDir();
    const store = openMetadataStore({ cacheDir: temp.dir });
    const blocker = new Database(store.location, { timeout: 0 });
    try {
      blocker.exec("BEGIN IMMEDIATE");
      // A second store with a tiny busy timeout so the test does not wait 10 s; opening takes no lock.
      const other = openMetadataStore({ cacheDir: temp.dir, busyTimeoutMs: 50 });
      expect(other.getEnvironment(1)).toBeUndefined();
      expect(() => other.ensureEnvironment("https://a.example.com")).toThrowError(
        expect.objectContaining({ code: "D365_CACHE_BUSY" }),
      );
      other.close();
    } finally {
      blocker.exec("ROLLBACK");
      blocker.close();
    }
    store.close();
    expect(() => store.ensureEnvironment("https://a.example.com")).toThrowError(/closed/);
    expect(() => store.getPublicEntity(1, "CustomerV3")).toThrowError(/closed/);
    temp.cleanup();
  });
});
