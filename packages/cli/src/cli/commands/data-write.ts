/**
 * `d365fo create|update|delete|batch|action`: writes and actions on `/data`. Payloads are JSON
 * from a file (`--data <file>`) or stdin. A batch file is a JSON array of operations
 * (`{"method":"create","entitySet":…,"body":…}`, `update`/`replace` with `key` and `body`,
 * `delete` and `get` with `key`) and changesets (`{"changeset":[…operations]}`).
 */
import type { BatchResult, ChangesetBuilder, EntityKey } from "d365fo-client";
import type { CliContext } from "../context.js";
import { UsageError } from "../errors.js";
import { exitCodeForError } from "../exit-codes.js";
import { renderTable, toJsonText } from "../output.js";
import {
  asObject,
  type DataCommandOptions,
  parseKeyArgument,
  readJsonPayload,
  withConnection,
} from "./data-common.js";

export interface WriteCommandOptions extends DataCommandOptions {
  data?: string;
  ifMatch?: string;
  crossCompany?: boolean;
}

export async function createCommand(
  ctx: CliContext,
  entitySet: string,
  options: WriteCommandOptions,
): Promise<number> {
  const body = asObject(await readJsonPayload(options.data, "row"), "row");
  return withConnection(ctx, options, async (connection) => {
    const row = await connection.create(entitySet, body, { signal: ctx.signal });
    ctx.output.result(row, () => toJsonText(row));
    return 0;
  });
}

export async function updateCommand(
  ctx: CliContext,
  entitySet: string,
  keyText: string,
  options: WriteCommandOptions & { replace?: boolean },
): Promise<number> {
  const body = asObject(await readJsonPayload(options.data, "changes"), "changes");
  return withConnection(ctx, options, async (connection) => {
    const key = await parseKeyArgument(connection, entitySet, keyText);
    const write = options.replace ? connection.replace.bind(connection) : connection.update.bind(connection);
    const result = await write(entitySet, key, body, {
      ifMatch: options.ifMatch,
      crossCompany: options.crossCompany,
      signal: ctx.signal,
    });
    ctx.output.result(
      { entitySet, key, ...result },
      () => `${options.replace ? "replaced" : "updated"} (HTTP ${result.status})`,
    );
    return 0;
  });
}

export async function deleteCommand(
  ctx: CliContext,
  entitySet: string,
  keyText: string,
  options: WriteCommandOptions,
): Promise<number> {
  return withConnection(ctx, options, async (connection) => {
    const key = await parseKeyArgument(connection, entitySet, keyText);
    const result = await connection.delete(entitySet, key, {
      ifMatch: options.ifMatch,
      crossCompany: options.crossCompany,
      signal: ctx.signal,
    });
    ctx.output.result({ entitySet, key, ...result }, () => `deleted (HTTP ${result.status})`);
    return 0;
  });
}

interface BatchFileOperation {
  method: string;
  entitySet: string;
  key?: EntityKey;
  body?: Record<string, unknown>;
  ifMatch?: string;
}

function addOperation(
  target: ChangesetBuilder & { get?: (set: string, key: EntityKey) => number },
  raw: unknown,
  where: string,
): void {
  const op = asObject(raw, `operation ${where}`) as unknown as BatchFileOperation;
  if (typeof op.entitySet !== "string") throw new UsageError(`Operation ${where} needs an entitySet`);
  const needKey = () => {
    if (op.key === undefined) throw new UsageError(`Operation ${where} (${op.method}) needs a key`);
    return op.key;
  };
  const needBody = () => asObject(op.body, `body of operation ${where}`);
  switch (op.method) {
    case "create":
      target.create(op.entitySet, needBody());
      return;
    case "update":
      target.update(op.entitySet, needKey(), needBody(), { ifMatch: op.ifMatch });
      return;
    case "replace":
      target.replace(op.entitySet, needKey(), needBody(), { ifMatch: op.ifMatch });
      return;
    case "delete":
      target.delete(op.entitySet, needKey(), { ifMatch: op.ifMatch });
      return;
    case "get":
      if (!target.get) throw new UsageError(`Operation ${where}: a changeset cannot hold a get`);
      target.get(op.entitySet, needKey());
      return;
    default:
      throw new UsageError(
        `Operation ${where} has method ${JSON.stringify(op.method)}; use create, update, replace, delete or get`,
      );
  }
}

function summary(result: BatchResult): Record<string, unknown> {
  return result.ok
    ? {
        index: result.index,
        kind: result.kind,
        ok: true,
        status: result.status,
        etag: result.etag,
        body: result.body,
      }
    : {
        index: result.index,
        kind: result.kind,
        ok: false,
        status: result.status,
        rolledBack: result.rolledBack,
        error: { code: result.error.code, message: result.error.message },
      };
}

export async function batchCommand(
  ctx: CliContext,
  file: string,
  options: DataCommandOptions,
): Promise<number> {
  const document = await readJsonPayload(file, "batch file");
  if (!Array.isArray(document))
    throw new UsageError("A batch file is a JSON array of operations and changesets");
  return withConnection(ctx, options, async (connection) => {
    const batch = connection.batch();
    document.forEach((item, i) => {
      if (item && typeof item === "object" && "changeset" in item) {
        const ops = (item as { changeset: unknown }).changeset;
        if (!Array.isArray(ops)) throw new UsageError(`Item ${i}: changeset must be an array`);
        batch.changeset((cs) => {
          ops.forEach((op, j) => {
            addOperation(cs, op, `${i}.${j}`);
          });
        });
      } else addOperation(batch, item, String(i));
    });
    const results = await batch.send({ signal: ctx.signal });
    const failed = results.filter((r) => !r.ok);
    ctx.output.result(
      { operations: results.length, failed: failed.length, results: results.map(summary) },
      () =>
        renderTable(
          ["#", "operation", "status", "result"],
          results.map((r) => [
            r.index,
            r.kind,
            r.status,
            r.ok ? (r.etag ?? "ok") : `${r.rolledBack ? "rolled back: " : ""}${r.error.message}`,
          ]),
        ),
    );
    const first = failed[0];
    return first && !first.ok ? exitCodeForError(first.error) : 0;
  });
}

export interface ActionCommandOptions extends DataCommandOptions {
  key?: string;
  params?: string;
  crossCompany?: boolean;
}

export async function actionCommand(
  ctx: CliContext,
  entitySet: string,
  name: string,
  options: ActionCommandOptions,
): Promise<number> {
  // Inline JSON (`{"A":1}`) or a file (`-`: stdin).
  const raw =
    options.params === undefined
      ? {}
      : options.params.trim().startsWith("{")
        ? parseInline(options.params)
        : await readJsonPayload(options.params, "parameters");
  const parameters = asObject(raw, "parameters");
  return withConnection(ctx, options, async (connection) => {
    const target =
      options.key === undefined
        ? entitySet
        : { entitySet, key: await parseKeyArgument(connection, entitySet, options.key) };
    const value = await connection.callAction(target, name, parameters, {
      crossCompany: options.crossCompany,
      signal: ctx.signal,
    });
    ctx.output.result({ entitySet, action: name, value: value ?? null }, () =>
      value === undefined ? "done (no content)" : toJsonText(value),
    );
    return 0;
  });
}

function parseInline(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`--params is not valid JSON: ${(error as Error).message}`);
  }
}
