import { describe, expect, it } from "vitest";
import { generateRelease, PRESETS, renderCsdl } from "../../../packages/emulator/src/model/index.js";
import { integrityProblems } from "./_integrity.js";

describe("large preset", () => {
  it("is a realistic 10.0.4x environment: counts, ~27k label ids, 40–50 MB of PublicEntities, sound references", () => {
    const r = generateRelease({ preset: "large" });
    const size = PRESETS.large;
    expect(r.dataEntities).toHaveLength(5_000);
    expect(r.publicEntities).toHaveLength(4_500);
    expect(r.enumerations).toHaveLength(2_000);
    expect(r.modules).toHaveLength(200);
    const props = r.publicEntities.reduce((n, e) => n + e.Properties.length, 0);
    // The preset's own target (see PRESETS.large): ±10 %.
    expect(props).toBeGreaterThan(size.properties * 0.9);
    expect(props).toBeLessThan(size.properties * 1.1);
    expect(r.publicEntities.filter((e) => e.Properties.length >= 300).length).toBeGreaterThanOrEqual(3);
    const labelIds = r.labels.get("en-us")?.size ?? 0;
    expect(labelIds).toBeGreaterThan(27_000 * 0.9);
    expect(labelIds).toBeLessThan(27_000 * 1.1);
    const actions = r.publicEntities.reduce((n, e) => n + e.Actions.length, 0);
    expect(actions).toBeGreaterThan(300);
    expect(actions).toBeLessThan(400);
    const bytes = Buffer.byteLength(JSON.stringify({ value: r.publicEntities }));
    expect(bytes).toBeGreaterThan(40e6);
    expect(bytes).toBeLessThan(50e6);
    expect(integrityProblems(r)).toEqual([]);
    // Generated ids never take over the real samples' ids.
    const en = r.labels.get("en-us");
    expect(en?.get("@SYS13342")).toBe("Company");
    expect(en?.get("@SYS7149")).toBe("Customer account");
    expect(en?.get("@SYS14680")).toBe("Account statement");
    expect(en?.get("@sys2048")).toBe("No");
    // The CSDL renders and has one EntityType per public entity.
    const csdl = renderCsdl(r);
    expect(csdl.length).toBeGreaterThan(10e6);
    expect(csdl.split("<EntityType ").length - 1).toBe(4_500);
  });
});
