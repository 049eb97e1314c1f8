import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataEntityJson } from "../../../packages/client/src/metadata/wire.js";
import type { RunningEmulator } from "../../../packages/emulator/src/api.js";
import { fixtureRelease } from "../../../packages/emulator/src/server/fixture-release.js";
import { call, post, startFixtureEmulator } from "./helpers.js";

let emulator: RunningEmulator;
let base: string;
const release = fixtureRelease(0);

beforeAll(async () => {
  emulator = await startFixtureEmulator({ environments: [{ name: "dev" }, { name: "uat", release: 1 }] });
  base = emulator.environments[0].baseUrl;
});
afterAll(() => emulator.close());

describe("service root and $metadata", () => {
  it("GET /data lists every public entity set", async () => {
    const res = await call(emulator, "/data");
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body["@odata.context"]).toBe(`${base}/data/$metadata`);
    expect(body.value).toEqual(
      release.publicEntities.map((e) => ({ name: e.EntitySetName, kind: "EntitySet", url: e.EntitySetName })),
    );
  });

  it("GET /data/$metadata is CSDL XML", async () => {
    const res = await call(emulator, "/data/$metadata");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/xml");
    expect(res.text).toContain('<EntityContainer Name="Resources">');
  });

  it("answers with the protocol headers and echoes x-ms-client-request-id", async () => {
    const res = await call(emulator, "/Metadata/DataEntities", {
      headers: { "x-ms-client-request-id": "11111111-2222-3333-4444-555555555555" },
    });
    expect(res.headers["content-type"]).toBe("application/json; odata.metadata=minimal");
    expect(res.headers["odata-version"]).toBe("4.0");
    expect(res.headers["ms-dyn-aid"]).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(res.headers["x-ms-client-request-id"]).toBe("11111111-2222-3333-4444-555555555555");
  });
});

describe("Metadata collections", () => {
  it("serve DataEntities, PublicEntities and PublicEnumerations with their @odata.context", async () => {
    for (const [name, items] of [
      ["DataEntities", release.dataEntities],
      ["PublicEntities", release.publicEntities],
      ["PublicEnumerations", release.enumerations],
    ] as const) {
      const res = await call(emulator, `/Metadata/${name}`);
      expect(res.status).toBe(200);
      const body = res.json();
      expect(body["@odata.context"]).toBe(`${base}/Metadata/$metadata#${name}`);
      expect(body.value).toEqual(items);
      expect(body["@odata.nextLink"]).toBeUndefined();
    }
  });

  it("accept the lowercase /metadata root and keep its case in @odata.context", async () => {
    const res = await call(emulator, "/metadata/PublicEnumerations");
    expect(res.status).toBe(200);
    expect(res.json()["@odata.context"]).toBe(`${base}/metadata/$metadata#PublicEnumerations`);
  });

  it("$select projects in item order and names the selection in @odata.context", async () => {
    const res = await call(emulator, "/Metadata/DataEntities?$select=PublicEntityName,Name");
    const body = res.json();
    expect(body["@odata.context"]).toBe(`${base}/Metadata/$metadata#DataEntities(PublicEntityName,Name)`);
    expect(body.value[0]).toEqual({ Name: "CustomerV3Entity", PublicEntityName: "CustomerV3" });
    expect(Object.keys(body.value[0])).toEqual(["Name", "PublicEntityName"]);
  });

  it("$top, $skip and $count", async () => {
    const res = await call(emulator, "/Metadata/DataEntities?$top=2&$skip=1&$count=true&$select=Name");
    const body = res.json();
    expect(body["@odata.count"]).toBe(release.dataEntities.length);
    expect(body.value.map((v: { Name: string }) => v.Name)).toEqual(
      release.dataEntities.slice(1, 3).map((e) => e.Name),
    );
    expect(Object.keys(body)).toEqual(["@odata.context", "@odata.count", "value"]);
  });

  it.each([
    [
      "EntityCategory eq Microsoft.Dynamics.Metadata.EntityCategory'Master'",
      (e: DataEntityJson) => e.EntityCategory === "Master",
    ],
    ["IsReadOnly eq false", (e: DataEntityJson) => e.IsReadOnly === false],
    ["PublicEntityName eq 'CustomerV3'", (e: DataEntityJson) => e.PublicEntityName === "CustomerV3"],
    ["PublicEntityName ne 'CustomerV3'", (e: DataEntityJson) => e.PublicEntityName !== "CustomerV3"],
    ["contains(tolower(Name), 'vendor')", (e: DataEntityJson) => e.Name.toLowerCase().includes("vendor")],
    ["startswith(Name, 'Sales')", (e: DataEntityJson) => e.Name.startsWith("Sales")],
    [
      "(tolower(PublicEntityName) eq tolower('CUSTOMERV3') or tolower(Name) eq tolower('PRIVATEONLYENTITY'))",
      (e: DataEntityJson) => e.PublicEntityName === "CustomerV3" || e.Name === "PrivateOnlyEntity",
    ],
    [
      "not DataServiceEnabled and LabelId ne null",
      (e: DataEntityJson) => !e.DataServiceEnabled && e.LabelId !== null,
    ],
    ["PublicEntityName eq 'Customer''Quote'", (e: DataEntityJson) => e.PublicEntityName === "Customer'Quote"],
  ])("$filter=%s", async (filter, expected) => {
    const res = await call(
      emulator,
      `/Metadata/DataEntities?$filter=${encodeURIComponent(filter)}&$count=true`,
    );
    expect(res.status).toBe(200);
    const want = release.dataEntities.filter(expected);
    expect(want.length).toBeGreaterThan(0);
    expect(res.json().value).toEqual(want);
    expect(res.json()["@odata.count"]).toBe(want.length);
  });

  it.each([
    "Name gt 'A'",
    "Name in ('A','B')",
    "substringof('a', Name)",
    "Unknown eq 'x'",
    "IsReadOnly eq 'false'",
    "Name eq 'unterminated",
  ])("rejects $filter=%s with 400 and the OData error envelope", async (filter) => {
    const res = await call(emulator, `/Metadata/DataEntities?$filter=${encodeURIComponent(filter)}`);
    expect(res.status).toBe(400);
    const body = res.json();
    expect(body.error.code).toBe("");
    expect(typeof body.error.message).toBe("string");
    expect(body.error.innererror.type).toBe("Microsoft.OData.ODataException");
  });

  it("rejects unsupported query options and bad $top with 400", async () => {
    expect((await call(emulator, "/Metadata/PublicEntities?$orderby=Name")).status).toBe(400);
    expect((await call(emulator, "/Metadata/PublicEntities?$top=x")).status).toBe(400);
    expect((await call(emulator, "/Metadata/PublicEntities?$select=Nope")).status).toBe(400);
  });
});

describe("Metadata by key", () => {
  it("returns one item with the $entity context", async () => {
    const res = await call(emulator, "/Metadata/PublicEntities('CustomerV3')");
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body["@odata.context"]).toBe(`${base}/Metadata/$metadata#PublicEntities/$entity`);
    const { "@odata.context": _, ...item } = body;
    expect(item).toEqual(release.publicEntities[0]);
  });

  it("decodes '' and percent-encoding in keys", async () => {
    const res = await call(emulator, `/Metadata/PublicEntities(${encodeURIComponent("'Customer''Quote'")})`);
    expect(res.status).toBe(200);
    expect(res.json().Name).toBe("Customer'Quote");
  });

  it("supports $select on a single item", async () => {
    const res = await call(emulator, "/Metadata/PublicEnumerations('NoYes')?$select=Name");
    expect(res.json()).toEqual({
      "@odata.context": `${base}/Metadata/$metadata#PublicEnumerations(Name)/$entity`,
      Name: "NoYes",
    });
  });

  it("404 in the D365 error shape for an unknown key (keys are case-sensitive)", async () => {
    for (const path of [
      "/Metadata/PublicEntities('customerv3')",
      "/Metadata/DataEntities('Nope')",
      "/Metadata/PublicEnumerations('X')",
    ]) {
      const res = await call(emulator, path);
      expect(res.status).toBe(404);
      expect(res.json().error).toMatchObject({ code: "" });
    }
  });
});

describe("Labels", () => {
  it("returns the label per protocol §2.4, language matched case-insensitively", async () => {
    const res = await call(emulator, "/Metadata/Labels(Id='@Fixture:CustomerV3Label',Language='DE-de')");
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({
      "@odata.context": `${base}/Metadata/$metadata#Labels/$entity`,
      Id: "@Fixture:CustomerV3Label",
      Language: "DE-de",
      Value: "Debitoren V3",
    });
  });

  it("keeps label ids case-sensitive (@sys2048 and @SYS2048 differ)", async () => {
    const upper = await call(emulator, "/Metadata/Labels(Id='@SYS2048',Language='en-us')");
    const lower = await call(emulator, "/Metadata/Labels(Id='@sys2048',Language='en-us')");
    expect(upper.json().Value).toBe("No");
    expect(lower.json().Value).toBe("no (lowercase id)");
  });

  it("unescapes '' in ids and accepts keys in either order", async () => {
    const res = await call(emulator, `/Metadata/Labels(Language='en-US',Id='@Fixture:It''s')`);
    expect(res.json().Value).toBe("It's quoted");
  });

  it("404 for an unknown id or language; 400 when a key is missing", async () => {
    expect((await call(emulator, "/Metadata/Labels(Id='@NOPE',Language='en-us')")).status).toBe(404);
    expect((await call(emulator, "/Metadata/Labels(Id='@SYS1',Language='fr-fr')")).status).toBe(404);
    expect((await call(emulator, "/Metadata/Labels(Id='@SYS1')")).status).toBe(400);
    expect((await call(emulator, "/Metadata/Labels")).status).toBe(404);
  });
});

describe("actions", () => {
  it("GetInstalledModules returns Collection(Edm.String) module lines", async () => {
    const res = await post(
      emulator,
      "/data/SystemNotifications/Microsoft.Dynamics.DataEntities.GetInstalledModules",
    );
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({
      "@odata.context": `${base}/data/$metadata#Collection(Edm.String)`,
      value: [
        "Name: ApplicationFoundation | Version: 7.0.7521.60 | Module: ApplicationFoundation | Publisher: Microsoft Corporation | DisplayName: Application Foundation",
        "Name: ApplicationSuite | Version: 10.0.2177.37 | Module: ApplicationSuite | Publisher: Microsoft Corporation | DisplayName: Application Suite",
      ],
    });
  });

  it.each([
    ["GetApplicationVersion", release.applicationVersion],
    ["GetApplicationBuildVersion", release.applicationBuildVersion],
    ["GetPlatformBuildVersion", release.platformBuildVersion],
  ])("%s returns Edm.String", async (action, value) => {
    const res = await post(
      emulator,
      `/data/DataManagementEntities/Microsoft.Dynamics.DataEntities.${action}`,
    );
    expect(res.json()).toEqual({ "@odata.context": `${base}/data/$metadata#Edm.String`, value });
  });

  it("GET on an action is 405; an unknown action is 404", async () => {
    const get = await call(
      emulator,
      "/data/SystemNotifications/Microsoft.Dynamics.DataEntities.GetInstalledModules",
    );
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe("POST");
    const unknown = await post(emulator, "/data/SystemNotifications/Microsoft.Dynamics.DataEntities.Nope");
    expect(unknown.status).toBe(404);
  });

  it("each environment serves its own release (uat is one upgrade ahead)", async () => {
    const res = await post(
      emulator,
      "/data/DataManagementEntities/Microsoft.Dynamics.DataEntities.GetApplicationBuildVersion",
      {
        env: "uat",
      },
    );
    expect(res.json().value).toBe(fixtureRelease(1).applicationBuildVersion);
  });
});

describe("paging, gzip, unknown routes", () => {
  it("pages with an absolute nextLink that keeps the query, and no nextLink with $top", async () => {
    const env = emulator.environment("dev");
    env.setKnobs({ pageSize: 2 });
    try {
      const seen: string[] = [];
      let next: string | undefined = "/Metadata/DataEntities?$select=Name&$count=true";
      let pages = 0;
      while (next) {
        const res = await call(emulator, next);
        const body = res.json();
        expect(body["@odata.count"]).toBe(release.dataEntities.length);
        seen.push(...body.value.map((v: { Name: string }) => v.Name));
        const link: string | undefined = body["@odata.nextLink"];
        if (link) {
          expect(link.startsWith(`${base}/Metadata/DataEntities?`)).toBe(true);
          expect(new URL(link).searchParams.get("$select")).toBe("Name");
        }
        next = link?.slice(base.length);
        pages++;
      }
      expect(pages).toBe(Math.ceil(release.dataEntities.length / 2));
      expect(seen).toEqual(release.dataEntities.map((e) => e.Name));
      const top = (await call(emulator, "/Metadata/DataEntities?$top=5")).json();
      expect(top.value).toHaveLength(5);
      expect(top["@odata.nextLink"]).toBeUndefined();
    } finally {
      env.setKnobs({ pageSize: 0 });
    }
  });

  it("ignores Prefer: odata.maxpagesize by default; honours it behind the switch", async () => {
    const env = emulator.environment("dev");
    const prefer = { prefer: "odata.maxpagesize=3" };
    const ignored = await call(emulator, "/Metadata/DataEntities", { headers: prefer });
    expect(ignored.json().value).toHaveLength(release.dataEntities.length);
    expect(ignored.headers["preference-applied"]).toBeUndefined();
    env.setKnobs({ honourMaxPageSize: true });
    try {
      const honoured = await call(emulator, "/Metadata/DataEntities", { headers: prefer });
      expect(honoured.json().value).toHaveLength(3);
      expect(honoured.json()["@odata.nextLink"]).toContain("$skip=3");
      expect(honoured.headers["preference-applied"]).toBe("odata.maxpagesize=3");
    } finally {
      env.setKnobs({ honourMaxPageSize: false });
    }
  });

  it("gzip when accepted, identity otherwise, same content", async () => {
    const gz = await call(emulator, "/Metadata/PublicEntities", {
      headers: { "accept-encoding": "gzip, deflate" },
    });
    const plain = await call(emulator, "/Metadata/PublicEntities");
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(Number(plain.headers["content-length"])).toBe(plain.raw.length);
    expect(gz.raw.length).toBeLessThan(plain.raw.length);
    expect(gz.text).toBe(plain.text);
    const refused = await call(emulator, "/Metadata/PublicEntities", {
      headers: { "accept-encoding": "gzip;q=0" },
    });
    expect(refused.headers["content-encoding"]).toBeUndefined();
  });

  it("HEAD answers the headers of GET without a body (and without gzip)", async () => {
    const head = await call(emulator, "/Metadata/PublicEntities", {
      method: "HEAD",
      headers: { "accept-encoding": "gzip" },
    });
    const get = await call(emulator, "/Metadata/PublicEntities");
    expect(head.status).toBe(200);
    expect(head.raw.length).toBe(0);
    expect(head.headers["content-encoding"]).toBeUndefined();
    expect(head.headers["content-length"]).toBe(String(get.raw.length));
  });

  it("unknown paths and unknown entity sets are 404; a known set serves rows", async () => {
    expect((await call(emulator, "/nothing")).status).toBe(404);
    expect((await call(emulator, "/Metadata/Unknown")).status).toBe(404);
    expect((await call(emulator, "/data/NoSuchSet")).status).toBe(404);
    expect((await call(emulator, "/data/CustomerV3s")).status).toBe(200);
    expect((await call(emulator, "/Metadata/PublicEntities", { method: "POST", body: "{}" })).status).toBe(
      405,
    );
  });
});
