import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CacheError, SchemaTooNewError } from "../../../packages/client/src/errors.js";
import { silentLogger } from "../../../packages/client/src/logging.js";
import { PgConnection } from "../../../packages/postgres/src/connection.js";
import { openPostgresStore } from "../../../packages/postgres/src/index.js";
import { enumeration, fullPublicEntity, label, simpleEntity, versionInfo } from "../fixtures.js";
import { type PostgresFixture, type PostgresTestStore, postgresFixture } from "./_store.js";

async function sql(url: string, text: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}

describe("PostgreSQL store: cleanup, integrity, footprint", () => {
  let fixture: PostgresFixture;
  let store: PostgresTestStore;

  beforeAll(async () => {
    fixture = await postgresFixture("d365fo_maint");
    store = await fixture.open();
  });
  afterAll(async () => {
    await fixture.dispose();
  });

  async function version(
    tag: string,
    entities = [simpleEntity(`Only${tag}`, 3), fullPublicEntity("SharedV3")],
  ) {
    const { version } = await store.getOrCreateVersion(versionInfo(tag), null);
    await store.writePublicEntities(version.id, entities);
    await store.writeEnumerations(version.id, [enumeration(`Enum${tag}`, 2), enumeration("SharedEnum", 2)]);
    await store.writeLabels(version.id, [label(`@ONLY${tag}`, `only ${tag}`), label("@SHARED", "shared")]);
    await store.completeVersion(version.id);
    return version.id;
  }

  it("deletes unused old versions and exactly the definitions and texts nobody else uses; a dry run deletes nothing", async () => {
    const env = await store.ensureEnvironment("https://cleanup.example.com");
    const kept = await version("keep");
    const old = await version("old");
    const leased = await version("leased");
    await store.linkEnvironment(env.id, kept);
    expect(await store.tryAcquireSyncLease(leased, "syncer", 60_000)).toBe(true);
    const future = new Date(Date.now() + 3_600_000);
    const rows = await store.countMetadataRows();
    const dry = await store.cleanupVersions({ olderThan: future, dryRun: true });
    expect(dry).toEqual({ versionIds: [old], definitionsDeleted: 2, labelsDeleted: 1, dryRun: true });
    expect(await store.countMetadataRows()).toBe(rows);
    expect(await store.getVersion(old)).toBeDefined();
    const real = await store.cleanupVersions({ olderThan: future, dryRun: false });
    expect(real).toEqual({ ...dry, dryRun: false });
    expect(await store.getVersion(old)).toBeUndefined();
    expect(await store.getPublicEntity(kept, "SharedV3")).toEqual(fullPublicEntity("SharedV3"));
    expect(await store.getLabel(kept, "@SHARED", "en-us")).toBe("shared");
    const leftovers = await sql(
      fixture.database.url,
      `SELECT (SELECT count(*)::int FROM public_entities WHERE name = 'Onlyold')
            + (SELECT count(*)::int FROM search_definitions WHERE name = 'Onlyold')
            + (SELECT count(*)::int FROM search_members WHERE owner_name = 'Onlyold') AS n`,
    );
    expect(leftovers[0].n).toBe(0);
    expect(await store.checkIntegrity()).toEqual({ ok: true, messages: [] });
    // Nothing is older than the epoch.
    expect((await store.cleanupVersions({ olderThan: new Date(0), dryRun: false })).versionIds).toEqual([]);
    await expect(
      store.cleanupVersions({ olderThan: new Date(Number.NaN), dryRun: true }),
    ).rejects.toMatchObject({
      code: "D365_CONFIG",
    });
  });

  it("integrity reports what it checks: reference counts, search rows, stored counts", async () => {
    const id = await version("integrity");
    const db = fixture.database.url;
    await sql(db, "UPDATE global_versions SET reference_count = 5 WHERE id = $1", [id]);
    await sql(db, "DELETE FROM search_members WHERE ctid IN (SELECT ctid FROM search_members LIMIT 1)");
    await sql(db, "UPDATE public_entities SET property_count = property_count + 1 WHERE name = $1", [
      "Onlyintegrity",
    ]);
    const report = await store.checkIntegrity();
    expect(report.ok).toBe(false);
    expect(report.messages.join("\n")).toMatch(/reference_count 5 but 0 linked/);
    expect(report.messages.join("\n")).toMatch(/search index search_members has \d+ rows for \d+ items/);
    expect(report.messages.join("\n")).toMatch(/Onlyintegrity.*stored counts/);
  });

  it("footprint: the server's sizes; per-environment copies exceed the shared store once environments share", async () => {
    const fresh = await postgresFixture("d365fo_footprint");
    try {
      const s = await fresh.open();
      const { version } = await s.getOrCreateVersion(versionInfo("fp"), null);
      await s.writePublicEntities(
        version.id,
        Array.from({ length: 60 }, (_, i) => simpleEntity(`Fp${i}`, 20)),
      );
      await s.completeVersion(version.id);
      for (let i = 0; i < 4; i++) {
        const env = await s.ensureEnvironment(`https://fp${i}.example.com`);
        await s.linkEnvironment(env.id, version.id);
      }
      const footprint = await s.getStorageFootprint();
      expect(footprint.totalBytes).toBeGreaterThan(footprint.metadataBytes);
      expect(footprint.metadataBytes).toBeGreaterThan(0);
      expect(footprint.perEnvironmentCopyBytes).toBeGreaterThan(3 * footprint.metadataBytes);
    } finally {
      await fresh.dispose();
    }
  });
});

describe("PostgreSQL store: schema, opening, errors", () => {
  let fixture: PostgresFixture;

  beforeAll(async () => {
    fixture = await postgresFixture("d365fo_schema");
  });
  afterAll(async () => {
    await fixture.dispose();
  });

  it("several processes opening a fresh database at once migrate it once", async () => {
    const stores = await Promise.all(
      Array.from({ length: 6 }, () => fixture.open({ poolSize: 2, schema: "racing" })),
    );
    const versions = await sql(fixture.database.url, "SELECT version FROM racing.d365fo_schema_version");
    expect(versions).toHaveLength(1);
    const env = await stores[0].ensureEnvironment("https://schema.example.com");
    expect((await stores[5].findEnvironment(env.baseUrl))?.id).toBe(env.id);
    // Another schema of the same database is another store.
    const other = await fixture.open({ schema: "other_team" });
    expect(await other.findEnvironment(env.baseUrl)).toBeUndefined();
  });

  it("refuses a schema newer than this library with SchemaTooNewError", async () => {
    await fixture.open({ schema: "newer" });
    await sql(fixture.database.url, "UPDATE newer.d365fo_schema_version SET version = version + 1");
    const opening = openPostgresStore({ url: fixture.database.url, schema: "newer" });
    await expect(opening).rejects.toBeInstanceOf(SchemaTooNewError);
    await expect(opening).rejects.toMatchObject({ code: "D365_CACHE_SCHEMA_TOO_NEW" });
  });

  it("rejects an invalid schema name before connecting", async () => {
    await expect(openPostgresStore({ url: fixture.database.url, schema: 'x"; DROP' })).rejects.toMatchObject({
      code: "D365_CONFIG",
    });
  });

  it("maps a wrong password to D365_CACHE_AUTH without the password in the message", async () => {
    const url = new URL(fixture.database.url);
    url.password = "wrong-secret-password";
    const error = await openPostgresStore({ url: url.toString() }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "D365_CACHE_AUTH" });
    expect(String((error as Error).message)).not.toContain("wrong-secret-password");
    expect(String((error as Error).message)).toContain(`127.0.0.1:${url.port}`);
  });

  it("maps an unreachable server to D365_CACHE_UNAVAILABLE; a missing database too", async () => {
    const refused = await openPostgresStore({ url: "postgres://u:topsecret@127.0.0.1:1/x" }).catch(
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ code: "D365_CACHE_UNAVAILABLE" });
    expect(String((refused as Error).message)).not.toContain("topsecret");
    const url = new URL(fixture.database.url);
    url.pathname = "/no_such_database";
    expect(await openPostgresStore({ url: url.toString() }).catch((e: unknown) => e)).toMatchObject({
      code: "D365_CACHE_UNAVAILABLE",
    });
  });

  it("a closed store rejects calls with a CacheError; close is idempotent", async () => {
    const store = await openPostgresStore({ url: fixture.database.url });
    await store.close();
    await store.close();
    await expect(store.listEnvironments()).rejects.toMatchObject({ code: "D365_CACHE_CLOSED" });
    await expect(
      store.search({
        versionId: 1,
        terms: ["x"],
        prefixLastTerm: false,
        language: "en-us",
        limit: 1,
        offset: 0,
      }),
    ).rejects.toMatchObject({ code: "D365_CACHE_CLOSED" });
  });

  it("a connection the server terminates mid-query surfaces as D365_CACHE_UNAVAILABLE; the pool recovers", async () => {
    const db = new PgConnection({ url: fixture.database.url, poolSize: 1, logger: silentLogger });
    try {
      const sleeping = db.query("SELECT pg_sleep(30) /* d365fo-terminate-me */").catch((e: unknown) => e);
      // Wait until the statement runs on the server, then terminate its backend (57P01).
      for (let i = 0; i < 100; i++) {
        const [{ n }] = await sql(
          fixture.database.url,
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%d365fo-terminate-me%' AND pid <> pg_backend_pid()",
        );
        if (n > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await sql(
        fixture.database.url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%d365fo-terminate-me%' AND pid <> pg_backend_pid()",
      );
      const error = await sleeping;
      expect(error).toBeInstanceOf(CacheError);
      expect(error).toMatchObject({ code: "D365_CACHE_UNAVAILABLE" });
      expect(await db.query<{ one: number }>("SELECT 1 AS one")).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
  });
});
