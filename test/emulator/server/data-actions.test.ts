import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ActionJson, PublicEntityJson } from "../../../packages/client/src/metadata/wire.js";
import type { RunningEmulator } from "../../../packages/emulator/src/api.js";
import { encodePath, get, startDataEmulator } from "./data-helpers.js";
import { call, post } from "./helpers.js";

let emulator: RunningEmulator;
let base: string;
const NS = "Microsoft.Dynamics.DataEntities";

beforeAll(async () => {
  emulator = await startDataEmulator();
  base = emulator.environments[0].baseUrl;
});
afterAll(() => emulator.close());

/** The first declared action of the release with this binding and a return type matching `want`. */
function find(
  binding: string,
  want: (a: ActionJson) => boolean,
): { entity: PublicEntityJson; action: ActionJson } {
  for (const entity of emulator.environments[0].release.publicEntities) {
    if (["SystemNotification", "DataManagementEntity"].includes(entity.Name)) continue;
    for (const action of entity.Actions)
      if (action.BindingKind === binding && want(action)) return { entity, action };
  }
  throw new Error(`no ${binding} action in the tiny release`);
}

const invoke = (path: string, body: unknown = {}) =>
  post(emulator, encodePath(path), { body: JSON.stringify(body) });

describe("actions on data entities (§3.3)", () => {
  it("an action bound to the entity set, with parameters and a return value", async () => {
    const { entity, action } = find(
      "BoundToEntitySet",
      (a) => a.ReturnType?.TypeName === "Edm.String" && a.Parameters.length > 0,
    );
    const parameters: Record<string, unknown> = {};
    for (const p of action.Parameters) {
      parameters[p.Name] =
        p.Type.TypeName === "Edm.DateTimeOffset"
          ? "2026-01-31T00:00:00Z"
          : p.Type.TypeName === "Edm.String"
            ? "x"
            : 1;
    }
    const res = await invoke(`/data/${entity.EntitySetName}/${NS}.${action.Name}`, parameters);
    expect(res.status, res.text).toBe(200);
    expect(res.json()).toEqual({
      "@odata.context": `${base}/data/$metadata#Edm.String`,
      value: `${action.Name} executed on ${entity.EntitySetName} with ${action.Parameters.length} parameter(s)`,
    });
    const boolean = find("BoundToEntitySet", (a) => a.ReturnType?.TypeName === "Edm.Boolean");
    const yes = await invoke(`/data/${boolean.entity.EntitySetName}/${NS}.${boolean.action.Name}`);
    expect(yes.json()).toEqual({ "@odata.context": `${base}/data/$metadata#Edm.Boolean`, value: true });
  });

  it("an action bound to an entity instance (void → 204); the instance must exist in the caller's company", async () => {
    const { entity, action } = find("BoundToEntityInstance", (a) => a.ReturnType === null);
    const keyName = entity.Properties.filter((p) => p.IsKey && p.Name !== "dataAreaId")[0].Name;
    const first = (await get(emulator, `/data/${entity.EntitySetName}?$top=1`)).json().value[0];
    const keyOf = (company: string) => `(dataAreaId='${company}',${keyName}='${first[keyName]}')`;
    const path = `/data/${entity.EntitySetName}${keyOf("usmf")}/${NS}.${action.Name}`;
    const res = await invoke(path);
    expect(res.status, res.text).toBe(204);
    expect(res.raw.length).toBe(0);
    expect((await invoke(`/data/${entity.EntitySetName}${keyOf("usrt")}/${NS}.${action.Name}`)).status).toBe(
      404,
    );
    expect(
      (await invoke(`/data/${entity.EntitySetName}${keyOf("usrt")}/${NS}.${action.Name}?cross-company=true`))
        .status,
    ).toBe(204);
    // Bound to an instance, so not callable on the set.
    expect((await invoke(`/data/${entity.EntitySetName}/${NS}.${action.Name}`)).status).toBe(404);
  });

  it("refuses unknown actions (404), unknown or mistyped parameters (400) and other methods (405)", async () => {
    const { entity, action } = find("BoundToEntitySet", (a) =>
      a.Parameters.some((p) => p.Type.TypeName === "Edm.DateTimeOffset"),
    );
    const path = `/data/${entity.EntitySetName}/${NS}.${action.Name}`;
    expect((await invoke(`/data/${entity.EntitySetName}/${NS}.NoSuchAction`)).status).toBe(404);
    const unknown = await invoke(path, { _nope: 1 });
    expect(unknown.status).toBe(400);
    expect(unknown.json().error.innererror.message).toMatch(
      /'_nope' in the request payload is not a valid parameter/,
    );
    const dated = action.Parameters.find((p) => p.Type.TypeName === "Edm.DateTimeOffset")!;
    expect((await invoke(path, { [dated.Name]: "tomorrow" })).status).toBe(400);
    expect((await call(emulator, encodePath(path))).status).toBe(405);
  });

  it("counts action calls by name", async () => {
    const env = emulator.environments[0];
    env.resetCounters();
    const { entity, action } = find("BoundToEntitySet", (a) => a.ReturnType?.TypeName === "Edm.Boolean");
    await invoke(`/data/${entity.EntitySetName}/${NS}.${action.Name}`);
    expect(env.counters().byRoute[`action.${action.Name}`]).toBe(1);
  });
});
