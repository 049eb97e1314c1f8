import { describe, expect, it } from "vitest";
import {
  type CollectionAnnotations,
  CollectionParseError,
  streamCollectionItems,
} from "../../packages/client/src/http/stream-json.js";

async function* chunked(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(text: string, size = 7) {
  const annotations: CollectionAnnotations = { sawValue: false };
  const items: unknown[] = [];
  for await (const item of streamCollectionItems(chunked(text, size), annotations)) items.push(item);
  return { items, annotations };
}

describe("streamCollectionItems", () => {
  it("yields items split across arbitrary chunk boundaries, with count and nextLink", async () => {
    const doc = {
      "@odata.context": "http://x/$metadata#Things",
      "@odata.count": 3,
      value: [{ Name: "a", Nested: { Deep: [1, "ü"] } }, { Name: "b" }, { Name: "c" }],
      "@odata.nextLink": "http://x/Things?$skip=3",
    };
    for (const size of [1, 3, 16, 1000]) {
      const { items, annotations } = await collect(JSON.stringify(doc), size);
      expect(items).toEqual(doc.value);
      expect(annotations).toEqual({ sawValue: true, count: 3, nextLink: "http://x/Things?$skip=3" });
    }
  });

  it("yields items before the body has ended", async () => {
    const annotations: CollectionAnnotations = { sawValue: false };
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    async function* source() {
      yield Buffer.from('{"value":[{"n":1},{"n":2},');
      await gate;
      yield Buffer.from('{"n":3}]}');
    }
    const iterator = streamCollectionItems(source(), annotations);
    expect((await iterator.next()).value).toEqual({ n: 1 });
    expect((await iterator.next()).value).toEqual({ n: 2 });
    release();
    expect((await iterator.next()).value).toEqual({ n: 3 });
    expect((await iterator.next()).done).toBe(true);
  });

  it("handles primitive collections (Collection(Edm.String))", async () => {
    const { items } = await collect(JSON.stringify({ value: ["Name: A | Version: 1", "x"] }));
    expect(items).toEqual(["Name: A | Version: 1", "x"]);
  });

  it("flags a truncated document", async () => {
    const error = await collect('{"value":[{"n":1},{"n"').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CollectionParseError);
    expect((error as CollectionParseError).truncated).toBe(true);
  });

  it("flags malformed JSON as not truncated", async () => {
    const error = await collect('{"value":[{"n":1},}]}').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CollectionParseError);
    expect((error as CollectionParseError).truncated).toBe(false);
  });

  it("notes when there is no value array", async () => {
    const { items, annotations } = await collect('{"Name":"x"}');
    expect(items).toEqual([]);
    expect(annotations.sawValue).toBe(false);
  });
});
