import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import {
  AbortedError,
  AuthenticationError,
  BadRequestError,
  ForbiddenError,
  InsecureTransportError,
  NetworkError,
  NotFoundError,
  ProtocolError,
  ServerError,
  ThrottledError,
  TimeoutError,
} from "../../packages/client/src/errors.js";
import { HttpClient, type HttpClientOptions } from "../../packages/client/src/http/client.js";
import { fastRetry, json, startServer, type TestServer } from "./_server.js";

let server: TestServer | undefined;
let client: HttpClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

function make(options: Partial<HttpClientOptions> = {}): HttpClient {
  client = new HttpClient({ baseUrl: server!.url, retry: fastRetry, ...options });
  return client;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("HttpClient headers and decoding", () => {
  it("sends a GUID x-ms-client-request-id, the OData headers and accepts gzip", async () => {
    server = await startServer((_req, res) => json(res, 200, { ok: true }));
    await make().getJson("/Metadata/DataEntities");
    const headers = server.requests[0].headers;
    expect(headers["x-ms-client-request-id"]).toMatch(GUID);
    expect(headers.accept).toBe("application/json");
    expect(headers["odata-version"]).toBe("4.0");
    expect(headers["odata-maxversion"]).toBe("4.0");
    expect(headers["accept-encoding"]).toContain("gzip");
  });

  it("decompresses gzip bodies and counts decompressed bytes", async () => {
    const body = JSON.stringify({ value: Array.from({ length: 200 }, (_, i) => ({ Name: `E${i}` })) });
    server = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.end(gzipSync(body));
    });
    const result = await make().getJson<{ value: unknown[] }>("/x");
    expect(result?.value).toHaveLength(200);
    expect(client!.counters().bytesReceived).toBe(Buffer.byteLength(body));
  });

  it("keeps the request id across retries of one logical request", async () => {
    server = await startServer((_req, res, _b, i) => (i === 0 ? json(res, 503, {}) : json(res, 200, {})));
    await make().getJson("/x");
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0].headers["x-ms-client-request-id"]).toBe(
      server.requests[1].headers["x-ms-client-request-id"],
    );
  });
});

describe("HttpClient typed errors", () => {
  const odataError = {
    error: {
      code: "",
      message: "An error has occurred.",
      innererror: { message: "Bad literal", type: "X", stacktrace: "" },
    },
  };
  const cases: [number, unknown, new (...args: never[]) => Error][] = [
    [400, odataError, BadRequestError],
    [
      401,
      {
        Message: "Authentication failed.",
        StackTrace: null,
        ExceptionType: "System.InvalidOperationException",
      },
      AuthenticationError,
    ],
    [403, odataError, ForbiddenError],
    [404, { Message: "No HTTP resource was found that matches the request URI" }, NotFoundError],
    [500, odataError, ServerError],
  ];
  for (const [status, body, type] of cases) {
    it(`maps ${status} to ${type.name} with request id, ms-dyn-aid and the body`, async () => {
      server = await startServer((_req, res) => json(res, status, body, { "ms-dyn-aid": "aid-123" }));
      const error = await make()
        .getJson("/data/Things")
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(type);
      const e = error as InstanceType<typeof ServerError>;
      expect(e.status).toBe(status);
      expect(e.activityId).toBe("aid-123");
      expect(e.requestId).toBe(server.requests[0].headers["x-ms-client-request-id"]);
      expect(e.body).toEqual(body);
      expect(e.message).toContain("/data/Things");
    });
  }

  it("gives ThrottledError with the attempts and last Retry-After when 429s never stop", async () => {
    server = await startServer((_req, res) => json(res, 429, {}, { "retry-after": "1" }));
    const error = await make({ retry: { ...fastRetry, maxThrottledAttempts: 3 } })
      .getJson("/x")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThrottledError);
    expect((error as ThrottledError).attempts).toBe(3);
    expect((error as ThrottledError).retryAfterMs).toBe(1000);
    expect(server.requests).toHaveLength(3);
    expect(client!.counters()).toMatchObject({ requests: 3, throttled: 3, retries: 2 });
  });

  it("reports malformed JSON as ProtocolError", async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"value": [');
    });
    await expect(make().getJson("/x")).rejects.toBeInstanceOf(ProtocolError);
  });
});

describe("HttpClient retries", () => {
  it("survives 429 with Retry-After and 429 without it", async () => {
    server = await startServer((_req, res, _b, i) => {
      if (i === 0) json(res, 429, {}, { "retry-after": "0" });
      else if (i === 1) json(res, 429, {});
      else json(res, 200, { value: "ok" });
    });
    expect(await make().getJson("/x")).toEqual({ value: "ok" });
    expect(server.requests).toHaveLength(3);
  });

  it("retries connection resets for safe requests", async () => {
    server = await startServer((req, res, _b, i) => {
      if (i < 2) req.socket.destroy();
      else json(res, 200, { ok: 1 });
    });
    expect(await make().getJson("/x")).toEqual({ ok: 1 });
  });

  it("does not resend an unsafe POST after a reset, and reports NetworkError", async () => {
    server = await startServer((req) => {
      req.socket.destroy();
    });
    await expect(make().postJson("/data/X/Microsoft.Dynamics.DataEntities.Do", {})).rejects.toBeInstanceOf(
      NetworkError,
    );
    expect(server.requests).toHaveLength(1);
  });

  it("resends a POST marked safe after a 503", async () => {
    server = await startServer((_req, res, _b, i) =>
      i === 0 ? json(res, 503, {}) : json(res, 200, { value: "v" }),
    );
    expect(await make().postJson("/x", {}, { safe: true })).toEqual({ value: "v" });
    expect(server.requests[1].body).toBe("{}");
  });

  it("retries a buffered body cut off part-way", async () => {
    server = await startServer((req, res, _b, i) => {
      if (i === 0) {
        res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
        res.write('{"value":[1,2');
        setTimeout(() => req.socket.destroy(), 10);
      } else json(res, 200, { value: [1, 2, 3] });
    });
    expect(await make().getJson("/x")).toEqual({ value: [1, 2, 3] });
  });

  it("times out a stalled response with TimeoutError", async () => {
    server = await startServer(() => {
      // never answers
    });
    const error = await make({ timeouts: { headersMs: 100 }, retry: { ...fastRetry, maxAttempts: 2 } })
      .getJson("/x")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(server.requests).toHaveLength(2);
  });

  it("times out a body that stops arriving", async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"value":[');
    });
    const error = await make({ timeouts: { bodyIdleMs: 100 }, retry: { ...fastRetry, maxAttempts: 1 } })
      .getJson("/x")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
  });
});

describe("HttpClient auth", () => {
  it("sends the bearer token, refreshes once on 401 and retries once", async () => {
    let issued = 0;
    const tokens = {
      getToken: async (o?: { forceRefresh?: boolean }) =>
        `token-${o?.forceRefresh ? "fresh" : "cached"}-${++issued}`,
    };
    server = await startServer((req, res) =>
      req.headers.authorization?.includes("fresh")
        ? json(res, 200, { ok: true })
        : json(res, 401, { Message: "Authentication failed." }),
    );
    expect(await make({ tokenProvider: tokens }).getJson("/x")).toEqual({ ok: true });
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([
      "Bearer token-cached-1",
      "Bearer token-fresh-2",
    ]);
  });

  it("gives AuthenticationError when the refreshed token is refused too", async () => {
    server = await startServer((_req, res) => json(res, 401, { Message: "Authentication failed." }));
    const tokens = { getToken: async () => "t" };
    await expect(make({ tokenProvider: tokens }).getJson("/x")).rejects.toBeInstanceOf(AuthenticationError);
    expect(server.requests).toHaveLength(2);
  });
});

describe("HttpClient security", () => {
  it("refuses plain http to a non-loopback host unless allowed", () => {
    expect(() => new HttpClient({ baseUrl: "http://contoso.operations.dynamics.com" })).toThrow(
      InsecureTransportError,
    );
    const allowed = new HttpClient({ baseUrl: "http://contoso.internal", allowInsecureHttp: true });
    expect(allowed.baseUrl).toBe("http://contoso.internal");
    return allowed.close();
  });

  it("refuses an absolute URL on another origin", async () => {
    server = await startServer((_req, res) => json(res, 200, {}));
    await expect(make().getJson("http://127.0.0.2:1/x")).rejects.toBeInstanceOf(ProtocolError);
    expect(server.requests).toHaveLength(0);
  });
});

describe("HttpClient.streamCollection", () => {
  it("follows absolute nextLinks and yields every item in order", async () => {
    server = await startServer((req, res) => {
      const skip = Number(new URL(req.url!, "http://x").searchParams.get("$skip") ?? 0);
      const value = Array.from({ length: skip < 20 ? 10 : 5 }, (_, i) => ({ n: skip + i }));
      const body: Record<string, unknown> = { "@odata.context": "x", value };
      if (skip < 20) body["@odata.nextLink"] = `${server!.url}/Metadata/Things?$skip=${skip + 10}`;
      json(res, 200, body);
    });
    const items: number[] = [];
    for await (const item of make().streamCollection("/Metadata/Things"))
      items.push((item as { n: number }).n);
    expect(items).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(server.requests).toHaveLength(3);
  });

  it("refuses a nextLink to another origin and never sends the token there", async () => {
    server = await startServer((_req, res) =>
      json(res, 200, { value: [{ n: 1 }], "@odata.nextLink": "http://127.0.0.9:9/steal?$skip=1" }),
    );
    const seen: unknown[] = [];
    const error = await (async () => {
      for await (const item of make({
        tokenProvider: { getToken: async () => "secret-token" },
      }).streamCollection("/Metadata/Things"))
        seen.push(item);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as Error).message).toContain("another origin");
    expect(seen).toHaveLength(1);
    expect(server.requests).toHaveLength(1);
  });

  it("resumes a page cut off mid-body without repeating items", async () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ n: i, pad: "x".repeat(200) }));
    const full = JSON.stringify({ value: items });
    server = await startServer((req, res, _b, i) => {
      res.writeHead(200, { "content-type": "application/json" });
      if (i === 0) {
        res.write(full.slice(0, Math.floor(full.length / 2)));
        setTimeout(() => req.socket.destroy(), 20);
      } else res.end(full);
    });
    const seen: number[] = [];
    for await (const item of make().streamCollection("/Metadata/Things"))
      seen.push((item as { n: number }).n);
    expect(seen).toEqual(items.map((x) => x.n));
    expect(server.requests).toHaveLength(2);
  });

  it("reports a body that keeps being truncated as an error after the attempts", async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"value":[{"n":1},{"n":');
    });
    const error = await (async () => {
      for await (const _ of make({ retry: { ...fastRetry, maxAttempts: 2 } }).streamCollection("/x")) {
        // consume
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as Error).message).toMatch(/truncated/);
  });

  it("rejects a body without a value array", async () => {
    server = await startServer((_req, res) => json(res, 200, { Name: "x" }));
    const run = async () => {
      for await (const _ of make().streamCollection("/x")) {
        // consume
      }
    };
    await expect(run()).rejects.toThrow(/no "value" array/);
  });
});

describe("HttpClient cancellation and early exit", () => {
  it("turns an abort while queued, sleeping or in flight into AbortedError", async () => {
    server = await startServer((_req, res) => {
      setTimeout(() => json(res, 200, {}), 2_000);
    });
    const c = make();
    const controller = new AbortController();
    const pending = Promise.all([
      c.getJson("/a", { signal: controller.signal }),
      c.getJson("/b", { signal: controller.signal }),
    ]);
    setTimeout(() => controller.abort(), 50);
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortedError);
    expect(c.limiterState().inFlight).toBe(0);
  });

  it("frees the limiter slot when a consumer stops reading a stream early", async () => {
    const items = Array.from({ length: 2000 }, (_, i) => ({ n: i, pad: "y".repeat(100) }));
    server = await startServer((_req, res) => json(res, 200, { value: items }));
    const c = make();
    let seen = 0;
    for await (const _ of c.streamCollection("/Metadata/Things")) {
      if (++seen === 3) break;
    }
    expect(seen).toBe(3);
    await new Promise((r) => setImmediate(r));
    expect(c.limiterState().inFlight).toBe(0);
    // The client is still usable afterwards.
    expect(await c.getJson("/again")).toHaveProperty("value");
  });
});
