/**
 * The `$batch` wire format (OData v4 multipart/mixed, protocol §1.2, §5.3): building a request
 * body from operations and changesets, and reading the response's parts back. Pure code.
 */
import { randomUUID } from "node:crypto";
import { ProtocolError } from "../errors.js";

export interface BatchRequestPart {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** Absolute URL of the operation. */
  url: string;
  headers?: Record<string, string>;
  /** JSON text. */
  body?: string;
  /** Set for operations inside a changeset (responses are matched by it). */
  contentId?: string;
}

/** A top-level item of a batch: one operation, or an atomic changeset of operations. */
export type BatchRequestItem = { part: BatchRequestPart } | { changeset: BatchRequestPart[] };

export interface BatchResponsePart {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: string;
  contentId?: string;
}

/** A top-level response item: one part, or the parts of a changeset that was applied. */
export type BatchResponseItem = { part: BatchResponsePart } | { changeset: BatchResponsePart[] };

const CRLF = "\r\n";

function httpPart(part: BatchRequestPart): string {
  const lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"];
  if (part.contentId !== undefined) lines.push(`Content-ID: ${part.contentId}`);
  lines.push("", `${part.method} ${part.url} HTTP/1.1`, "Accept: application/json");
  if (part.body !== undefined) lines.push("Content-Type: application/json; type=entry");
  for (const [name, value] of Object.entries(part.headers ?? {})) lines.push(`${name}: ${value}`);
  lines.push("", part.body ?? "");
  return lines.join(CRLF);
}

/** The request body and its `content-type`. */
export function buildBatchBody(items: readonly BatchRequestItem[]): { body: string; contentType: string } {
  const boundary = `batch_${randomUUID()}`;
  const chunks: string[] = [];
  for (const item of items) {
    chunks.push(`--${boundary}${CRLF}`);
    if ("part" in item) {
      chunks.push(`${httpPart(item.part)}${CRLF}`);
      continue;
    }
    const changeset = `changeset_${randomUUID()}`;
    chunks.push(`Content-Type: multipart/mixed; boundary=${changeset}${CRLF}${CRLF}`);
    for (const part of item.changeset) chunks.push(`--${changeset}${CRLF}${httpPart(part)}${CRLF}`);
    chunks.push(`--${changeset}--${CRLF}`);
  }
  chunks.push(`--${boundary}--${CRLF}`);
  return { body: chunks.join(""), contentType: `multipart/mixed; boundary=${boundary}` };
}

/** `multipart/mixed; boundary="x"` → `x`. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? "");
  return match ? (match[1] ?? match[2]) : undefined;
}

/** Splits a header block and the rest at the first empty line (CRLF or LF). */
function splitHead(text: string): { head: Record<string, string>; firstLine?: string; rest: string } {
  const match = /\r?\n\r?\n/.exec(text);
  const headText = match ? text.slice(0, match.index) : text;
  const rest = match ? text.slice(match.index + match[0].length) : "";
  const head: Record<string, string> = {};
  let firstLine: string | undefined;
  for (const line of headText.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0 && !/^HTTP\/\d/.test(line))
      head[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    else if (line.trim() !== "") firstLine ??= line.trim();
  }
  return { head, firstLine, rest };
}

/** The parts of a multipart body (without preamble and epilogue). */
function multipartParts(body: string, boundary: string): string[] {
  const delimiter = `--${boundary}`;
  const pieces = body.split(delimiter);
  const parts: string[] = [];
  for (let i = 1; i < pieces.length; i++) {
    const piece = pieces[i];
    if (piece.startsWith("--")) break;
    parts.push(piece.replace(/^\r?\n/, "").replace(/\r?\n$/, ""));
  }
  return parts;
}

function parseHttpPart(mimeHeaders: Record<string, string>, content: string): BatchResponsePart {
  const newline = /\r?\n/.exec(content);
  const statusLine = (newline ? content.slice(0, newline.index) : content).trim();
  const status = /^HTTP\/\d(?:\.\d)?\s+(\d{3})(?:\s+(.*))?$/.exec(statusLine);
  if (!status)
    throw new ProtocolError(`A $batch response part has no HTTP status line (${statusLine.slice(0, 60)})`);
  const after = newline ? content.slice(newline.index + newline[0].length) : "";
  // Without headers the empty line follows the status line directly.
  const blank = /^\r?\n/.exec(after);
  const { head, rest } = blank ? { head: {}, rest: after.slice(blank[0].length) } : splitHead(after);
  return {
    status: Number(status[1]),
    statusText: status[2]?.trim() ?? "",
    headers: head,
    body: rest.replace(/\r?\n$/, ""),
    contentId: mimeHeaders["content-id"] ?? (head as Record<string, string>)["content-id"],
  };
}

/** Reads a `$batch` response body into its items, in request order. */
export function parseBatchResponse(body: string, contentType: string | undefined): BatchResponseItem[] {
  const boundary = boundaryOf(contentType);
  if (!boundary)
    throw new ProtocolError(`The $batch response is not multipart (content-type ${contentType ?? "none"})`);
  const items: BatchResponseItem[] = [];
  for (const raw of multipartParts(body, boundary)) {
    const { head, rest } = splitHead(raw);
    const partType = head["content-type"] ?? "";
    if (/^multipart\/mixed/i.test(partType)) {
      const inner = boundaryOf(partType);
      if (!inner) throw new ProtocolError("A changeset response has no boundary");
      items.push({
        changeset: multipartParts(rest, inner).map((piece) => {
          const part = splitHead(piece);
          return parseHttpPart(part.head, part.rest);
        }),
      });
    } else items.push({ part: parseHttpPart(head, rest) });
  }
  return items;
}
