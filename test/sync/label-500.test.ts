/**
 * The real service answers 500 for some server-side failures; a label that gets one is retried a
 * bounded number of times and then left unresolved (not stored), instead of failing the sync.
 * Over real HTTP against a small server that fails chosen labels, with the client's defaults.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ServerError } from "../../packages/client/src/errors.js";
import { MetadataApiClient } from "../../packages/client/src/metadata/client.js";
import type { Label } from "../../packages/client/src/metadata/models.js";
import { fetchLabels, LABEL_500_ATTEMPTS } from "../../packages/client/src/sync/labels.js";
import { json, startServer, type TestServer } from "../http/_server.js";

let server: TestServer | undefined;
let client: MetadataApiClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
});

/** Serves `/Metadata/Labels(Id='…',Language='…')`; `fail(id, attempt)` decides a 500. */
async function labelServer(fail: (id: string, attempt: number) => boolean): Promise<TestServer> {
  const attempts = new Map<string, number>();
  return startServer((req, res) => {
    const match = /Labels\(Id='([^']+)',Language='([^']+)'\)/.exec(decodeURIComponent(req.url ?? ""));
    if (!match) return json(res, 404, { Message: "No HTTP resource was found" });
    const [, id, language] = match;
    const attempt = (attempts.get(id) ?? 0) + 1;
    attempts.set(id, attempt);
    if (fail(id, attempt)) {
      return json(res, 500, {
        error: { code: "", message: "An error has occurred.", innererror: { message: "X++ exception" } },
      });
    }
    json(res, 200, { "@odata.context": "x", Id: id, Language: language, Value: `text of ${id}` });
  });
}

const fast = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.min(ms, 5)));

async function run(ids: string[]) {
  const stored = new Map<string, string>();
  client = new MetadataApiClient({ baseUrl: server!.url, anonymous: true });
  const result = await fetchLabels(client, ids, {
    language: "en-us",
    signal: new AbortController().signal,
    concurrency: 8,
    chunkSize: 16,
    sleep: fast,
    onChunk: (labels: Label[]) => {
      for (const label of labels) stored.set(label.id, label.value);
    },
  });
  return { result, stored };
}

describe("a label answered with HTTP 500", () => {
  it("is retried, and a label that keeps failing is left unresolved while the rest completes", async () => {
    server = await labelServer((id, attempt) => id === "@SYS13" || (id === "@SYS20" && attempt < 3));
    const ids = Array.from({ length: 40 }, (_, i) => `@SYS${i + 1}`);
    const { result, stored } = await run(ids);
    expect(result.unresolved).toEqual(["@SYS13"]);
    expect(result.fetched).toBe(39);
    expect(stored.has("@SYS13")).toBe(false);
    // Failing twice then answering: resolved on the third attempt.
    expect(stored.get("@SYS20")).toBe("text of @SYS20");
    const asked = server.requests.filter((r) => r.url.includes("SYS13'")).length;
    expect(asked).toBe(LABEL_500_ATTEMPTS);
  });

  it("fails the sync when many labels fail: that is a failing environment, not one label", async () => {
    server = await labelServer((id) => Number(id.slice(4)) % 2 === 0);
    const ids = Array.from({ length: 60 }, (_, i) => `@SYS${i + 1}`);
    await expect(run(ids)).rejects.toBeInstanceOf(ServerError);
  });
});
