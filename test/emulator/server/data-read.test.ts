import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../../packages/emulator/src/api.js";
import { entity, get, startDataEmulator } from "./data-helpers.js";

let emulator: RunningEmulator;
let base: string;

beforeAll(async () => {
  emulator = await startDataEmulator();
  base = emulator.environments[0].baseUrl;
});
afterAll(() => emulator.close());

const ETAG = /^W\/"[A-Za-z0-9+/=]+"$/;

describe("rows of every public entity", () => {
  it("serves every public entity set with typed, realistic values and weak ETags", async () => {
    const release = emulator.environments[0].release;
    const enums = new Map(release.enumerations.map((e) => [e.Name, new Set(e.Members.map((m) => m.Name))]));
    for (const e of release.publicEntities) {
      const res = await get(emulator, `/data/${e.EntitySetName}?cross-company=true`);
      expect(res.status, e.EntitySetName).toBe(200);
      const body = res.json();
      expect(body["@odata.context"]).toBe(`${base}/data/$metadata#${e.EntitySetName}`);
      expect(body.value.length).toBe(30);
      for (const row of body.value) {
        expect(row["@odata.etag"]).toMatch(ETAG);
        for (const p of e.Properties) {
          const v = row[p.Name];
          switch (p.DataType) {
            case "String":
              expect(typeof v).toBe("string");
              break;
            case "Int32":
            case "Int64":
            case "Time":
              expect(Number.isInteger(v), `${e.Name}.${p.Name}`).toBe(true);
              break;
            case "Real":
              expect(typeof v).toBe("number");
              break;
            case "Date":
              expect(v).toMatch(/^\d{4}-\d{2}-\d{2}T12:00:00Z$/);
              break;
            case "UtcDateTime":
              expect(v).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
              break;
            case "Guid":
              expect(v).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
              break;
            case "Enum":
              expect(
                enums.get(p.TypeName.split(".").pop() as string)?.has(v),
                `${e.Name}.${p.Name}=${v}`,
              ).toBe(true);
              break;
          }
        }
      }
      const keys = e.Properties.filter((p) => p.IsKey).map((p) => p.Name);
      const distinct = new Set(
        body.value.map((row: Record<string, unknown>) => keys.map((k) => row[k]).join("|")),
      );
      expect(distinct.size, `${e.EntitySetName} keys are unique`).toBe(body.value.length);
    }
  });

  it("generates the same rows from the same seed, other rows from another seed", async () => {
    const other = await startDataEmulator({ seed: 7 });
    try {
      const again = await startDataEmulator();
      try {
        const a = (await get(emulator, "/data/CustomersV3")).json().value;
        const b = (await get(again, "/data/CustomersV3")).json().value;
        const c = (await get(other, "/data/CustomersV3")).json().value;
        expect(b).toEqual(a);
        expect(c).not.toEqual(a);
      } finally {
        await again.close();
      }
    } finally {
      await other.close();
    }
  });
});

describe("companies and cross-company (§1.3)", () => {
  it("shows only the default company without cross-company=true, every company with it", async () => {
    const own = (await get(emulator, "/data/CustomersV3")).json().value;
    expect(new Set(own.map((r: { dataAreaId: string }) => r.dataAreaId))).toEqual(new Set(["usmf"]));
    const all = (await get(emulator, "/data/CustomersV3?cross-company=true")).json().value;
    expect(new Set(all.map((r: { dataAreaId: string }) => r.dataAreaId))).toEqual(
      new Set(["demf", "usmf", "usrt"]),
    );
    const usrt = (
      await get(emulator, "/data/CustomersV3?$filter=dataAreaId eq 'usrt'&cross-company=true")
    ).json().value;
    expect(usrt.length).toBe(10);
    expect(usrt.every((r: { dataAreaId: string }) => r.dataAreaId === "usrt")).toBe(true);
    // Without the flag a filter on another company finds nothing, without an error.
    expect((await get(emulator, "/data/CustomersV3?$filter=dataAreaId eq 'usrt'")).json().value).toEqual([]);
  });

  it("shared entities (no dataAreaId) are not company-scoped", async () => {
    expect((await get(emulator, "/data/TransportationEntitlementLogs")).json().value.length).toBe(30);
  });
});

describe("by-key reads (§1.4)", () => {
  it("reads a composite key in any order, with an upper-case company", async () => {
    const res = await get(emulator, "/data/CustomersV3(CustomerAccount='CA-000002',dataAreaId='USMF')");
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body["@odata.context"]).toBe(`${base}/data/$metadata#CustomersV3/$entity`);
    expect(body).toMatchObject({ dataAreaId: "usmf", CustomerAccount: "CA-000002" });
    expect(res.headers.etag).toBe(body["@odata.etag"]);
  });

  it("finds another company's row only with cross-company=true", async () => {
    const path = "/data/CustomersV3(dataAreaId='usrt',CustomerAccount='CA-000002')";
    expect((await get(emulator, path)).status).toBe(404);
    expect((await get(emulator, `${path}?cross-company=true`)).json()).toMatchObject({ dataAreaId: "usrt" });
  });

  it("reads an Int64 key unquoted, a single key positionally, and $select on an entity", async () => {
    const res = await get(emulator, "/data/SystemNotifications(5637144577)?$select=Id");
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({
      "@odata.context": `${base}/data/$metadata#SystemNotifications(Id)/$entity`,
      "@odata.etag": expect.stringMatching(ETAG),
      Id: 5637144577,
    });
    expect((await get(emulator, "/data/SystemNotifications('5637144577')")).status).toBe(400);
  });

  it("rejects a missing key field, an unknown key field and unknown keys", async () => {
    expect((await get(emulator, "/data/CustomersV3(CustomerAccount='CA-000002')")).status).toBe(400);
    expect((await get(emulator, "/data/CustomersV3('CA-000002')")).status).toBe(400);
    expect((await get(emulator, "/data/CustomersV3(dataAreaId='usmf',Nope='x')")).status).toBe(400);
    expect((await get(emulator, "/data/CustomersV3(dataAreaId='usmf',CustomerAccount='NOPE')")).status).toBe(
      404,
    );
    expect((await get(emulator, "/data/NoSuchSet('x')")).status).toBe(404);
    expect((await get(emulator, "/data/customersv3")).status).toBe(404);
  });
});

describe("$filter on /data (§1.2)", () => {
  const filter = async (expression: string, extra = "&cross-company=true") => {
    const res = await get(emulator, `/data/CustomersV3?$filter=${expression}${extra}`);
    return res;
  };
  const rows = async (expression: string) => {
    const res = await filter(expression);
    expect(res.status, res.text).toBe(200);
    return res.json().value as Record<string, unknown>[];
  };
  let all: Record<string, unknown>[];
  beforeAll(async () => {
    all = (await get(emulator, "/data/CustomersV3?cross-company=true")).json().value;
  });

  it("eq, ne, gt, ge, lt, le on numbers and dates", async () => {
    const limit = all[3].CreditLimit as number;
    expect(await rows(`CreditLimit eq ${limit}`)).toEqual(all.filter((r) => r.CreditLimit === limit));
    expect((await rows(`CreditLimit ne ${limit}`)).length).toBe(
      all.filter((r) => r.CreditLimit !== limit).length,
    );
    expect((await rows(`CreditLimit gt ${limit}`)).length).toBe(
      all.filter((r) => (r.CreditLimit as number) > limit).length,
    );
    expect((await rows(`CreditLimit ge ${limit}`)).length).toBe(
      all.filter((r) => (r.CreditLimit as number) >= limit).length,
    );
    expect((await rows(`CreditLimit lt ${limit}`)).length).toBe(
      all.filter((r) => (r.CreditLimit as number) < limit).length,
    );
    expect((await rows(`CreditLimit le ${limit}`)).length).toBe(
      all.filter((r) => (r.CreditLimit as number) <= limit).length,
    );
    const since = (await rows("LastInvoiceDate ge 2020-01-01T00:00:00Z")).map((r) => r.LastInvoiceDate);
    expect(since).toEqual(all.map((r) => r.LastInvoiceDate).filter((d) => (d as string) >= "2020-01-01"));
  });

  it("and, or, not and parentheses; arithmetic", async () => {
    const both = await rows(
      "CreditLimit gt 1000 and (InvoiceCopyCount lt 500 or not (InvoiceCopyCount ge 100))",
    );
    expect(both).toEqual(
      all.filter(
        (r) =>
          (r.CreditLimit as number) > 1000 &&
          ((r.InvoiceCopyCount as number) < 500 || !((r.InvoiceCopyCount as number) >= 100)),
      ),
    );
    const doubled = await rows("InvoiceCopyCount mul 2 add 1 gt 1001");
    expect(doubled).toEqual(all.filter((r) => (r.InvoiceCopyCount as number) * 2 + 1 > 1001));
    const modulo = await rows(
      "InvoiceCopyCount mod 2 eq 0 and InvoiceCopyCount sub 1 ge 0 and InvoiceCopyCount div 1 ge 1",
    );
    expect(modulo).toEqual(
      all.filter((r) => (r.InvoiceCopyCount as number) % 2 === 0 && (r.InvoiceCopyCount as number) >= 1),
    );
  });

  it("strings compare case-insensitively; '*' is a wildcard inside eq", async () => {
    expect((await rows("CustomerAccount eq 'ca-000002'")).length).toBe(3);
    expect((await rows("CustomerAccount eq '*00001*'")).map((r) => r.CustomerAccount)).toEqual(
      all.map((r) => r.CustomerAccount).filter((a) => (a as string).includes("00001")),
    );
    expect((await rows("CustomerAccount eq 'CA-00001*'")).length).toBe(3);
    expect((await rows("CustomerAccount ne '*1*'")).length).toBe(
      all.filter((r) => !(r.CustomerAccount as string).includes("1")).length,
    );
  });

  it("enums by eq/ne with namespaced literals only", async () => {
    const member = all[0].AccountStatement as string;
    const literal = `Microsoft.Dynamics.DataEntities.CustAccountStatement'${member}'`;
    expect(await rows(`AccountStatement eq ${literal}`)).toEqual(
      all.filter((r) => r.AccountStatement === member),
    );
    expect((await rows(`AccountStatement ne ${literal}`)).length).toBe(
      all.filter((r) => r.AccountStatement !== member).length,
    );
    const gt = await filter(`AccountStatement gt ${literal}`);
    expect(gt.status).toBe(400);
    expect(gt.json().error.innererror.message).toMatch(/eq and ne only/);
    const bad = await filter(
      "AccountStatement eq Microsoft.Dynamics.DataEntities.CustAccountStatement'Nope'",
    );
    expect(bad.status).toBe(400);
    expect(bad.json().error.innererror.message).toMatch(/not a valid enumeration/);
  });

  it.each([
    ["in", "CustomerAccount in ('CA-000001','CA-000002')", /'in' is not supported/],
    [
      "has",
      "AccountStatement has Microsoft.Dynamics.DataEntities.CustAccountStatement'Always'",
      /'has' is not supported/,
    ],
    ["contains()", "contains(Name,'x')", /'contains' is not supported/],
    ["startswith()", "startswith(Name,'x')", /'startswith' is not supported/],
    ["an unknown property", "Nope eq 1", /Could not find a property named 'Nope'/],
    ["a type mismatch", "CreditLimit eq 'x'", /incompatible types/],
  ])("rejects %s with the 400 envelope", async (_what, expression, message) => {
    const res = await filter(expression);
    expect(res.status).toBe(400);
    const body = res.json();
    expect(body.error.code).toBe("");
    expect(body.error.message).toMatch(/^The query specified in the URI is not valid\./);
    expect(body.error.innererror.message).toMatch(message);
  });
});

describe("$select, $orderby, $top, $skip, $count, $expand", () => {
  it("$select narrows rows and the context; $orderby sorts (desc, several keys)", async () => {
    const res = await get(
      emulator,
      "/data/CustomersV3?$select=CustomerAccount,CreditLimit&$orderby=CreditLimit desc,CustomerAccount&cross-company=true",
    );
    const body = res.json();
    expect(body["@odata.context"]).toBe(`${base}/data/$metadata#CustomersV3(CustomerAccount,CreditLimit)`);
    expect(Object.keys(body.value[0])).toEqual(["@odata.etag", "CustomerAccount", "CreditLimit"]);
    const limits = body.value.map((r: { CreditLimit: number }) => r.CreditLimit);
    expect(limits).toEqual([...limits].sort((a, b) => b - a));
  });

  it("$top, $skip and $count", async () => {
    const all = (await get(emulator, "/data/CustomersV3?cross-company=true")).json().value;
    const page = (
      await get(emulator, "/data/CustomersV3?cross-company=true&$skip=5&$top=4&$count=true")
    ).json();
    expect(page["@odata.count"]).toBe(30);
    expect(page.value).toEqual(all.slice(5, 9));
    expect(page["@odata.nextLink"]).toBeUndefined();
    const count = await get(emulator, "/data/CustomersV3/$count?$filter=CreditLimit gt 0&cross-company=true");
    expect(count.headers["content-type"]).toMatch(/^text\/plain/);
    expect(Number(count.text)).toBe(all.filter((r: { CreditLimit: number }) => r.CreditLimit > 0).length);
  });

  it("$expand one level: the single target resolves, and the collection back", async () => {
    const customers = (
      await get(emulator, "/data/CustomersV3?$expand=CustomerGroup&$select=CustomerAccount,CustomerGroupId")
    ).json().value;
    for (const customer of customers) {
      expect(customer.CustomerGroup).toMatchObject({
        dataAreaId: "usmf",
        CustomerGroupId: customer.CustomerGroupId,
      });
      expect(customer.CustomerGroup["@odata.etag"]).toMatch(ETAG);
    }
    const groups = (
      await get(emulator, "/data/CustomerGroups?$expand=CustomersV3($select=CustomerAccount,CustomerGroupId)")
    ).json().value;
    const linked = groups.flatMap((g: { CustomersV3: { CustomerGroupId: string }[] }) => g.CustomersV3);
    expect(linked.length).toBe(customers.length);
    for (const g of groups) {
      for (const c of g.CustomersV3) expect(c.CustomerGroupId).toBe(g.CustomerGroupId);
    }
    const selected = (
      await get(
        emulator,
        "/data/CustomersV3?$select=CustomerAccount,CustomerGroup&$expand=CustomerGroup($select=CustomerGroupId)&$top=1",
      )
    ).json();
    expect(Object.keys(selected.value[0])).toEqual(["@odata.etag", "CustomerAccount", "CustomerGroup"]);
    expect((await get(emulator, "/data/CustomersV3?$expand=Nope")).status).toBe(400);
    expect((await get(emulator, "/data/CustomersV3?$expand=CustomerGroup($expand=CustomersV3)")).status).toBe(
      400,
    );
  });

  it("rejects unknown $select names, other system options and duplicates", async () => {
    expect((await get(emulator, "/data/CustomersV3?$select=Nope")).status).toBe(400);
    expect((await get(emulator, "/data/CustomersV3?$search=x")).status).toBe(400);
    expect((await get(emulator, "/data/CustomersV3?$top=1&$top=2")).status).toBe(400);
  });

  it("every navigation of every entity resolves for generated rows", async () => {
    for (const e of emulator.environments[0].release.publicEntities) {
      for (const nav of e.NavigationProperties.filter((n) => n.Cardinality === "Single")) {
        const fixed = nav.Constraints.some(
          (c) => c["@odata.type"] !== "#Microsoft.Dynamics.Metadata.ReferentialConstraint",
        );
        if (fixed) continue;
        const rows = (
          await get(emulator, `/data/${e.EntitySetName}?$expand=${nav.Name}&cross-company=true`)
        ).json().value;
        const keys = entity(emulator, e.EntitySetName)
          .Properties.filter((p) => p.IsKey)
          .map((p) => p.Name);
        const fkIsKey = nav.Constraints.some(
          (c) => "Property" in c && c.Property !== "dataAreaId" && keys.includes(c.Property),
        );
        if (fkIsKey) continue;
        expect(
          rows.every((r: Record<string, unknown>) => r[nav.Name] !== null),
          `${e.Name}.${nav.Name}`,
        ).toBe(true);
      }
    }
  });
});

describe("server-driven paging (§1.5)", () => {
  it("pages at dataPageSize with an absolute nextLink that keeps the query and cross-company", async () => {
    const env = emulator.environments[0];
    env.setKnobs({ dataPageSize: 7 });
    try {
      const seen: string[] = [];
      let url: string | undefined =
        "/data/CustomersV3?cross-company=true&$select=CustomerAccount,dataAreaId&$count=true";
      let pages = 0;
      while (url) {
        const res = await get(emulator, url);
        const body = res.json();
        expect(body["@odata.count"]).toBe(30);
        for (const r of body.value) seen.push(`${r.dataAreaId}/${r.CustomerAccount}`);
        pages++;
        const next: string | undefined = body["@odata.nextLink"];
        if (next) {
          expect(next.startsWith(`${base}/data/CustomersV3?`)).toBe(true);
          expect(next).toContain("cross-company=true");
        }
        url = next?.slice(base.length);
      }
      expect(pages).toBe(5);
      expect(new Set(seen).size).toBe(30);
      // $top: at most that many rows and no nextLink.
      const top = (await get(emulator, "/data/CustomersV3?cross-company=true&$top=20")).json();
      expect(top.value.length).toBe(20);
      expect(top["@odata.nextLink"]).toBeUndefined();
    } finally {
      env.setKnobs({ dataPageSize: 10_000 });
    }
  });

  it("ignores Prefer: odata.maxpagesize unless honourMaxPageSize is on (capped at 10,000)", async () => {
    const env = emulator.environments[0];
    const ignored = await get(emulator, "/data/CustomersV3?cross-company=true", {
      prefer: "odata.maxpagesize=4",
    });
    expect(ignored.json().value.length).toBe(30);
    expect(ignored.headers["preference-applied"]).toBeUndefined();
    env.setKnobs({ honourMaxPageSize: true });
    try {
      const honoured = await get(emulator, "/data/CustomersV3?cross-company=true", {
        prefer: "odata.maxpagesize=4",
      });
      expect(honoured.json().value.length).toBe(4);
      expect(honoured.headers["preference-applied"]).toBe("odata.maxpagesize=4");
      expect(honoured.json()["@odata.nextLink"]).toContain("$skip=4");
    } finally {
      env.setKnobs({ honourMaxPageSize: false });
    }
    expect(() => env.setKnobs({ dataPageSize: 10_001 })).toThrow(/dataPageSize/);
  });
});

describe("counters", () => {
  it("count data requests by route", async () => {
    const env = emulator.environments[0];
    env.resetCounters();
    await get(emulator, "/data/CustomersV3?$top=1");
    await get(emulator, "/data/CustomersV3/$count");
    await get(emulator, "/data/CustomersV3(dataAreaId='usmf',CustomerAccount='CA-000001')");
    const counters = env.counters();
    expect(counters.requests).toBe(3);
    expect(counters.byRoute).toMatchObject({ "data.entitySet": 1, "data.count": 1, "data.entity": 1 });
  });
});
