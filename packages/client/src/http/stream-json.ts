/**
 * Parses an OData collection body (`{"@odata.count":n,"value":[…],"@odata.nextLink":"…"}`) item by
 * item as bytes arrive, so a 45 MB `/Metadata/PublicEntities` never sits in memory whole.
 */
import { JSONParser } from "@streamparser/json";
import { ResponseTooLargeError } from "../errors.js";

/** Largest single item (default): a `large` PublicEntity is tens of KiB, a DataEntity less. */
export const DEFAULT_MAX_ITEM_BYTES = 16 * 1024 * 1024;

export interface CollectionStreamLimits {
  /** Bytes one item (or anything between two items) may take before the stream is refused. */
  maxItemBytes?: number;
}

export interface CollectionAnnotations {
  nextLink?: string;
  count?: number;
  /** Whether a top-level `value` array was seen. */
  sawValue: boolean;
}

export class CollectionParseError extends Error {
  readonly truncated: boolean;
  constructor(message: string, truncated: boolean, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "CollectionParseError";
    this.truncated = truncated;
  }
}

/**
 * Yields the items of `value` in order from a byte stream; fills `annotations` as the top-level
 * fields arrive (`@odata.nextLink` usually comes after `value`, so read it after the loop).
 * Throws CollectionParseError for malformed or cut-off JSON, and ResponseTooLargeError when one
 * item grows past `maxItemBytes` (the parser would otherwise hold all of it in memory).
 */
export async function* streamCollectionItems(
  chunks: AsyncIterable<Uint8Array | string>,
  annotations: CollectionAnnotations,
  limits: CollectionStreamLimits = {},
): AsyncGenerator<unknown, void, undefined> {
  const maxItemBytes = limits.maxItemBytes ?? DEFAULT_MAX_ITEM_BYTES;
  let sinceLastItem = 0;
  // `$.*` sees the top-level annotations; the library cannot address keys containing dots.
  const parser = new JSONParser({ paths: ["$.value.*", "$.*"], keepStack: false });
  let batch: unknown[] = [];
  let failure: unknown;
  parser.onValue = ({ value, key, parent, stack }) => {
    if (stack.length === 2 && stack[1].key === "value") {
      batch.push(value);
      sinceLastItem = 0;
      // An emitting ancestor (`$.*` on `value`) stops the library from dropping emitted items;
      // drop them here so memory stays flat.
      if (Array.isArray(parent)) parent.length = 0;
      return;
    }
    if (stack.length !== 1) return;
    if (key === "@odata.nextLink" && typeof value === "string") annotations.nextLink = value;
    else if (key === "@odata.count" && typeof value === "number") annotations.count = value;
    else if (key === "value" && Array.isArray(value)) annotations.sawValue = true;
  };
  parser.onError = (error) => {
    failure ??= error;
  };
  parser.onEnd = () => {};
  for await (const chunk of chunks) {
    if (parser.isEnded) {
      if (typeof chunk === "string" ? chunk.trim() === "" : isWhitespace(chunk)) continue;
      throw new CollectionParseError("Unexpected data after the end of the JSON document", false);
    }
    sinceLastItem += chunk.length;
    parser.write(chunk);
    if (sinceLastItem > maxItemBytes) {
      throw new ResponseTooLargeError("item", maxItemBytes, "A collection item");
    }
    if (failure !== undefined)
      throw new CollectionParseError(`Malformed JSON: ${messageOf(failure)}`, false, failure);
    if (batch.length > 0) {
      const ready = batch;
      batch = [];
      for (const item of ready) yield item;
    }
  }
  if (!parser.isEnded) {
    throw new CollectionParseError("The JSON document ended early (truncated body)", true);
  }
  if (failure !== undefined)
    throw new CollectionParseError(`Malformed JSON: ${messageOf(failure)}`, false, failure);
  for (const item of batch) yield item;
}

function isWhitespace(chunk: Uint8Array): boolean {
  for (const byte of chunk)
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return false;
  return true;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
