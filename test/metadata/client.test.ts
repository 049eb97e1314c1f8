import { afterEach, describe, expect, it } from "vitest";
import { ProtocolError } from "../../packages/client/src/errors.js";
import { MetadataApiClient } from "../../packages/client/src/metadata/client.js";
import { fastRetry, json, startServer, type TestServer } from "../http/_server.js";

let server: TestServer | undefined;
let client: MetadataApiClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
});

function make(): MetadataApiClient {
  client = new MetadataApiClient({ baseUrl: server!.url, anonymous: true, http: { retry: fastRetry } });
  return client;
}

describe("MetadataApiClient.callAction", () => {
  it("builds bound and instance-bound action URLs with protocol §1.4 keys and posts the parameters", async () => {
    server = await startServer((_req, res) =>
      json(res, 200, { "@odata.context": "x#Edm.String", value: "done" }),
    );
    const c = make();
    expect(await c.callAction("DataManagementEntities", "GetApplicationVersion")).toBe("done");
    await c.callAction(
      "MyLeaveRequests",
      "submit",
      { comment: "ok" },
      { key: { RequestId: "USMF-000065", LeaveDate: new Date("2019-10-04T12:00:00Z"), dataAreaId: "USMF" } },
    );
    await c.callAction("CustomersV3", "Ping", {}, { key: "O'Brien" });
    expect(server.requests.map((r) => [r.method, r.url, r.body])).toEqual([
      ["POST", "/data/DataManagementEntities/Microsoft.Dynamics.DataEntities.GetApplicationVersion", "{}"],
      [
        "POST",
        "/data/MyLeaveRequests(RequestId='USMF-000065',LeaveDate=2019-10-04T12:00:00Z,dataAreaId='USMF')/Microsoft.Dynamics.DataEntities.submit",
        '{"comment":"ok"}',
      ],
      ["POST", "/data/CustomersV3('O''Brien')/Microsoft.Dynamics.DataEntities.Ping", "{}"],
    ]);
    expect(server.requests[0].headers["content-type"]).toBe("application/json");
  });

  it("returns undefined for 204, unwraps nested values and returns entity results without @odata.context", async () => {
    const answers = [
      (res: Parameters<Parameters<typeof startServer>[0]>[1]) => {
        res.writeHead(204);
        res.end();
      },
      (res: Parameters<Parameters<typeof startServer>[0]>[1]) =>
        json(res, 200, { value: { value: "nested" } }),
      (res: Parameters<Parameters<typeof startServer>[0]>[1]) =>
        json(res, 200, { "@odata.context": "x", Id: 7 }),
    ];
    server = await startServer((_req, res, _b, i) => answers[i](res));
    const c = make();
    expect(await c.callAction("S", "Void")).toBeUndefined();
    expect(await c.callAction("S", "Nested")).toBe("nested");
    expect(await c.callAction("S", "Entity")).toEqual({ Id: 7 });
  });

  it("rejects names that would change the URL", async () => {
    server = await startServer((_req, res) => json(res, 200, {}));
    await expect(make().callAction("Set/../x", "A")).rejects.toThrow(/Invalid entity set name/);
    await expect(make().callAction("Set", "A?b")).rejects.toThrow(/Invalid action name/);
    expect(server.requests).toHaveLength(0);
  });
});

describe("version actions parse defensively", () => {
  it("accepts nested values and rejects a non-collection module list", async () => {
    const bodies = [{ value: { value: "10.0.43" } }, { value: "not a list" }, { value: ["a", 5, "b"] }];
    server = await startServer((_req, res, _b, i) => json(res, 200, bodies[i]));
    const c = make();
    expect(await c.getApplicationVersion()).toBe("10.0.43");
    await expect(c.getInstalledModules()).rejects.toBeInstanceOf(ProtocolError);
    expect(await c.getInstalledModules()).toEqual(["a", "b"]);
  });

  it("sends the version actions as safe: a 503 is retried", async () => {
    server = await startServer((_req, res, _b, i) =>
      i === 0 ? json(res, 503, {}) : json(res, 200, { value: ["x"] }),
    );
    expect(await make().getInstalledModules()).toEqual(["x"]);
    expect(server.requests).toHaveLength(2);
  });
});

describe("labels", () => {
  it("encodes label keys readably and reports progress in bulk", async () => {
    server = await startServer((req, res) => {
      const m = /Labels\(Id='(.*)',Language='(.*)'\)/.exec(decodeURIComponent(req.url!));
      if (!m || m[1].includes("Missing")) return json(res, 404, { Message: "No HTTP resource" });
      json(res, 200, { Id: m[1].replace(/''/g, "'"), Language: m[2], Value: `text of ${m[1]}` });
    });
    const c = make();
    const done: number[] = [];
    const labels = await c.getLabels(["@SYS1", "@File:It's", "@Missing:1", "@SYS1"], "en-us", {
      onProgress: (n) => done.push(n),
    });
    expect([...labels.keys()]).toEqual(["@SYS1", "@File:It's", "@Missing:1"]);
    expect(labels.get("@File:It's")?.value).toBe("text of @File:It''s");
    expect(labels.get("@Missing:1")).toBeNull();
    expect(done.sort()).toEqual([1, 2, 3]);
    expect(server.requests.map((r) => r.url).sort()).toContain(
      "/Metadata/Labels(Id='@File:It''s',Language='en-us')",
    );
  });
});
