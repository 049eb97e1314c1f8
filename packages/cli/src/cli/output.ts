/**
 * Where command results go. `--json`: exactly one JSON document on stdout (results and errors
 * alike), nothing else there. Otherwise human text on stdout. Diagnostics and progress always go to
 * stderr, so a pipe on stdout only ever sees the result.
 */
import Table from "cli-table3";

export interface OutputStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** JSON.stringify replacer: Dates as ISO strings, Maps and Sets as plain JSON, bigint as string. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  if (typeof value === "bigint") return value.toString();
  return value;
}

export function toJsonText(value: unknown): string {
  return JSON.stringify(value, jsonReplacer, 2);
}

export class Output {
  private documentWritten = false;

  constructor(
    readonly json: boolean,
    readonly streams: OutputStreams = { stdout: process.stdout, stderr: process.stderr },
  ) {}

  /** The command's result: `data` as JSON, or `render()` as text. Call once per command. */
  result(data: unknown, render: () => string): void {
    if (this.json) {
      this.writeDocument(data);
      return;
    }
    const text = render();
    if (text) this.streams.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  }

  /** A command that writes its JSON document itself as it streams (so no error document is added). */
  streamed(): void {
    this.documentWritten = true;
  }

  /** In JSON mode, the error document on stdout (unless a result was already written). */
  errorDocument(error: {
    code: string;
    message: string;
    exitCode: number;
    hint?: string;
    details?: unknown;
  }): void {
    if (this.json && !this.documentWritten) this.writeDocument({ error });
  }

  /** A line on stderr (notes, warnings); never part of the result. */
  note(line: string): void {
    this.streams.stderr.write(`${line}\n`);
  }

  private writeDocument(data: unknown): void {
    if (this.documentWritten) throw new Error("Output: a JSON document was already written");
    this.documentWritten = true;
    this.streams.stdout.write(`${toJsonText(data)}\n`);
  }
}

/** A plain table (no colours: output is often piped or captured). */
export function renderTable(
  head: string[],
  rows: (string | number | boolean | null | undefined)[][],
): string {
  const table = new Table({
    head,
    style: { head: [], border: [] },
    wordWrap: true,
  });
  for (const row of rows)
    table.push(row.map((cell) => (cell === null || cell === undefined ? "" : String(cell))));
  return table.toString();
}

/** Two-column "key: value" block for single records. */
export function renderKeyValues(pairs: [string, string | number | boolean | null | undefined][]): string {
  const width = Math.max(0, ...pairs.map(([key]) => key.length));
  return pairs
    .map(
      ([key, value]) =>
        `${`${key}:`.padEnd(width + 1)} ${value === null || value === undefined ? "-" : String(value)}`,
    )
    .join("\n");
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} ${units[unit]}` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} min ${seconds} s`;
}

export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}
