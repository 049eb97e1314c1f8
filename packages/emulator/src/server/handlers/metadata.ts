/**
 * `/data` service document and `$metadata`, the Metadata service (`/Metadata/*`, protocol §2),
 * and the generic 404/405 answers.
 */
import { ODataQueryError } from "../odata/errors.js";
import {
  buildNextLink,
  parseCollectionQuery,
  parseKeySegment,
  parseSelect,
  planPage,
} from "../odata/query.js";
import { collectionBody, entityBody, noResourceFound, odataError, rawJson } from "../responses.js";
import { bufferBody, jsonBody } from "../send.js";
import type { HandlerTable } from "./types.js";

/** `odata.maxpagesize=<n>` from a `Prefer` header (n ≥ 1), if present. */
export function preferredMaxPageSize(prefer: string | undefined): number | undefined {
  const match = /(?:^|[,;\s])odata\.maxpagesize\s*=\s*"?(\d+)"?/i.exec(prefer ?? "");
  const size = match ? Number(match[1]) : Number.NaN;
  return size >= 1 ? size : undefined;
}

export const metadataHandlers: HandlerTable = {
  serviceDocument(_request, { base, docs }) {
    const head = Buffer.from(`{"@odata.context":${JSON.stringify(`${base}/data/$metadata`)},"value":`);
    const value = docs.serviceDocumentValue();
    const tail = Buffer.from("}");
    return { status: 200, body: { size: head.length + value.length + 1, chunks: () => [head, value, tail] } };
  },

  csdl(_request, { docs }) {
    return { status: 200, body: bufferBody(docs.csdlXml()), contentType: "application/xml" };
  },

  collection({ route, url, header }, { base, docs, knobs }) {
    const collection = docs.collections[route.collection];
    const query = parseCollectionQuery(
      url.searchParams,
      collection.schema,
      docs.selectable[route.collection],
    );
    let matches: number[] | undefined;
    if (query.filter) {
      matches = [];
      for (const [i, item] of collection.items.entries()) if (query.filter(item)) matches.push(i);
    }
    const total = matches ? matches.length : collection.items.length;
    let pageSize = knobs.pageSize;
    const extraHeaders: Record<string, string> = {};
    const preferred = knobs.honourMaxPageSize ? preferredMaxPageSize(header("prefer")) : undefined;
    if (preferred !== undefined) {
      pageSize = pageSize > 0 ? Math.min(pageSize, preferred) : preferred;
      extraHeaders["Preference-Applied"] = `odata.maxpagesize=${pageSize}`;
    }
    const page = planPage({ total, top: query.top, skip: query.skip, pageSize });
    let context = `${base}/${route.metadataSegment}/$metadata#${route.collection}`;
    if (query.select) context += `(${query.select.join(",")})`;
    const nextLink =
      page.nextSkip === undefined
        ? undefined
        : buildNextLink(base, url.pathname, url.searchParams, page.nextSkip);
    return {
      status: 200,
      body: collectionBody({
        context,
        collection,
        matches,
        page,
        count: query.count ? total : undefined,
        select: query.select,
        nextLink,
      }),
      headers: extraHeaders,
    };
  },

  item({ route, url }, { base, docs }) {
    const collection = docs.collections[route.collection];
    let select: string[] | undefined;
    for (const [name, value] of url.searchParams) {
      if (!name.startsWith("$")) continue;
      if (name === "$select") select = parseSelect(value, docs.selectable[route.collection]);
      else if (name !== "$format") {
        throw new ODataQueryError(`The query option '${name}' is not supported on a single entity`);
      }
    }
    const keys = parseKeySegment(route.keySegment);
    const key = keys.get("") ?? keys.get("Name");
    if (key === undefined || keys.size !== 1) {
      throw new ODataQueryError(`The key '${route.keySegment}' does not match the key property 'Name'`);
    }
    const position = collection.find(key);
    if (position === undefined) {
      return {
        status: 404,
        body: odataError(`Resource not found for the segment '${route.collection}'.`, {
          message: `No ${route.collection} item with the key '${key}' was found.`,
          type: "Microsoft.OData.ODataException",
        }),
      };
    }
    let context = `${base}/${route.metadataSegment}/$metadata#${route.collection}`;
    if (select) context += `(${select.join(",")})`;
    context += "/$entity";
    return { status: 200, body: entityBody(context, collection, position, select) };
  },

  label({ route }, { base, docs }) {
    const keys = parseKeySegment(route.keySegment);
    const id = keys.get("Id");
    const language = keys.get("Language");
    if (id === undefined || language === undefined || keys.size !== 2) {
      throw new ODataQueryError("A label is addressed by both keys: Labels(Id='…',Language='…')");
    }
    const value = docs.label(id, language);
    if (value === undefined) {
      return {
        status: 404,
        body: odataError("Resource not found for the segment 'Labels'.", {
          message: `No label '${id}' in language '${language}'.`,
          type: "Microsoft.OData.ODataException",
        }),
      };
    }
    return {
      status: 200,
      body: jsonBody({
        "@odata.context": `${base}/${route.metadataSegment}/$metadata#Labels/$entity`,
        Id: id,
        Language: language,
        Value: value,
      }),
    };
  },

  methodNotAllowed({ route, method }) {
    return {
      status: 405,
      body: rawJson(
        JSON.stringify({ Message: `The requested resource does not support http method '${method}'.` }),
      ),
      headers: { Allow: route.allow },
    };
  },

  notFound({ url }, { base }) {
    return { status: 404, body: noResourceFound(`${base}${url.pathname}`) };
  },
};
