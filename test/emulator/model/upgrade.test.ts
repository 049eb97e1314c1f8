import { describe, expect, it } from "vitest";
import { generateRelease } from "../../../packages/emulator/src/model/index.js";

describe("upgrades", () => {
  const base = generateRelease({ preset: "medium" });
  const up = generateRelease({ preset: "medium", upgradeStep: 1 });
  const log = up.changeLog;

  it("is a quality update: app and platform builds move on, the product version stays", () => {
    expect(base.changeLog).toBeUndefined();
    expect(up.id).toBe(`${base.productVersion}+u1`);
    expect(up.productVersion).toBe(base.productVersion);
    const rev = (v: string) => Number(v.split(".")[3]);
    expect(rev(up.applicationBuildVersion)).toBeGreaterThan(rev(base.applicationBuildVersion));
    expect(rev(up.platformBuildVersion)).toBeGreaterThan(rev(base.platformBuildVersion));
    const app = up.modules.find((m) => m.name === "ApplicationSuite");
    expect(app?.version).toBe(up.applicationBuildVersion);
    const isvBumps = log?.modulesChanged.filter((m) => !/^(10\.0\.\d{4}|7\.0\.\d{4})\./.test(m.from)) ?? [];
    expect(isvBumps.length).toBeGreaterThan(0);
    const mobile = up.modules.find((m) => m.name === "ApplicationCommon");
    expect(mobile?.version).toBe(base.modules.find((m) => m.name === "ApplicationCommon")?.version);
  });

  it("changes 3–5 % of the public entities and records each change in the change log", () => {
    if (!log) throw new Error("no change log");
    const before = new Map(base.publicEntities.map((e) => [e.Name, e]));
    const after = new Map(up.publicEntities.map((e) => [e.Name, e]));
    const added = [...after.keys()].filter((n) => !before.has(n)).sort();
    const removed = [...before.keys()].filter((n) => !after.has(n)).sort();
    const modified = [...after.keys()]
      .filter((n) => before.has(n) && JSON.stringify(before.get(n)) !== JSON.stringify(after.get(n)))
      .sort();
    expect(log.entitiesAdded).toEqual(added);
    expect(log.entitiesRemoved).toEqual(removed);
    expect(log.entitiesModified).toEqual(modified);
    const share = (added.length + removed.length + modified.length) / base.publicEntities.length;
    expect(share).toBeGreaterThanOrEqual(0.03);
    expect(share).toBeLessThanOrEqual(0.05);
    expect(log.propertiesAdded.length).toBeGreaterThan(0);
    expect(log.propertiesRemoved.length).toBeGreaterThan(0);
    expect(log.propertiesRetyped.length).toBeGreaterThan(0);
    for (const p of log.propertiesAdded)
      expect(after.get(p.entity)?.Properties.some((q) => q.Name === p.property)).toBe(true);
    for (const p of log.propertiesRemoved)
      expect(after.get(p.entity)?.Properties.some((q) => q.Name === p.property)).toBe(false);
    for (const p of log.propertiesRetyped) {
      expect(after.get(p.entity)?.Properties.find((q) => q.Name === p.property)?.TypeName).toBe(p.toTypeName);
      expect(before.get(p.entity)?.Properties.find((q) => q.Name === p.property)?.TypeName).toBe(
        p.fromTypeName,
      );
    }
    expect(log.dataEntitiesAdded).toHaveLength(added.length);
    expect(log.dataEntitiesRemoved).toHaveLength(removed.length);
  });

  it("keeps unchanged items as the same objects", () => {
    if (!log) throw new Error("no change log");
    const changed = new Set([...log.entitiesAdded, ...log.entitiesModified]);
    const before = new Map(base.publicEntities.map((e) => [e.Name, e]));
    for (const e of up.publicEntities) {
      if (changed.has(e.Name)) expect(e).not.toBe(before.get(e.Name));
      else expect(e).toBe(before.get(e.Name));
    }
    const deBefore = new Set(base.dataEntities);
    expect(up.dataEntities.filter((d) => deBefore.has(d)).length).toBe(
      base.dataEntities.length - log.dataEntitiesRemoved.length,
    );
    const changedEnums = new Set(log.enumMembersAdded.map((m) => m.enumeration));
    const enumsBefore = new Map(base.enumerations.map((e) => [e.Name, e]));
    for (const e of up.enumerations) {
      if (changedEnums.has(e.Name)) expect(e).not.toBe(enumsBefore.get(e.Name));
      else expect(e).toBe(enumsBefore.get(e.Name));
    }
  });

  it("rewords label texts and adds enum members", () => {
    if (!log) throw new Error("no change log");
    const en0 = base.labels.get("en-us") as ReadonlyMap<string, string>;
    const en1 = up.labels.get("en-us") as ReadonlyMap<string, string>;
    expect(log.labelsChanged.length).toBeGreaterThan(0);
    for (const id of log.labelsChanged) expect(en1.get(id)).not.toBe(en0.get(id));
    const unchanged = [...en0.keys()].filter((id) => en1.has(id) && !log.labelsChanged.includes(id));
    for (const id of unchanged.slice(0, 500)) expect(en1.get(id)).toBe(en0.get(id));
    for (const id of log.labelsAdded) {
      expect(en0.has(id)).toBe(false);
      expect(en1.has(id)).toBe(true);
    }
    expect(log.enumMembersAdded.length).toBeGreaterThan(0);
    for (const m of log.enumMembersAdded) {
      const e = up.enumerations.find((x) => x.Name === m.enumeration);
      expect(e?.Members.at(-1)).toMatchObject({ Name: m.member, Value: m.value });
    }
  });

  it("steps chain: step 2 derives from step 1 and shares its unchanged objects", () => {
    const two = generateRelease({ preset: "medium", upgradeStep: 2 });
    expect(two.changeLog?.fromReleaseId).toBe(up.id);
    const prev = new Set(up.publicEntities);
    const shared = two.publicEntities.filter((e) => prev.has(e)).length;
    expect(shared / two.publicEntities.length).toBeGreaterThan(0.94);
    expect(two.applicationBuildVersion).not.toBe(up.applicationBuildVersion);
  });
});
