/**
 * An environment whose host refuses connections fails with EnvironmentUnreachableError after a
 * few attempts (library defaults), and later requests fail at once instead of each retrying.
 */
import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { EnvironmentUnreachableError, NetworkError } from "../../packages/client/src/errors.js";
import { HttpClient } from "../../packages/client/src/http/client.js";
import { ReachabilityTracker } from "../../packages/client/src/http/reachability.js";
import { MetadataApiClient } from "../../packages/client/src/metadata/client.js";
import { json, startServer } from "./_server.js";

/** A loopback port nothing listens on (bound, then closed). */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

describe("an unreachable environment", () => {
  it("fails with EnvironmentUnreachableError after a few connection attempts, then at once", async () => {
    const baseUrl = `http://127.0.0.1:${await refusedPort()}`;
    const http = new HttpClient({ baseUrl });
    closers.push(() => http.close());
    const first = await http.getJson("/Metadata/DataEntities").catch((e: unknown) => e);
    expect(first).toBeInstanceOf(EnvironmentUnreachableError);
    expect(first).not.toBeInstanceOf(NetworkError);
    const error = first as EnvironmentUnreachableError;
    expect(error.code).toBe("D365_UNREACHABLE");
    expect(error.message).toMatch(
      /is unreachable: \d+ connection attempt\(s\) over .* failed \(ECONNREFUSED\)/,
    );
    // Bounded: the threshold (3) plus at most one attempt to cover the minimum span, not 6.
    expect(error.failures).toBeGreaterThanOrEqual(3);
    expect(error.failures).toBeLessThanOrEqual(5);
    const sent = http.counters().requests;
    // The next request is refused without touching the network.
    const second = await http.getJson("/Metadata/PublicEntities").catch((e: unknown) => e);
    expect(second).toBeInstanceOf(EnvironmentUnreachableError);
    expect(http.counters().requests).toBe(sent);
  });

  it("fails a 77-label batch with a handful of connection attempts, not 77 × 6", async () => {
    const baseUrl = `http://127.0.0.1:${await refusedPort()}`;
    const client = new MetadataApiClient({ baseUrl, anonymous: true });
    closers.push(() => client.close());
    const ids = Array.from({ length: 77 }, (_, i) => `@SYS${i + 1}`);
    const error = await client.getLabels(ids, "en-us").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentUnreachableError);
    // The 64 workers' first attempts all fail, then the breaker answers for everyone.
    expect(client.http.counters().requests).toBeLessThan(77 * 2);
  });

  it("recovers when the host answers again (one probe after the cool-down)", async () => {
    let now = 0;
    const tracker = new ReachabilityTracker({ now: () => now, coolDownMs: 1_000, minSpanMs: 10 });
    for (let i = 0; i < 3; i++) {
      expect(tracker.admit()).toBe("pass");
      now += 10;
      tracker.failed("ECONNREFUSED", false);
    }
    expect(tracker.open).toBe(true);
    expect(tracker.admit()).toBe("refuse");
    now += 1_000;
    expect(tracker.admit()).toBe("probe");
    expect(tracker.admit()).toBe("refuse");
    tracker.answered();
    expect(tracker.open).toBe(false);
    expect(tracker.admit()).toBe("pass");
  });

  it("never opens for a host that answers, whatever the status", async () => {
    const server = await startServer((_req, res, _body, index) =>
      index % 2 === 0 ? json(res, 503, {}) : json(res, 200, { ok: true }),
    );
    closers.push(() => server.close());
    const http = new HttpClient({ baseUrl: server.url, retry: { baseDelayMs: 1, maxDelayMs: 2 } });
    closers.push(() => http.close());
    for (let i = 0; i < 10; i++) expect(await http.getJson("/x")).toEqual({ ok: true });
  });
});
