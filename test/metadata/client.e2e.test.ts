import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VersionDetectionError } from "../../packages/client/src/errors.js";
import type { MetadataApiClient } from "../../packages/client/src/metadata/client.js";
import {
  parseDataEntity,
  parseEnumeration,
  parsePublicEntity,
} from "../../packages/client/src/metadata/parse.js";
import { ModuleVersionDetector } from "../../packages/client/src/version/detector.js";
import { computeModulesHash } from "../../packages/client/src/version/models.js";
import type { EmulatorEnvironment, RunningEmulator } from "../../packages/emulator/src/api.js";
import { drain, emulatorWithClient } from "../http/_emulator.js";

let emulator: RunningEmulator;
let env: EmulatorEnvironment;
let client: MetadataApiClient;

beforeAll(async () => {
  ({ emulator, env, client } = await emulatorWithClient({ preset: "tiny" }));
});
afterAll(async () => {
  await client?.close();
  await emulator?.close();
});

describe("MetadataApiClient against the emulator", () => {
  it("streams every collection, unpaged and paged, equal to what the environment serves", async () => {
    const release = env.release;
    const expectedPublic = release.publicEntities.map((e, i) =>
      parsePublicEntity(e, { collection: "PublicEntities", index: i }),
    );
    const expectedData = release.dataEntities.map((e) => parseDataEntity(e));
    const expectedEnums = release.enumerations.map((e) => parseEnumeration(e));
    for (const pageSize of [0, 2]) {
      env.setKnobs({ pageSize });
      env.resetCounters();
      expect(await drain(client.publicEntities())).toEqual(expectedPublic);
      expect(await drain(client.dataEntities())).toEqual(expectedData);
      expect(await drain(client.enumerations())).toEqual(expectedEnums);
      const pages = env.counters().byRoute["metadata.publicEntities"];
      expect(pages).toBe(pageSize === 0 ? 1 : Math.ceil(release.publicEntities.length / pageSize));
    }
    env.setKnobs({ pageSize: 0 });
  });

  it("passes $select/$top/$skip windows through", async () => {
    const names = env.release.publicEntities.map((e) => e.Name);
    const window = await drain(client.dataEntities({ select: ["Name"], top: 2, skip: 1 }));
    expect(window.map((d) => d.name)).toEqual(env.release.dataEntities.slice(1, 3).map((d) => d.Name));
    const entities = await drain(client.publicEntities({ top: 1, skip: 1 }));
    expect(entities.map((e) => e.name)).toEqual(names.slice(1, 2));
  });

  it("gets single items by key and answers undefined for unknown names", async () => {
    const pe = env.release.publicEntities[0];
    const de = env.release.dataEntities[0];
    const en = env.release.enumerations[0];
    expect((await client.getPublicEntity(pe.Name))?.name).toBe(pe.Name);
    expect((await client.getDataEntity(de.Name))?.name).toBe(de.Name);
    expect((await client.getEnumeration(en.Name))?.members.length).toBe(en.Members.length);
    expect(await client.getPublicEntity("NoSuchEntity")).toBeUndefined();
    expect(await client.getDataEntity("It'sNot")).toBeUndefined();
    expect(await client.getEnumeration("NoSuchEnum")).toBeUndefined();
  });

  it("searches DataEntities with the server-side $filter forms", async () => {
    const all = env.release.dataEntities;
    const text = all[0].Name.slice(1, 5).toUpperCase();
    const expected = all.filter((d) => d.Name.toLowerCase().includes(text.toLowerCase())).map((d) => d.Name);
    expect((await client.searchDataEntities({ text })).map((d) => d.name)).toEqual(expected);
    const category = all[0].EntityCategory!;
    const byCategory = all
      .filter((d) => d.EntityCategory === category && d.IsReadOnly === false)
      .map((d) => d.Name);
    expect((await client.searchDataEntities({ category, isReadOnly: false })).map((d) => d.name)).toEqual(
      byCategory,
    );
  });

  it("resolves labels one by one and in bulk; unknown labels are null", async () => {
    const [language, texts] = [...env.release.labels.entries()][0];
    const [id, text] = [...texts.entries()][0];
    expect(await client.getLabel(id, language)).toEqual({ id, language: expect.any(String), value: text });
    expect(await client.getLabel("@NoSuchLabel:Nothing", language)).toBeNull();
    const ids = [...texts.keys(), "@Missing:One", "@Missing:Two"];
    const progress: number[] = [];
    const labels = await client.getLabels(ids, language, { onProgress: (done) => progress.push(done) });
    expect(labels.size).toBe(ids.length);
    for (const [labelId, labelText] of texts) expect(labels.get(labelId)?.value).toBe(labelText);
    expect(labels.get("@Missing:One")).toBeNull();
    expect(progress.at(-1)).toBe(ids.length);
  });

  it("calls the version actions and GetInstalledModules", async () => {
    const lines = await client.getInstalledModules();
    expect(lines).toHaveLength(env.release.modules.length);
    expect(await client.getApplicationVersion()).toBe(env.release.applicationVersion);
    expect(await client.getApplicationBuildVersion()).toBe(env.release.applicationBuildVersion);
    expect(await client.getPlatformBuildVersion()).toBe(env.release.platformBuildVersion);
    const raw = await client.callAction("SystemNotifications", "GetInstalledModules", {}, { safe: true });
    expect(raw).toEqual(lines);
  });

  it("reports an unknown action as a typed error, not a crash", async () => {
    const error = await client.callAction("SystemNotifications", "NoSuchAction").catch((e: unknown) => e);
    expect(error).toHaveProperty("status");
    expect((error as { status: number }).status).toBeGreaterThanOrEqual(400);
  });
});

describe("ModuleVersionDetector against the emulator", () => {
  it("computes the environment's module hash and versions", async () => {
    const detector = new ModuleVersionDetector(client);
    const info = await detector.getEnvironmentVersion();
    expect(info.modules).toHaveLength(env.release.modules.length);
    expect(info.modulesHash).toBe(computeModulesHash(env.release.modules));
    expect(info.applicationVersion).toBe(env.release.applicationVersion);
    expect(info.platformVersion).toBe(env.release.platformBuildVersion);
    expect(detector.lastSkippedLines).toBe(0);
    env.resetCounters();
    await detector.getEnvironmentVersion();
    expect(env.counters().requests).toBe(0);
  });

  it("explains a role-gated GetInstalledModules (403)", async () => {
    env.setKnobs({ faults: { installedModulesForbidden: true } });
    try {
      const error = await new ModuleVersionDetector(client).getEnvironmentVersion().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VersionDetectionError);
      expect((error as VersionDetectionError).status).toBe(403);
      expect((error as Error).message).toMatch(/role/);
      expect((error as VersionDetectionError).requestId).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      env.setKnobs({ faults: { installedModulesForbidden: false } });
    }
  });
});
