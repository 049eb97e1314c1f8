import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PublicEntity } from "../../../packages/client/src/metadata/models.js";
import { fullPublicEntity, label, simpleEntity, versionInfo } from "../fixtures.js";
import { type PostgresFixture, type PostgresTestStore, postgresFixture } from "./_store.js";

describe("PostgreSQL store: writes and reads", () => {
  let fixture: PostgresFixture;
  let store: PostgresTestStore;
  let tag = 0;
  const newVersion = async () => (await store.getOrCreateVersion(versionInfo(`rt${++tag}`), null)).version.id;

  beforeAll(async () => {
    fixture = await postgresFixture();
    store = await fixture.open();
  });
  afterAll(async () => {
    await fixture.dispose();
  });

  it("two pools writing overlapping batches into different versions at once share every definition", async () => {
    const other = await fixture.open({ poolSize: 4 });
    const entities = Array.from({ length: 300 }, (_, i) => simpleEntity(`Race${i}`, 6));
    const [a, b] = [await newVersion(), await newVersion()];
    const batches = (list: PublicEntity[], size: number) =>
      Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, (i + 1) * size));
    await Promise.all([
      ...batches(entities, 50).map((batch) => store.writePublicEntities(a, batch)),
      ...batches([...entities].reverse(), 40).map((batch) => other.writePublicEntities(b, batch)),
    ]);
    expect(await store.getPublicEntityHashes(a)).toEqual(await other.getPublicEntityHashes(b));
    const [{ n }] = (await (
      store as unknown as { db: { query: (s: string) => Promise<{ n: number }[]> } }
    ).db.query("SELECT count(*)::int AS n FROM public_entities WHERE name LIKE 'Race%'")) as { n: number }[];
    expect(n).toBe(300);
    expect(await store.checkIntegrity()).toEqual({ ok: true, messages: [] });
  });

  it("rejects bad input with typed errors and writes nothing", async () => {
    await expect(store.writePublicEntities(999_999, [fullPublicEntity()])).rejects.toMatchObject({
      code: "D365_CONFIG",
    });
    const versionId = await newVersion();
    const rows = await store.countMetadataRows();
    await expect(
      store.writeLabels(versionId, [label("@OK", "fine"), { id: 5, language: "en-us", value: "x" } as never]),
    ).rejects.toMatchObject({ code: "D365_CONFIG" });
    const broken = fullPublicEntity("BrokenV3");
    broken.navigationProperties[0].constraints.push({ kind: "Bogus" } as never);
    await expect(
      store.writePublicEntities(versionId, [simpleEntity("Fine", 2), broken]),
    ).rejects.toMatchObject({
      code: "D365_CONFIG",
    });
    expect(await store.countMetadataRows()).toBe(rows);
  });
});
