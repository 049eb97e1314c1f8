import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../packages/client/src/logging.js";
import type { RunningEmulator } from "../../../packages/emulator/src/api.js";
import { startEmulator } from "../../../packages/emulator/src/index.js";
import { call, post } from "./helpers.js";

const PATHS = [
  "/data",
  "/data/$metadata",
  "/Metadata/DataEntities",
  "/Metadata/PublicEntities",
  "/Metadata/PublicEnumerations?$select=Name&$count=true",
  "/data/CustomersV3?cross-company=true&$expand=CustomerGroup",
];

let a: RunningEmulator;
let b: RunningEmulator;

beforeAll(async () => {
  const options = { preset: "tiny" as const, seed: 7, environments: 2, logger: silentLogger };
  [a, b] = await Promise.all([startEmulator(options), startEmulator(options)]);
});
afterAll(() => Promise.all([a.close(), b.close()]));

/** The body with the environment's own origin (its port) replaced, so origins do not differ. */
async function body(emulator: RunningEmulator, path: string, env = "env1"): Promise<string> {
  const res = await call(emulator, path, { env });
  expect(res.status).toBe(200);
  return res.raw.toString("utf8").replaceAll(emulator.environment(env).baseUrl, "<base>");
}

describe("determinism", () => {
  it("the same writes and batches in the same order answer identical bytes", async () => {
    const batch = [
      "--b",
      "Content-Type: multipart/mixed; boundary=c",
      "",
      "--c",
      "Content-Type: application/http",
      "",
      "DELETE CustomersV3(dataAreaId='usmf',CustomerAccount='CA-000001') HTTP/1.1",
      "",
      "",
      "--c--",
      "--b",
      "Content-Type: application/http",
      "",
      "GET CustomersV3?$top=1 HTTP/1.1",
      "",
      "",
      "--b--",
      "",
    ].join("\r\n");
    const run = async (e: RunningEmulator) => {
      const res = await post(e, "/data/$batch", {
        body: batch,
        headers: { "content-type": "multipart/mixed; boundary=b" },
      });
      expect(res.status).toBe(200);
      return `${res.headers["content-type"]}\n${res.raw.toString().replaceAll(e.environments[0].baseUrl, "<base>")}`;
    };
    expect(await run(a)).toBe(await run(b));
    for (const e of [a, b]) e.environments[0].resetData();
  });

  it("two emulators with the same seed answer identical bytes", async () => {
    for (const path of PATHS) expect(await body(a, path)).toBe(await body(b, path));
    const modules = async (e: RunningEmulator) =>
      (await post(e, "/data/SystemNotifications/Microsoft.Dynamics.DataEntities.GetInstalledModules")).raw
        .toString()
        .replaceAll(e.environments[0].baseUrl, "<base>");
    expect(await modules(a)).toBe(await modules(b));
  });

  it("two environments on one release serve byte-identical metadata", async () => {
    for (const path of PATHS) expect(await body(a, path, "env1")).toBe(await body(a, path, "env2"));
  });

  it("an upgraded environment serves different metadata", async () => {
    await a.environment("env2").setRelease(1);
    try {
      expect(a.environment("env2").release.id).not.toBe(a.environment("env1").release.id);
      expect(await body(a, "/Metadata/PublicEntities", "env2")).not.toBe(
        await body(a, "/Metadata/PublicEntities", "env1"),
      );
    } finally {
      await a.environment("env2").setRelease(0);
    }
  });

  it("random faults and activity ids repeat with the same seed", async () => {
    const run = async (e: RunningEmulator) => {
      e.environments[0].setKnobs({ faults: { error500Rate: 0.4 }, latency: { jitterMs: 10 } });
      const seen: string[] = [];
      for (let i = 0; i < 12; i++) {
        const res = await call(e, "/Metadata/PublicEnumerations?$top=1");
        seen.push(`${res.status} ${res.headers["ms-dyn-aid"]} ${res.headers["x-emulator-delay-ms"]}`);
      }
      return seen;
    };
    const options = { preset: "tiny" as const, seed: 11, logger: silentLogger };
    const [c, d] = await Promise.all([startEmulator(options), startEmulator(options)]);
    const [sa, sb] = [await run(c), await run(d)];
    await Promise.all([c.close(), d.close()]);
    expect(sa).toEqual(sb);
    expect(sa.some((s) => s.startsWith("500"))).toBe(true);
    expect(sa.some((s) => s.startsWith("200"))).toBe(true);
  });
});
