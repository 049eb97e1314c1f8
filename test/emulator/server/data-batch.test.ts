import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../../packages/emulator/src/api.js";
import { get, startDataEmulator, validCreateBody } from "./data-helpers.js";
import { call } from "./helpers.js";

let emulator: RunningEmulator;
let base: string;

beforeAll(async () => {
  emulator = await startDataEmulator();
  base = emulator.environments[0].baseUrl;
});
afterAll(() => emulator.close());
beforeEach(() => {
  const env = emulator.environments[0];
  env.resetData();
  env.setKnobs({ throttling: { enabled: false, ratePerSecond: 0, burst: 0 } });
});

interface Op {
  method: string;
  url: string;
  body?: unknown;
  contentId?: string;
  headers?: Record<string, string>;
}

function part(op: Op): string {
  const lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"];
  if (op.contentId) lines.push(`Content-ID: ${op.contentId}`);
  lines.push("", `${op.method} ${op.url} HTTP/1.1`, "Accept: application/json");
  if (op.body !== undefined) lines.push("Content-Type: application/json; odata.metadata=minimal");
  for (const [name, value] of Object.entries(op.headers ?? {})) lines.push(`${name}: ${value}`);
  lines.push("", op.body === undefined ? "" : JSON.stringify(op.body));
  return lines.join("\r\n");
}

/** A multipart/mixed batch body: plain operations and change sets (arrays). */
function batchBody(items: (Op | Op[])[], boundary = "batch_test"): string {
  const out: string[] = [];
  items.forEach((item, i) => {
    out.push(`--${boundary}`);
    if (Array.isArray(item)) {
      const cs = `changeset_${i}`;
      out.push(`Content-Type: multipart/mixed; boundary=${cs}`, "");
      for (const op of item) out.push(`--${cs}`, part(op));
      out.push(`--${cs}--`);
    } else {
      out.push(part(item));
    }
  });
  out.push(`--${boundary}--`, "");
  return out.join("\r\n");
}

interface PartResult {
  status: number;
  headers: Record<string, string>;
  body: string;
  contentId?: string;
  changeset?: number;
}

/** Flattens a multipart/mixed batch response into its parts (in order). */
function parseResponse(contentType: string, text: string): PartResult[] {
  const boundary = /boundary=([^;]+)/.exec(contentType)![1];
  const results: PartResult[] = [];
  const sections = text.split(`--${boundary}`).slice(1, -1);
  sections.forEach((section, index) => {
    const inner = /Content-Type: multipart\/mixed; boundary=(\S+)/.exec(section);
    const pieces = inner ? section.split(`--${inner[1]}`).slice(1, -1) : [section];
    for (const piece of pieces) {
      const [mime, http, ...rest] = piece.replace(/^\r\n/, "").split("\r\n\r\n");
      const [statusLine, ...headerLines] = http.split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of headerLines)
        headers[line.slice(0, line.indexOf(":")).toLowerCase()] = line.slice(line.indexOf(":") + 1).trim();
      results.push({
        status: Number(statusLine.split(" ")[1]),
        headers,
        body: rest.join("\r\n\r\n").trim(),
        contentId: /Content-ID: (\S+)/.exec(mime)?.[1],
        changeset: inner ? index : undefined,
      });
    }
  });
  return results;
}

async function batch(items: (Op | Op[])[]) {
  const res = await call(emulator, "/data/$batch", {
    method: "POST",
    body: batchBody(items),
    headers: { "content-type": "multipart/mixed; boundary=batch_test" },
  });
  return {
    res,
    parts: res.status === 200 ? parseResponse(String(res.headers["content-type"]), res.text) : [],
  };
}

const key = (account: string) => `CustomersV3(dataAreaId='usmf',CustomerAccount='${account}')`;
const exists = async (account: string) => (await get(emulator, `/data/${key(account)}`)).status === 200;

describe("$batch (§1.2)", () => {
  it("answers reads and a change set in order, with Content-ID references inside the change set", async () => {
    const { res, parts } = await batch([
      { method: "GET", url: `${base}/data/CustomersV3?$top=2&$select=CustomerAccount` },
      [
        {
          method: "POST",
          url: "CustomersV3",
          body: validCreateBody(emulator, "CustomersV3", "B-1"),
          contentId: "1",
        },
        { method: "PATCH", url: "$1", body: { Name: "Via reference" }, contentId: "2" },
        {
          method: "POST",
          url: "/data/CustomersV3",
          body: validCreateBody(emulator, "CustomersV3", "B-2"),
          contentId: "3",
        },
      ],
    ]);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^multipart\/mixed; boundary=batchresponse_/);
    expect(parts.map((p) => p.status)).toEqual([200, 201, 204, 201]);
    expect(parts[0].headers["content-type"]).toBe("application/json; odata.metadata=minimal; charset=utf-8");
    expect(JSON.parse(parts[0].body).value).toHaveLength(2);
    expect(parts.slice(1).map((p) => p.contentId)).toEqual(["1", "2", "3"]);
    expect(parts[1].headers.location).toBe(`${base}/data/${key("B-1")}`);
    expect(parts[1].headers.etag).toMatch(/^W\/"/);
    expect((await get(emulator, `/data/${key("B-1")}`)).json().Name).toBe("Via reference");
    expect(await exists("B-2")).toBe(true);
  });

  it("a change set is atomic: failing half-way undoes its earlier writes and answers with the failure alone", async () => {
    const broken = validCreateBody(emulator, "CustomersV3", "B-4");
    delete broken.CreditLimit;
    const { res, parts } = await batch([
      [
        {
          method: "POST",
          url: "CustomersV3",
          body: validCreateBody(emulator, "CustomersV3", "B-3"),
          contentId: "1",
        },
        { method: "DELETE", url: key("CA-000001"), contentId: "2" },
        { method: "POST", url: "CustomersV3", body: broken, contentId: "3" },
        {
          method: "POST",
          url: "CustomersV3",
          body: validCreateBody(emulator, "CustomersV3", "B-5"),
          contentId: "4",
        },
      ],
      { method: "POST", url: "CustomersV3", body: validCreateBody(emulator, "CustomersV3", "B-6") },
    ]);
    expect(res.status).toBe(200);
    expect(parts.map((p) => [p.status, p.contentId])).toEqual([
      [500, "3"],
      [201, undefined],
    ]);
    expect(JSON.parse(parts[0].body).error.innererror.message).toMatch(/must be filled in/);
    expect(await exists("B-3")).toBe(false);
    expect(await exists("CA-000001")).toBe(true);
    expect(await exists("B-5")).toBe(false);
    expect(await exists("B-6")).toBe(true);
  });

  it("throttled operations are 429 parts with their own Retry-After; a throttled change set is undone", async () => {
    const env = emulator.environments[0];
    // A bucket of 4 that hardly refills: the batch request takes one token, three operations pass.
    env.setKnobs({ throttling: { enabled: true, ratePerSecond: 0.001, burst: 4, retryAfterSeconds: 7 } });
    const ops: Op[] = [1, 2, 3, 4, 5].map((n) => ({
      method: "POST",
      url: "CustomersV3",
      body: validCreateBody(emulator, "CustomersV3", `T-${n}`),
    }));
    const { res, parts } = await batch([
      ...ops,
      [
        {
          method: "POST",
          url: "CustomersV3",
          body: validCreateBody(emulator, "CustomersV3", "T-6"),
          contentId: "1",
        },
      ],
    ]);
    env.setKnobs({ throttling: { enabled: false } });
    expect(res.status).toBe(200);
    expect(res.headers["retry-after"]).toBeUndefined();
    expect(parts.map((p) => p.status)).toEqual([201, 201, 201, 429, 429, 429]);
    expect(Number(parts[3].headers["retry-after"])).toBeGreaterThanOrEqual(7);
    expect(JSON.parse(parts[3].body).error.message).toMatch(/high resource utilization/);
    expect(await exists("T-3")).toBe(true);
    expect(await exists("T-4")).toBe(false);
    expect(await exists("T-6")).toBe(false);
    expect(env.counters().throttled).toBeGreaterThanOrEqual(3);
  });

  it("takes 5,000 operations and refuses 5,001; counts the batch once and each operation by route", async () => {
    const env = emulator.environments[0];
    env.resetCounters();
    const creates: Op[] = Array.from({ length: 5000 }, (_, i) => ({
      method: "POST",
      url: "CustomersV3",
      body: validCreateBody(emulator, "CustomersV3", `M-${i}`),
    }));
    const full = await batch([creates.slice(0, 2500), ...creates.slice(2500)]);
    expect(full.res.status).toBe(200);
    expect(full.parts.filter((p) => p.status === 201)).toHaveLength(5000);
    expect(Number((await get(emulator, "/data/CustomersV3/$count")).text)).toBe(10 + 5000);
    expect(env.counters().requests).toBe(2);
    expect(env.counters().byRoute).toMatchObject({ "data.batch": 1, "batch.data.create": 5000 });
    const over = await batch([...creates, { method: "GET", url: "CustomersV3?$top=1" }]);
    expect(over.res.status).toBe(400);
    expect(over.res.json().error.innererror.message).toMatch(/5001 operations; at most 5000/);
  });

  it("rejects a body that is not multipart, a GET inside a change set and other methods than POST", async () => {
    const json = await call(emulator, "/data/$batch", {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    expect(json.status).toBe(400);
    const { res } = await batch([[{ method: "GET", url: "CustomersV3" }]]);
    expect(res.status).toBe(400);
    expect((await call(emulator, "/data/$batch")).status).toBe(405);
  });
});
