/** The `$batch` multipart format and the 5,000-operation split (pure). */
import { describe, expect, it } from "vitest";
import { MAX_BATCH_OPERATIONS, splitUnits } from "../../packages/client/src/data/batch.js";
import {
  boundaryOf,
  buildBatchBody,
  parseBatchResponse,
} from "../../packages/client/src/data/batch-format.js";

const BASE = "http://127.0.0.1:9/data";

describe("building a batch body", () => {
  it("writes operations and changesets as nested multipart parts", () => {
    const { body, contentType } = buildBatchBody([
      { part: { method: "GET", url: `${BASE}/CustomersV3('x')` } },
      {
        changeset: [
          { method: "POST", url: `${BASE}/CustomersV3`, body: '{"Name":"a"}', contentId: "1" },
          {
            method: "PATCH",
            url: `${BASE}/CustomersV3('y')`,
            body: '{"Name":"b"}',
            headers: { "If-Match": "*" },
            contentId: "2",
          },
        ],
      },
    ]);
    const boundary = boundaryOf(contentType) as string;
    expect(boundary).toMatch(/^batch_/);
    expect(body.startsWith(`--${boundary}\r\n`)).toBe(true);
    expect(body.trimEnd().endsWith(`--${boundary}--`)).toBe(true);
    const changeset = /boundary=(changeset_[0-9a-f-]+)/.exec(body)?.[1] as string;
    expect(body.split(`--${changeset}\r\n`)).toHaveLength(3);
    expect(body).toContain(`--${changeset}--`);
    expect(body).toContain(`Content-ID: 1\r\n\r\nPOST ${BASE}/CustomersV3 HTTP/1.1\r\n`);
    expect(body).toContain('If-Match: *\r\n\r\n{"Name":"b"}');
    expect(body).toContain(`GET ${BASE}/CustomersV3('x') HTTP/1.1\r\nAccept: application/json\r\n`);
  });
});

describe("reading a batch response", () => {
  const response = [
    "--batchresponse_1",
    "Content-Type: application/http",
    "Content-Transfer-Encoding: binary",
    "",
    "HTTP/1.1 200 OK",
    "Content-Type: application/json; odata.metadata=minimal; charset=utf-8",
    "",
    '{"@odata.context":"x","Name":"a"}',
    "--batchresponse_1",
    "Content-Type: multipart/mixed; boundary=changesetresponse_2",
    "",
    "--changesetresponse_2",
    "Content-Type: application/http",
    "Content-Transfer-Encoding: binary",
    "Content-ID: 2",
    "",
    "HTTP/1.1 204 No Content",
    'ETag: W/"JzEsNTYzNzE0NDU3Nic="',
    "",
    "",
    "--changesetresponse_2",
    "Content-Type: application/http",
    "Content-Transfer-Encoding: binary",
    "Content-ID: 1",
    "",
    "HTTP/1.1 201 Created",
    "Location: http://x/data/CustomersV3('a')",
    "",
    '{"Name":"a"}',
    "--changesetresponse_2--",
    "--batchresponse_1",
    "Content-Type: application/http",
    "",
    "HTTP/1.1 429 Too Many Requests",
    "Retry-After: 3",
    "",
    "",
    "--batchresponse_1--",
    "",
  ].join("\r\n");

  it("gives one item per request item, changesets with their parts and Content-IDs", () => {
    const items = parseBatchResponse(response, "multipart/mixed; boundary=batchresponse_1");
    expect(items).toHaveLength(3);
    expect(items[0]).toEqual({
      part: expect.objectContaining({ status: 200, body: '{"@odata.context":"x","Name":"a"}' }),
    });
    const changeset = (
      items[1] as { changeset: { status: number; contentId?: string; headers: Record<string, string> }[] }
    ).changeset;
    expect(changeset.map((p) => [p.status, p.contentId])).toEqual([
      [204, "2"],
      [201, "1"],
    ]);
    expect(changeset[0].headers.etag).toBe('W/"JzEsNTYzNzE0NDU3Nic="');
    expect(items[2]).toEqual({
      part: expect.objectContaining({ status: 429, headers: { "retry-after": "3" } }),
    });
  });
  it("accepts LF line ends and a quoted boundary", () => {
    const lf = response.replace(/\r\n/g, "\n");
    expect(parseBatchResponse(lf, 'multipart/mixed; boundary="batchresponse_1"')).toHaveLength(3);
  });
  it("refuses a body that is not multipart", () => {
    expect(() => parseBatchResponse("{}", "application/json")).toThrow(/not multipart/);
  });
});

describe("splitting at 5,000 operations", () => {
  it("never puts more than 5,000 operations in one batch, nor splits a changeset", () => {
    const single = { ops: [0] };
    const changeset = { ops: Array.from({ length: 1500 }, (_, i) => i) };
    const units = [
      ...Array.from({ length: 4000 }, () => single),
      changeset,
      changeset,
      ...Array.from({ length: 3000 }, () => single),
    ];
    const chunks = splitUnits(units);
    const sizes = chunks.map((chunk) => chunk.reduce((n, u) => n + u.ops.length, 0));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_BATCH_OPERATIONS);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(sizes).toEqual([4000, 5000, 1000]);
    expect(splitUnits(Array.from({ length: 10_000 }, () => single)).map((c) => c.length)).toEqual([
      5000, 5000,
    ]);
  });
});
