/**
 * A server that answers badly, over real HTTP on 127.0.0.1, with the client's default settings:
 * encodings it cannot decode, endless paging, oversized bodies and items.
 */
import type { ServerResponse } from "node:http";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import {
  EndlessPagingError,
  ResponseTooLargeError,
  ServerError,
  UnsupportedEncodingError,
} from "../../packages/client/src/errors.js";
import { HttpClient, type HttpClientOptions } from "../../packages/client/src/http/client.js";
import { json, startServer, type TestServer } from "./_server.js";

let server: TestServer | undefined;
let client: HttpClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

function make(options: Partial<HttpClientOptions> = {}): HttpClient {
  client = new HttpClient({ baseUrl: server!.url, ...options });
  return client;
}

async function drain(iterable: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

const page = (items: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ value: items, ...extra });

describe("Content-Encoding", () => {
  const body = page(Array.from({ length: 50 }, (_, i) => ({ Name: `E${i}` })));
  const encoders: [string, (b: string) => Buffer][] = [
    ["gzip", (b) => gzipSync(b)],
    ["deflate", (b) => deflateSync(b)],
    ["br", (b) => brotliCompressSync(b)],
    ["gzip, br", (b) => brotliCompressSync(gzipSync(b))],
  ];
  for (const [encoding, encode] of encoders) {
    it(`decodes ${encoding} in buffered and streamed responses`, async () => {
      server = await startServer((_req, res) => {
        res.writeHead(200, { "content-type": "application/json", "content-encoding": encoding });
        res.end(encode(body));
      });
      const http = make();
      expect((await http.getJson<{ value: unknown[] }>("/x"))?.value).toHaveLength(50);
      expect(await drain(http.streamCollection("/y"))).toHaveLength(50);
      expect(server.requests[0].headers["accept-encoding"]).toBe("gzip, deflate, br");
    });
  }

  it("rejects an unknown encoding with UnsupportedEncodingError, once, without an unhandled error", async () => {
    const unhandled: unknown[] = [];
    const onError = (error: unknown) => unhandled.push(error);
    process.on("uncaughtException", onError);
    process.on("unhandledRejection", onError);
    try {
      server = await startServer((_req, res) => {
        res.writeHead(200, { "content-type": "application/json", "content-encoding": "compress" });
        res.end("\x1f\x9d not really LZW");
      });
      const http = make();
      const buffered = await http.getJson("/x").catch((e: unknown) => e);
      expect(buffered).toBeInstanceOf(UnsupportedEncodingError);
      expect(buffered).toMatchObject({
        code: "D365_UNSUPPORTED_ENCODING",
        encoding: "compress",
        status: 200,
      });
      const streamed = await drain(http.streamCollection("/y")).catch((e: unknown) => e);
      expect(streamed).toBeInstanceOf(UnsupportedEncodingError);
      // Not a transport failure: nothing is retried.
      expect(server.requests).toHaveLength(2);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("uncaughtException", onError);
      process.off("unhandledRejection", onError);
    }
  });
});

describe("endless paging", () => {
  it("stops a nextLink chain that repeats the same page under new links", async () => {
    server = await startServer((req, res) => {
      const n = Number(new URL(req.url ?? "/", "http://x").searchParams.get("p") ?? "0");
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        page([{ Name: "Same" }, { Name: "Items" }], { "@odata.nextLink": `${server!.url}/x?p=${n + 1}` }),
      );
    });
    const error = await drain(make().streamCollection("/x")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EndlessPagingError);
    expect(error).toMatchObject({ code: "D365_ENDLESS_PAGING", reason: "repeat", pages: 2 });
    expect(server.requests).toHaveLength(2);
  });

  it("stops a chain of empty pages that keep linking on", async () => {
    server = await startServer((req, res) => {
      const n = Number(new URL(req.url ?? "/", "http://x").searchParams.get("p") ?? "0");
      json(res, 200, { value: [], "@odata.nextLink": `${server!.url}/x?p=${n + 1}` });
    });
    const error = await drain(make().streamCollection("/x")).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "D365_ENDLESS_PAGING", reason: "repeat" });
    expect(server.requests.length).toBeLessThanOrEqual(3);
  });

  it("stops at the page cap when every page is new", async () => {
    server = await startServer((req, res) => {
      const n = Number(new URL(req.url ?? "/", "http://x").searchParams.get("p") ?? "0");
      json(res, 200, { value: [{ Name: `E${n}` }], "@odata.nextLink": `${server!.url}/x?p=${n + 1}` });
    });
    const items: unknown[] = [];
    const error = await (async () => {
      for await (const item of make({ limits: { maxPages: 40 } }).streamCollection("/x")) items.push(item);
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "D365_ENDLESS_PAGING", reason: "page-cap", pages: 40 });
    expect(items).toHaveLength(40);
    expect(server.requests).toHaveLength(40);
  });

  it("still reads a long honest chain below the default cap", async () => {
    server = await startServer((req, res) => {
      const n = Number(new URL(req.url ?? "/", "http://x").searchParams.get("p") ?? "0");
      const next = n < 149 ? { "@odata.nextLink": `${server!.url}/x?p=${n + 1}` } : {};
      json(res, 200, { value: [{ Name: `E${n}` }], ...next });
    });
    expect(await drain(make().streamCollection("/x"))).toHaveLength(150);
  });
});

/** Writes `total` bytes of filler, respecting backpressure; stops when the client goes away. */
function writeFiller(res: ServerResponse, total: number, prefix = "", suffix = ""): { sent: () => number } {
  const chunk = Buffer.alloc(64 * 1024, "a");
  let sent = 0;
  res.write(prefix);
  const pump = () => {
    while (sent < total) {
      if (res.destroyed) return;
      sent += chunk.length;
      if (!res.write(chunk)) {
        res.once("drain", pump);
        return;
      }
    }
    res.end(suffix);
  };
  res.on("close", () => res.removeAllListeners("drain"));
  pump();
  return { sent: () => sent };
}

describe("response size limits", () => {
  it("keeps only the start of a 512 MB error body and still gives the status's typed error", async () => {
    let filler: { sent: () => number } | undefined;
    server = await startServer((_req, res) => {
      res.writeHead(500, { "content-type": "text/html" });
      filler = writeFiller(res, 512 * 1024 * 1024, "<html>");
    });
    const http = make();
    const error = await http.getJson("/Metadata/DataEntities").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect((error as Error).message).toContain("oversized error body was not read");
    // The client read a bounded prefix; the server was cut off far before 512 MB.
    expect(http.counters().bytesReceived).toBeLessThan(1024 * 1024);
    expect(filler!.sent()).toBeLessThan(64 * 1024 * 1024);
  });

  it("refuses a single item larger than the item limit inside a streamed collection", async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      writeFiller(res, 20 * 1024 * 1024, '{"value":[{"Name":"ok"},{"Name":"', '"}]}');
    });
    const items: unknown[] = [];
    const error = await (async () => {
      for await (const item of make().streamCollection("/Metadata/PublicEntities")) items.push(item);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(error).toMatchObject({ code: "D365_RESPONSE_TOO_LARGE", kind: "item" });
    expect((error as Error).message).toContain("/Metadata/PublicEntities");
    expect(items).toEqual([{ Name: "ok" }]);
    expect(server.requests).toHaveLength(1);
  });

  it("refuses a buffered answer larger than the per-request bound, without retrying", async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      writeFiller(res, 8 * 1024 * 1024, '{"Value":"', '"}');
    });
    const error = await make()
      .getJson("/Metadata/Labels(Id='@SYS1',Language='en-us')", { maxResponseBytes: 1024 * 1024 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "D365_RESPONSE_TOO_LARGE", kind: "response", limit: 1024 * 1024 });
    expect(server.requests).toHaveLength(1);
  });
});
