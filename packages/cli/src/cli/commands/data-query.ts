/**
 * `d365fo query|get|count`: reads from `/data`. `query` streams: rows are written as they arrive
 * (one JSON object per line by default, one JSON document with `--json`, CSV with `--csv`), with
 * progress on stderr when the read spans several pages.
 */

import type { D365Connection, Row } from "d365fo-client";
import { isD365Error, NotFoundError } from "d365fo-client";
import type { CliContext } from "../context.js";
import { UsageError } from "../errors.js";
import { toJsonText } from "../output.js";
import { type DataCommandOptions, parseKeyArgument, withConnection } from "./data-common.js";

export interface QueryCommandOptions extends DataCommandOptions {
  filter?: string;
  select?: string;
  orderby?: string;
  expand?: string;
  top?: number;
  skip?: number;
  count?: boolean;
  crossCompany?: boolean;
  company?: string;
  csv?: boolean;
  progress?: boolean;
  maxPageSize?: number;
}

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
  return items.length > 0 ? items : undefined;
}

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function columnsOf(row: Row): string[] {
  return Object.keys(row).filter((name) => !name.includes("@"));
}

export async function queryCommand(
  ctx: CliContext,
  entitySet: string,
  options: QueryCommandOptions,
): Promise<number> {
  if (options.csv && ctx.globals.json) throw new UsageError("Choose one of --json and --csv");
  const out = ctx.streams.stdout;
  const err = ctx.streams.stderr;
  const select = list(options.select);
  return withConnection(ctx, options, async (connection) => {
    let rows = 0;
    let pages = 0;
    let lastProgress = 0;
    let total: number | undefined;
    let columns: string[] | undefined = options.csv ? select : undefined;
    let started = false;
    const begin = () => {
      if (started) return;
      started = true;
      if (ctx.globals.json) {
        ctx.output.streamed();
        out.write(`{"entitySet":${JSON.stringify(entitySet)},"value":[`);
      }
    };
    const rowsQuery = connection.query(entitySet, {
      filter: options.filter,
      select,
      orderBy: list(options.orderby),
      expand: list(options.expand),
      top: options.top,
      skip: options.skip,
      count: options.count,
      crossCompany: options.crossCompany,
      company: options.company,
      maxPageSize: options.maxPageSize,
      signal: ctx.signal,
      onPage: (page) => {
        pages++;
        if (page.count !== undefined) total = page.count;
        const now = Date.now();
        if (options.progress !== false && page.nextLink && now - lastProgress >= 1000) {
          lastProgress = now;
          err.write(
            `query ${entitySet}: ${rows}${total !== undefined ? `/${total}` : ""} rows (${pages} pages)\n`,
          );
        }
      },
    });
    try {
      for await (const row of rowsQuery) {
        begin();
        if (ctx.globals.json) out.write(`${rows > 0 ? "," : ""}\n${JSON.stringify(row)}`);
        else if (options.csv) {
          if (rows === 0) {
            columns ??= columnsOf(row);
            out.write(`${columns.map(csvField).join(",")}\r\n`);
          }
          out.write(`${(columns as string[]).map((c) => csvField(row[c])).join(",")}\r\n`);
        } else out.write(`${JSON.stringify(row)}\n`);
        rows++;
      }
    } catch (error) {
      // Rows already written stay a valid document: close it with the error inside.
      if (ctx.globals.json && started && isD365Error(error))
        out.write(
          `\n],"rows":${rows},"error":${JSON.stringify({ code: error.code, message: error.message })}}\n`,
        );
      throw error;
    }
    if (ctx.globals.json) {
      begin();
      out.write(
        `${rows > 0 ? "\n" : ""}],"rows":${rows}${total !== undefined ? `,"count":${total}` : ""}}\n`,
      );
    } else if (options.csv && rows === 0 && columns) out.write(`${columns.map(csvField).join(",")}\r\n`);
    if (options.progress !== false && pages > 1)
      err.write(`query ${entitySet}: ${rows} rows in ${pages} pages\n`);
    return 0;
  });
}

export interface GetCommandOptions extends DataCommandOptions {
  select?: string;
  expand?: string;
  crossCompany?: boolean;
}

export async function getCommand(
  ctx: CliContext,
  entitySet: string,
  keyText: string,
  options: GetCommandOptions,
): Promise<number> {
  return withConnection(ctx, options, async (connection: D365Connection) => {
    const key = await parseKeyArgument(connection, entitySet, keyText);
    const row = await connection.get(entitySet, key, {
      select: list(options.select),
      expand: list(options.expand),
      crossCompany: options.crossCompany,
      signal: ctx.signal,
    });
    if (!row) throw new NotFoundError(`${entitySet} has no row ${keyText}`);
    ctx.output.result(row, () => toJsonText(row));
    return 0;
  });
}

export interface CountCommandOptions extends DataCommandOptions {
  filter?: string;
  crossCompany?: boolean;
  company?: string;
}

export async function countCommand(
  ctx: CliContext,
  entitySet: string,
  options: CountCommandOptions,
): Promise<number> {
  return withConnection(ctx, options, async (connection) => {
    const count = await connection.count(entitySet, {
      filter: options.filter,
      crossCompany: options.crossCompany,
      company: options.company,
      signal: ctx.signal,
    });
    ctx.output.result({ entitySet, count }, () => String(count));
    return 0;
  });
}
