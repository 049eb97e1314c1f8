/**
 * `$batch`: a builder of operations and atomic changesets, sent in batches of at most 5,000
 * operations (the service's limit, protocol §1.2). Parts answered 429 inside the response
 * (§5.3) are sent again after their Retry-After, without the parts that already succeeded; a
 * throttled changeset is resent whole (it was not applied). One typed result per operation.
 */
import type { D365Error } from "../errors.js";
import { backoffDelay, parseRetryAfter } from "../http/retry.js";
import { defaultSleep, type Sleep } from "../http/types.js";
import {
  type BatchRequestItem,
  type BatchRequestPart,
  buildBatchBody,
  parseBatchResponse,
} from "./batch-format.js";
import { errorFor, resultOf } from "./batch-results.js";
import type { CallOptions, DataClient, Row } from "./client.js";
import { DataValidationError, type ValidationProblem } from "./errors.js";
import { crossCompanyQuery, entityPath, etagOf, jsonBody } from "./url.js";
import { checkKey, checkWrite, type EntityKey } from "./validate.js";

/** The service's limit of operations in one `$batch`. */
export const MAX_BATCH_OPERATIONS = 5_000;

export type BatchOperationKind = "get" | "create" | "update" | "replace" | "delete";

export interface Operation {
  index: number;
  kind: BatchOperationKind;
  entitySet: string;
  key?: EntityKey;
  body?: Readonly<Row>;
  ifMatch?: string | Readonly<Row>;
}

export type BatchResult =
  | { index: number; kind: BatchOperationKind; ok: true; status: number; body?: Row; etag?: string }
  | {
      index: number;
      kind: BatchOperationKind;
      ok: false;
      status: number;
      error: D365Error;
      /** The operation was in a changeset that failed as a whole: nothing of it was applied. */
      rolledBack: boolean;
    };

export interface BatchSendOptions extends CallOptions {
  /**
   * Operations per `$batch` request (default and maximum 5,000, the service's limit). Smaller
   * batches sent in parallel finish sooner: the service runs a batch's operations one by one.
   */
  operationsPerBatch?: number;
  /** Batches in flight at once (default 2). */
  concurrency?: number;
  /** Rounds for throttled parts, the first included (default 6). */
  maxAttempts?: number;
  /** Upper bound on a part's Retry-After (default 10 min). */
  retryAfterCapMs?: number;
  /**
   * How long one `$batch` may take to answer, in ms. Default: 100 ms per operation, at least
   * the pipeline's 2 minutes (the service runs the operations one after another before it
   * answers, so a 5,000-operation batch can take minutes).
   */
  timeoutMs?: number;
  /** Injectable wait (tests); default a timer. */
  sleep?: Sleep;
}

type Unit = { ops: Operation[]; changeset: boolean };

/** Operations added inside `batch.changeset(…)`: applied all together or not at all. */
export class ChangesetBuilder {
  constructor(protected readonly add: (op: Omit<Operation, "index">) => number) {}

  create(entitySet: string, row: Readonly<Row>): number {
    return this.add({ kind: "create", entitySet, body: row });
  }
  update(
    entitySet: string,
    key: EntityKey,
    changes: Readonly<Row>,
    options: { ifMatch?: string | Readonly<Row> } = {},
  ): number {
    return this.add({ kind: "update", entitySet, key, body: changes, ifMatch: options.ifMatch });
  }
  replace(
    entitySet: string,
    key: EntityKey,
    row: Readonly<Row>,
    options: { ifMatch?: string | Readonly<Row> } = {},
  ): number {
    return this.add({ kind: "replace", entitySet, key, body: row, ifMatch: options.ifMatch });
  }
  delete(entitySet: string, key: EntityKey, options: { ifMatch?: string | Readonly<Row> } = {}): number {
    return this.add({ kind: "delete", entitySet, key, ifMatch: options.ifMatch });
  }
}

/** A batch under construction; each method returns the operation's index in the results. */
export class BatchBuilder extends ChangesetBuilder {
  private readonly units: Unit[] = [];
  private count = 0;

  constructor(
    private readonly client: DataClient,
    private readonly baseUrl: string,
  ) {
    super((op) => {
      const index = this.count++;
      this.units.push({ ops: [{ ...op, index }], changeset: false });
      return index;
    });
  }

  /** A read inside the batch (never inside a changeset). */
  get(entitySet: string, key: EntityKey): number {
    return this.add({ kind: "get", entitySet, key });
  }

  /** Adds an atomic changeset built by `build`. */
  changeset(build: (changeset: ChangesetBuilder) => void): this {
    const unit: Unit = { ops: [], changeset: true };
    build(
      new ChangesetBuilder((op) => {
        const index = this.count++;
        unit.ops.push({ ...op, index });
        return index;
      }),
    );
    if (unit.ops.length > 0) this.units.push(unit);
    return this;
  }

  /** Operations added so far. */
  get size(): number {
    return this.count;
  }

  /** Validates every operation, then sends; results are in operation order. */
  async send(options: BatchSendOptions = {}): Promise<BatchResult[]> {
    const parts = new Map<number, BatchRequestPart>();
    const problems: ValidationProblem[] = [];
    for (const unit of this.units) {
      if (
        unit.ops.length > MAX_BATCH_OPERATIONS ||
        unit.ops.length > (options.operationsPerBatch ?? Number.POSITIVE_INFINITY)
      )
        problems.push({
          kind: "invalidValue",
          message: `A changeset holds ${unit.ops.length} operations, more than one batch may hold (${Math.min(MAX_BATCH_OPERATIONS, options.operationsPerBatch ?? MAX_BATCH_OPERATIONS)})`,
        });
      for (const op of unit.ops) {
        try {
          parts.set(op.index, await this.part(op, unit.changeset, options));
        } catch (error) {
          if (!(error instanceof DataValidationError)) throw error;
          for (const problem of error.problems)
            problems.push({ ...problem, message: `operation ${op.index} (${op.kind}): ${problem.message}` });
        }
      }
    }
    if (problems.length > 0) throw new DataValidationError(problems);
    const perBatch = Math.max(
      1,
      Math.min(MAX_BATCH_OPERATIONS, options.operationsPerBatch ?? MAX_BATCH_OPERATIONS),
    );
    const chunks = splitUnits(this.units, perBatch);
    const results: BatchResult[] = new Array(this.count);
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++];
        for (const result of await this.sendChunk(chunk, parts, options)) results[result.index] = result;
      }
    };
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 2, chunks.length)) }, worker),
    );
    return results;
  }

  private async part(op: Operation, inChangeset: boolean, options: CallOptions): Promise<BatchRequestPart> {
    const schema = await this.client.schemaFor(op.entitySet, options, (s) => [
      ...(op.key === undefined ? [] : checkKey(s, op.key)),
      ...(op.body && op.kind !== "get" && op.kind !== "delete" ? checkWrite(s, op.body, op.kind) : []),
    ]);
    const method = (
      { get: "GET", create: "POST", update: "PATCH", replace: "PUT", delete: "DELETE" } as const
    )[op.kind];
    const query = op.key === undefined ? "" : crossCompanyQuery({}, op.key);
    const headers: Record<string, string> = {};
    if (op.kind !== "get" && op.kind !== "create") {
      const match = typeof op.ifMatch === "object" ? etagOf(op.ifMatch) : (op.ifMatch ?? "*");
      if (match === undefined)
        throw new DataValidationError([
          { kind: "invalidValue", message: "ifMatch was given a row without an @odata.etag" },
        ]);
      headers["If-Match"] = match;
    }
    let body: string | undefined;
    if (op.body) {
      const json = jsonBody(op.body);
      if (op.kind !== "create")
        for (const name of Object.keys(json)) if (name.includes("@")) delete json[name];
      body = JSON.stringify(json);
    }
    return {
      method,
      url: `${this.baseUrl}${entityPath(op.entitySet, op.key, schema)}${query}`,
      headers,
      body,
      contentId: inChangeset ? String(op.index + 1) : undefined,
    };
  }

  private async sendChunk(
    units: Unit[],
    parts: Map<number, BatchRequestPart>,
    options: BatchSendOptions,
  ): Promise<BatchResult[]> {
    const maxAttempts = Math.max(1, options.maxAttempts ?? 6);
    const sleep = options.sleep ?? defaultSleep;
    const done: BatchResult[] = [];
    let pending = units;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const items: BatchRequestItem[] = pending.map((unit) =>
        unit.changeset
          ? { changeset: unit.ops.map((op) => parts.get(op.index) as BatchRequestPart) }
          : { part: parts.get(unit.ops[0].index) as BatchRequestPart },
      );
      const { body, contentType } = buildBatchBody(items);
      const operations = pending.reduce((n, unit) => n + unit.ops.length, 0);
      const response = await this.client.http.request("POST", "/data/$batch", {
        rawBody: body,
        headersTimeoutMs: options.timeoutMs ?? Math.max(120_000, operations * 100),
        headers: { "content-type": contentType, accept: "multipart/mixed" },
        signal: options.signal,
        safe: false,
      });
      const answers = parseBatchResponse(
        (response.buffer ?? Buffer.alloc(0)).toString("utf8"),
        response.headers["content-type"],
      );
      const throttled: Unit[] = [];
      let waitMs = 0;
      pending.forEach((unit, i) => {
        const answer = answers[i];
        const single = answer && "part" in answer ? answer.part : undefined;
        if (single?.status === 429 && attempt < maxAttempts) {
          throttled.push(unit);
          const advice = parseRetryAfter(single.headers["retry-after"]);
          const delay = advice ?? backoffDelay(attempt - 1, 10_000, 120_000, Math.random);
          waitMs = Math.max(waitMs, Math.min(delay, options.retryAfterCapMs ?? 600_000));
          return;
        }
        done.push(...this.unitResults(unit, answer, parts, attempt));
      });
      pending = throttled;
      if (pending.length > 0) await sleep(waitMs, options.signal);
    }
    return done;
  }

  private unitResults(
    unit: Unit,
    answer: ReturnType<typeof parseBatchResponse>[number] | undefined,
    parts: Map<number, BatchRequestPart>,
    attempts: number,
  ): BatchResult[] {
    if (!answer) {
      const error = errorFor(
        parts.get(unit.ops[0].index) as BatchRequestPart,
        {
          status: 0,
          statusText: "",
          headers: {},
          body: "",
        },
        attempts,
      );
      return unit.ops.map((op) => ({
        index: op.index,
        kind: op.kind,
        ok: false,
        status: 0,
        error,
        rolledBack: unit.changeset,
      }));
    }
    if ("part" in answer) {
      const part = answer.part;
      if (unit.changeset && part.status >= 300) {
        // The changeset failed as a whole: one error response stands for all of its operations.
        const culprit = unit.ops.find((op) => String(op.index + 1) === part.contentId) ?? unit.ops[0];
        const error = errorFor(parts.get(culprit.index) as BatchRequestPart, part, attempts);
        return unit.ops.map((op) => ({
          index: op.index,
          kind: op.kind,
          ok: false,
          status: part.status,
          error,
          rolledBack: true,
        }));
      }
      return [resultOf(unit.ops[0], parts.get(unit.ops[0].index) as BatchRequestPart, part, attempts, false)];
    }
    return unit.ops.map((op, i) => {
      const byId = answer.changeset.find(
        (p) => p.contentId !== undefined && p.contentId === String(op.index + 1),
      );
      const part = byId ?? answer.changeset[i];
      return part
        ? resultOf(op, parts.get(op.index) as BatchRequestPart, part, attempts, true)
        : {
            index: op.index,
            kind: op.kind,
            ok: false as const,
            status: 0,
            error: errorFor(
              parts.get(op.index) as BatchRequestPart,
              { status: 0, statusText: "", headers: {}, body: "" },
              attempts,
            ),
            rolledBack: true,
          };
    });
  }
}

/** Groups units into batches of at most 5,000 operations, never splitting a changeset. */
export function splitUnits<U extends { ops: readonly unknown[] }>(
  units: readonly U[],
  max = MAX_BATCH_OPERATIONS,
): U[][] {
  const chunks: U[][] = [];
  let current: U[] = [];
  let size = 0;
  for (const unit of units) {
    if (size + unit.ops.length > max && current.length > 0) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(unit);
    size += unit.ops.length;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
