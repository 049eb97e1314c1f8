/**
 * A sync against an environment that answers badly, through a small proxy in front of the
 * emulator (real HTTP on 127.0.0.1, the library's default HTTP settings): an empty DataEntities
 * collection is not published and the last good version is still served (`force` publishes it);
 * a label the service keeps answering 500 for is left unresolved and the sync completes.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StaticTokenCredential } from "../../packages/client/src/auth/static-token.js";
import { ImplausibleMetadataError } from "../../packages/client/src/errors.js";
import type { MetadataStore } from "../../packages/client/src/store/types.js";
import type { RunningEmulator } from "../../packages/emulator/src/api.js";
import { openBackendStore, syncStoreBackends } from "./_backends.js";
import { createSyncStack, startTestEmulator, tempDir } from "./_stack.js";

let emulator: RunningEmulator;
let proxy: Server;
let proxyUrl: string;
let dir: ReturnType<typeof tempDir>;
let store: MetadataStore;
const faults = { emptyDataEntities: false, failingLabel: undefined as string | undefined, labelAsked: 0 };

beforeAll(async () => {
  emulator = await startTestEmulator({ preset: "tiny", environments: 1 });
  const upstream = emulator.environments[0].baseUrl;
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const path = req.url ?? "/";
      if (faults.emptyDataEntities && path.startsWith("/Metadata/DataEntities")) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ "@odata.context": `${proxyUrl}/Metadata/$metadata#DataEntities`, value: [] }),
        );
        return;
      }
      if (path.startsWith("/Metadata/Labels(")) {
        faults.failingLabel ??= path;
        if (path === faults.failingLabel) {
          faults.labelAsked++;
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { code: "", message: "An error has occurred." } }));
          return;
        }
      }
      const headers = { ...req.headers, host: new URL(upstream).host, "accept-encoding": "identity" };
      const answer = await request(`${upstream}${path}`, {
        method: req.method as "GET",
        headers,
        body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      });
      const body = Buffer.from(await answer.body.arrayBuffer());
      res.writeHead(answer.statusCode, {
        "content-type": String(answer.headers["content-type"] ?? "application/json"),
      });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  dir = tempDir("hostile");
  store = await openBackendStore(syncStoreBackends()[0], dir.path);
});

afterAll(async () => {
  await store?.close();
  await new Promise<void>((resolve) => proxy?.close(() => resolve()));
  await emulator?.close();
  dir?.remove();
});

async function syncOnce(options: { force?: boolean } = {}) {
  // The environment checks the token's audience against its own URL, not the proxy's.
  const token = await emulator.issueToken({ audience: emulator.environments[0].baseUrl });
  // `retry: {}`: the library's default retry settings, not the stack's fast test ones.
  const stack = createSyncStack(
    { baseUrl: proxyUrl },
    store,
    new StaticTokenCredential(token),
    {},
    { retry: {} },
  );
  try {
    return await stack.sync.syncIfNeeded(options);
  } finally {
    await stack.close();
  }
}

describe("a sync against an environment that answers badly", () => {
  it("leaves a label answered 500 every time unresolved, and completes", async () => {
    const result = await syncOnce();
    expect(result.outcome).toBe("synced");
    expect(result.labelsUnresolved).toBe(1);
    expect(faults.labelAsked).toBe(3);
    expect(result.labelsFetched).toBeGreaterThan(0);
  });

  it("does not publish an upgrade with no data entities; the last good version is still served", async () => {
    const good = (await store.findEnvironment(proxyUrl))?.versionId;
    expect(good).toBeTypeOf("number");
    const goodCounts = await store.getCounts(good as number);
    await emulator.environments[0].setRelease(1);
    faults.emptyDataEntities = true;
    const error = await syncOnce().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImplausibleMetadataError);
    expect((error as Error).message).toMatch(/DataEntities: 0 .*the last good version is still served/);
    expect(error).toMatchObject({ code: "D365_IMPLAUSIBLE_METADATA" });
    // Still served: the environment's version and its contents are the good ones.
    expect((await store.findEnvironment(proxyUrl))?.versionId).toBe(good);
    expect((await store.getCounts(good as number)).dataEntities).toBe(goodCounts.dataEntities);
    expect(goodCounts.dataEntities).toBeGreaterThan(0);

    // `force` publishes it anyway (an environment that really is that small).
    const forced = await syncOnce({ force: true });
    expect(forced.versionId).not.toBe(good);
    expect((await store.findEnvironment(proxyUrl))?.versionId).toBe(forced.versionId);
    expect((await store.getCounts(forced.versionId)).dataEntities).toBe(0);
  });

  it("reports shared: false and no waiting for an up-to-date sync", async () => {
    faults.emptyDataEntities = false;
    const again = await syncOnce();
    expect(again.outcome).toBe("upToDate");
    expect(again.shared).toBe(false);
    expect(again.waitedMs).toBe(0);
  });
});
