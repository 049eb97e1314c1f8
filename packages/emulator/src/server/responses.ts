/**
 * Response bodies of the D365 protocol: the OData error envelope (protocol §5.5), the ASP.NET-style
 * 401 and 404 bodies (§4.6, §5.5), and the Metadata-service collection/entity documents (§2, §8.3).
 */
import type { ODataQueryError } from "./odata/filter.js";
import type { PagePlan } from "./odata/query.js";
import type { ItemCollection } from "./release-documents.js";
import { bufferBody, jsonBody, type ResponseBody } from "./send.js";

export const P3P_HEADER =
  'CP="No P3P policy defined. Read the Microsoft privacy statement at https://go.microsoft.com/fwlink/?LinkId=271135"';

export const AUTHENTICATION_FAILED_BODY = {
  Message: "Authentication failed.",
  StackTrace: null,
  ExceptionType: "System.InvalidOperationException",
};

export function odataError(
  message: string,
  inner?: { message: string; type: string; stacktrace?: string },
): ResponseBody {
  return jsonBody({
    error: {
      code: "",
      message,
      innererror: {
        message: inner?.message ?? message,
        type: inner?.type ?? "",
        stacktrace: inner?.stacktrace ?? "",
      },
    },
  });
}

export function badQuery(error: ODataQueryError): ResponseBody {
  return odataError(`The query specified in the URI is not valid. ${error.message}`, {
    message: error.message,
    type: "Microsoft.OData.ODataException",
  });
}

export function noResourceFound(url: string): ResponseBody {
  return jsonBody({ Message: `No HTTP resource was found that matches the request URI '${url}'.` });
}

export function serverError(status: 500 | 503): ResponseBody {
  return status === 500
    ? odataError("An error has occurred.", {
        message: "An unexpected error occurred on the server (emulated fault).",
        type: "System.Exception",
      })
    : odataError("The service is temporarily unavailable.", {
        message: "The server is temporarily unable to service the request (emulated fault).",
        type: "System.ServiceUnavailableException",
      });
}

export function throttledBody(retryAfterSeconds: number | undefined): ResponseBody {
  const advice =
    retryAfterSeconds === undefined ? "" : ` Please retry the request after ${retryAfterSeconds} seconds`;
  return odataError(
    `This request could not be processed at this time due to system experiencing high resource utilization.${advice}`,
  );
}

const COMMA = Buffer.from(",");

function pick(item: Readonly<Record<string, unknown>>, select: readonly string[]): Record<string, unknown> {
  const selected = new Set(select);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(item)) if (selected.has(key)) out[key] = item[key];
  return out;
}

export interface CollectionDocument {
  context: string;
  collection: ItemCollection;
  /** Positions in `collection.items` matching the filter, or undefined for all. */
  matches?: readonly number[];
  page: PagePlan;
  count?: number;
  select?: readonly string[];
  nextLink?: string;
}

/**
 * `{"@odata.context":…,["@odata.count":n,]"value":[…][,"@odata.nextLink":…]}` streamed from
 * per-item buffers (never joined into one big buffer). `head` holds the annotations before `value`.
 */
export function collectionOf(
  head: Record<string, unknown>,
  items: readonly Buffer[],
  nextLink?: string,
): ResponseBody {
  const prefix = Buffer.from(`${JSON.stringify(head).slice(0, -1)},"value":[`);
  const suffix = Buffer.from(nextLink ? `],"@odata.nextLink":${JSON.stringify(nextLink)}}` : "]}");
  let size = prefix.length + suffix.length + Math.max(0, items.length - 1);
  for (const item of items) size += item.length;
  return {
    size,
    *chunks() {
      yield prefix;
      for (let i = 0; i < items.length; i++) {
        if (i > 0) yield COMMA;
        yield items[i];
      }
      yield suffix;
    },
  };
}

/** A Metadata-service collection page; items are re-serialised only when `$select` is given. */
export function collectionBody(doc: CollectionDocument): ResponseBody {
  const { collection, page, select } = doc;
  const head: Record<string, unknown> = { "@odata.context": doc.context };
  if (doc.count !== undefined) head["@odata.count"] = doc.count;
  const positions: number[] = [];
  for (let i = page.start; i < page.end; i++) positions.push(doc.matches ? doc.matches[i] : i);
  let pieces: Buffer[];
  if (select) {
    pieces = positions.map((p) => Buffer.from(JSON.stringify(pick(collection.items[p], select))));
  } else {
    const json = collection.itemJson();
    pieces = positions.map((p) => json[p]);
  }
  return collectionOf(head, pieces, doc.nextLink);
}

/** One item with its `@odata.context` spliced in front of its cached JSON. */
export function entityBody(
  context: string,
  collection: ItemCollection,
  position: number,
  select?: readonly string[],
): ResponseBody {
  const item = select
    ? Buffer.from(JSON.stringify(pick(collection.items[position], select)))
    : collection.itemJson()[position];
  const head = Buffer.from(`{"@odata.context":${JSON.stringify(context)}${item.length > 2 ? "," : ""}`);
  const rest = item.subarray(1);
  return { size: head.length + rest.length, chunks: () => [head, rest] };
}

export function rawJson(text: string): ResponseBody {
  return bufferBody(Buffer.from(text));
}
