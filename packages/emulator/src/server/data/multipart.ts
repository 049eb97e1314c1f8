/**
 * `multipart/mixed` for OData `$batch` (protocol §1.2, §5.3): parsing a batch request into
 * operations and change sets, and writing the batch response. Pure.
 */
import { ODataQueryError } from "../odata/errors.js";

export interface BatchOperation {
  method: string;
  /** The request target as written: absolute, `/data/…`, relative to `/data/`, or `$<Content-ID>…`. */
  target: string;
  headers: Map<string, string>;
  body: Buffer;
  contentId?: string;
}

export type BatchItem =
  | { kind: "operation"; operation: BatchOperation }
  | { kind: "changeset"; operations: BatchOperation[] };

export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType || !/^\s*multipart\/mixed\s*(;|$)/i.test(contentType)) return undefined;
  const match = /boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match ? (match[1] ?? match[2]) : undefined;
}

/** Splits `text` at `--boundary` delimiter lines; returns the parts between the first and the closing one. */
function splitParts(text: string, boundary: string): string[] {
  const delimiter = `--${boundary}`;
  const lines = text.split(/\r?\n/);
  const parts: string[] = [];
  let current: string[] | undefined;
  let closed = false;
  for (const line of lines) {
    const trimmed = line.trimEnd();
    if (trimmed === `${delimiter}--`) {
      if (current) parts.push(current.join("\r\n"));
      closed = true;
      break;
    }
    if (trimmed === delimiter) {
      if (current) parts.push(current.join("\r\n"));
      current = [];
      continue;
    }
    current?.push(line);
  }
  if (!closed)
    throw new ODataQueryError(`The batch body does not end with the closing delimiter '${delimiter}--'.`);
  return parts;
}

/** `Name: value` lines up to the first empty line; returns the headers and the rest. */
function readHeaders(text: string): { headers: Map<string, string>; rest: string } {
  const headers = new Map<string, string>();
  const lines = text.split("\r\n");
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === "") {
      i++;
      break;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) throw new ODataQueryError(`Malformed header line '${line}' in a batch part.`);
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, rest: lines.slice(i).join("\r\n") };
}

function parseOperation(part: string): BatchOperation {
  const mime = readHeaders(part);
  const type = mime.headers.get("content-type") ?? "";
  if (!/^application\/http/i.test(type)) {
    throw new ODataQueryError(`A batch part must have Content-Type application/http, not '${type}'.`);
  }
  const lines = mime.rest.split("\r\n");
  while (lines.length > 0 && lines[0].trim() === "") lines.shift();
  const requestLine = /^([A-Z]+)\s+(\S+)(?:\s+HTTP\/1\.[01])?\s*$/.exec(lines[0] ?? "");
  if (!requestLine) throw new ODataQueryError(`Malformed request line '${lines[0] ?? ""}' in a batch part.`);
  const http = readHeaders(lines.slice(1).join("\r\n"));
  const body = http.rest.replace(/(\r\n)+$/, "");
  return {
    method: requestLine[1],
    target: requestLine[2],
    headers: http.headers,
    body: Buffer.from(body, "utf8"),
    contentId: mime.headers.get("content-id") ?? http.headers.get("content-id"),
  };
}

export function parseBatch(body: Buffer, boundary: string): BatchItem[] {
  const items: BatchItem[] = [];
  for (const part of splitParts(body.toString("utf8"), boundary)) {
    const { headers } = readHeaders(part);
    const inner = boundaryOf(headers.get("content-type"));
    if (inner) {
      const { rest } = readHeaders(part);
      const operations = splitParts(rest, inner).map(parseOperation);
      for (const op of operations) {
        if (op.method === "GET") throw new ODataQueryError("A change set must not contain GET requests.");
      }
      items.push({ kind: "changeset", operations });
    } else {
      items.push({ kind: "operation", operation: parseOperation(part) });
    }
  }
  return items;
}

export interface PartResponse {
  status: number;
  headers: Record<string, string | number>;
  body: Buffer;
  contentId?: string;
}

const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  201: "Created",
  204: "No Content",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  412: "Precondition Failed",
  413: "Payload Too Large",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
};

function writePart(out: string[], part: PartResponse): void {
  out.push("Content-Type: application/http", "Content-Transfer-Encoding: binary");
  if (part.contentId !== undefined) out.push(`Content-ID: ${part.contentId}`);
  out.push("", `HTTP/1.1 ${part.status} ${STATUS_TEXT[part.status] ?? ""}`.trimEnd());
  for (const [name, value] of Object.entries(part.headers)) out.push(`${name}: ${value}`);
  out.push("", part.body.toString("utf8"));
}

export type ResponseItem =
  | { kind: "operation"; response: PartResponse }
  | { kind: "changeset"; responses: PartResponse[] };

/** The `multipart/mixed` batch response body. */
export function writeBatchResponse(
  items: readonly ResponseItem[],
  boundary: string,
  changesetBoundary: (i: number) => string,
): Buffer {
  const out: string[] = [];
  for (const [i, item] of items.entries()) {
    out.push(`--${boundary}`);
    if (item.kind === "operation") {
      writePart(out, item.response);
      continue;
    }
    const inner = changesetBoundary(i);
    out.push(`Content-Type: multipart/mixed; boundary=${inner}`, "");
    for (const response of item.responses) {
      out.push(`--${inner}`);
      writePart(out, response);
    }
    out.push(`--${inner}--`);
  }
  out.push(`--${boundary}--`, "");
  return Buffer.from(out.join("\r\n"), "utf8");
}
