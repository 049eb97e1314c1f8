/** Actions end to end: bound to the entity set with parameters and a result, bound to a row. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataValidationError } from "../../packages/client/src/index.js";
import type { ActionJson, PublicEntityJson } from "../../packages/client/src/metadata/wire.js";
import { type DataEnvironment, startDataEnvironment } from "./_env.js";

let t: DataEnvironment;

beforeAll(async () => {
  t = await startDataEnvironment();
}, 300_000);

afterAll(async () => {
  await t?.close();
});

function find(
  binding: string,
  want: (a: ActionJson) => boolean,
): { entity: PublicEntityJson; action: ActionJson } {
  for (const entity of t.emulator.environments[0].release.publicEntities)
    for (const action of entity.Actions)
      if (action.BindingKind === binding && want(action)) return { entity, action };
  throw new Error(`no ${binding} action in the release`);
}

const sample = (typeName: string) =>
  ({ "Edm.DateTimeOffset": new Date("2026-01-31T00:00:00Z"), "Edm.String": "x", "Edm.Boolean": true })[
    typeName
  ] ?? 1;

describe("actions", () => {
  it("bound to the entity set, with parameters and a primitive result", async () => {
    const { entity, action } = find(
      "BoundToEntitySet",
      (a) => a.ReturnType?.TypeName === "Edm.String" && a.Parameters.length > 0,
    );
    const parameters = Object.fromEntries(action.Parameters.map((p) => [p.Name, sample(p.Type.TypeName)]));
    const value = await t.d365.callAction(entity.EntitySetName, action.Name, parameters);
    expect(value).toBe(
      `${action.Name} executed on ${entity.EntitySetName} with ${action.Parameters.length} parameter(s)`,
    );
    expect(t.emulator.environments[0].counters().byRoute[`action.${action.Name}`]).toBeGreaterThanOrEqual(1);
  });

  it("bound to a row of another company (void: undefined), cross-company added from the key", async () => {
    const { entity, action } = find(
      "BoundToEntityInstance",
      (a) => a.ReturnType === null && a.Parameters.length === 0,
    );
    const keyName = entity.Properties.filter((p) => p.IsKey && p.Name !== "dataAreaId")[0].Name;
    const rows = t.d365.query(entity.EntitySetName, { company: "usrt", top: 1 });
    const first = (await rows.next()).value as Record<string, string>;
    const value = await t.d365.callAction(
      { entitySet: entity.EntitySetName, key: { [keyName]: first[keyName], dataAreaId: "usrt" } },
      action.Name,
    );
    expect(value).toBeUndefined();
  });

  it("a parameter of the wrong type is refused before sending", async () => {
    const { entity, action } = find("BoundToEntitySet", (a) =>
      a.Parameters.some((p) => p.Type.TypeName === "Edm.DateTimeOffset"),
    );
    const parameters = Object.fromEntries(action.Parameters.map((p) => [p.Name, sample(p.Type.TypeName)]));
    const dated = action.Parameters.find((p) => p.Type.TypeName === "Edm.DateTimeOffset")?.Name as string;
    t.emulator.environments[0].resetCounters();
    const error = await t.d365
      .callAction(entity.EntitySetName, action.Name, { ...parameters, [dated]: "tomorrow" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataValidationError);
    expect((error as DataValidationError).problems[0]).toMatchObject({ kind: "typeMismatch", name: dated });
    expect(t.emulator.environments[0].counters().requests).toBe(0);
  });
});
