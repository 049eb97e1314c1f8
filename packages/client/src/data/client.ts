/**
 * `DataClient`: reads, writes and actions on `/data`, over the environment's one HTTP pipeline
 * (auth, retry, limiter). Every request is validated against the metadata cache first, unless
 * validation is off; a `DataValidationError` means nothing was sent.
 */
import {
  type AnyEntityDescriptor,
  type CreateOf,
  type EntityRef,
  entitySetOf,
  type KeyOf,
  payloadProblems,
  type ReadOf,
  type TypedQueryOptions,
  type UpdateOf,
} from "../codegen/descriptor.js";
import { D365Error } from "../errors.js";
import type { HttpClient } from "../http/client.js";
import type { HttpMethod, HttpResponse } from "../http/types.js";
import { unwrapActionValue } from "../metadata/parse.js";
import { DATA_ENTITIES_NAMESPACE } from "../metadata/wire.js";
import { ConcurrencyConflictError, DataValidationError, type ValidationProblem } from "./errors.js";
import { FilterSyntaxError, parseFilter } from "./filter-parse.js";
import type { SchemaResolver } from "./resolve.js";
import type { EntitySchema } from "./schema.js";
import {
  buildQueryString,
  crossCompanyQuery,
  effectiveFilter,
  entityPath,
  etagOf,
  jsonBody,
  orderByItems,
  type QueryShape,
} from "./url.js";
import {
  checkAction,
  checkExpand,
  checkFilter,
  checkKey,
  checkPropertyNames,
  checkWrite,
  type EntityKey,
  type WriteKind,
} from "./validate.js";

/** A row as D365 sends it: properties plus annotations such as `@odata.etag`. */
export type Row = Record<string, unknown>;

export interface CallOptions {
  signal?: AbortSignal;
  /** Check against the metadata before sending (default: the connection's setting, true). */
  validate?: boolean;
}

export interface QueryOptions extends QueryShape, CallOptions {
  /** `Prefer: odata.maxpagesize=<n>` (1..10,000; F&O may ignore it and page at 10,000). */
  maxPageSize?: number;
  /** Called after each page with its row count and, with `count: true`, the total. */
  onPage?: (page: { rows: number; count?: number; nextLink?: string }) => void;
}

export interface GetOptions extends CallOptions, Pick<QueryShape, "select" | "expand" | "crossCompany"> {}

export interface CountOptions extends CallOptions, Pick<QueryShape, "filter" | "crossCompany" | "company"> {}

export interface WriteOptions extends CallOptions {
  /**
   * Optimistic concurrency: an ETag, or the row read earlier (its `@odata.etag`). Default `*`
   * (no check). A mismatch is a `ConcurrencyConflictError`.
   */
  ifMatch?: string | Readonly<Row>;
  crossCompany?: boolean;
}

export interface WriteResult {
  status: number;
  /** The row's new ETag, when the service sent one. */
  etag?: string;
}

/** Where an action is bound: an entity set, or one row of it. */
export type ActionTarget = string | { entitySet: string; key: EntityKey };

export interface DataClientOptions {
  http: HttpClient;
  /** The metadata the requests are checked against; without it nothing is validated. */
  schemas?: SchemaResolver;
  /** Default for every call (true). */
  validate?: boolean;
}

function problemsOfFilter(
  schema: EntitySchema,
  filter: QueryShape["filter"] | ReturnType<typeof effectiveFilter>,
) {
  if (filter === undefined) return [];
  if (typeof filter !== "string") return checkFilter(schema, filter);
  try {
    return checkFilter(schema, parseFilter(filter));
  } catch (error) {
    if (!(error instanceof FilterSyntaxError)) throw error;
    return [
      {
        kind: "syntax",
        message: `$filter: ${error.message}`,
        entitySet: schema.entitySet,
      } as ValidationProblem,
    ];
  }
}

export class DataClient {
  readonly http: HttpClient;
  private readonly schemas: SchemaResolver | undefined;
  private readonly validateByDefault: boolean;

  constructor(options: DataClientOptions) {
    this.http = options.http;
    this.schemas = options.schemas;
    this.validateByDefault = options.validate ?? true;
  }

  /**
   * The entity set's schema after `checks` passed; `undefined` when validation is off. Throws
   * DataValidationError (no request sent) when the set is unknown or a check fails. Internal:
   * the batch builder validates its operations through it.
   */
  async schemaFor(
    entitySet: string,
    options: CallOptions,
    checks: (schema: EntitySchema) => ValidationProblem[],
  ): Promise<EntitySchema | undefined> {
    if (!(options.validate ?? this.validateByDefault) || !this.schemas) return undefined;
    const lookup = await this.schemas.entitySet(entitySet);
    if ("problem" in lookup) throw new DataValidationError([lookup.problem]);
    const problems = checks(lookup.schema);
    if (problems.length > 0)
      throw new DataValidationError(await this.schemas.enrich(lookup.schema, problems));
    return lookup.schema;
  }

  private queryChecks(shape: QueryShape) {
    return (schema: EntitySchema): ValidationProblem[] => {
      const filter = effectiveFilter(shape);
      return [
        ...problemsOfFilter(schema, filter),
        ...checkPropertyNames(schema, shape.select ?? [], "$select"),
        ...checkPropertyNames(
          schema,
          orderByItems(shape.orderBy).map((o) => o.field),
          "$orderby",
        ),
        ...checkExpand(schema, shape.expand ?? []),
      ];
    };
  }

  /** The rows of an entity set, page after page (nextLinks followed), with bounded memory. */
  query<D extends AnyEntityDescriptor, const S extends keyof ReadOf<D> & string = keyof ReadOf<D> & string>(
    entity: D,
    options?: TypedQueryOptions<D, S>,
  ): AsyncGenerator<Pick<ReadOf<D>, S>>;
  query<T extends Row = Row>(entitySet: string, options?: QueryOptions): AsyncGenerator<T>;
  async *query(entity: EntityRef, options: QueryOptions = {}): AsyncGenerator<Row> {
    const entitySet = entitySetOf(entity);
    const schema = await this.schemaFor(entitySet, options, this.queryChecks(options));
    const url = `${entityPath(entitySet)}${buildQueryString(options, schema)}`;
    const headers: Record<string, string> = {};
    if (options.maxPageSize !== undefined) headers.prefer = `odata.maxpagesize=${options.maxPageSize}`;
    for await (const row of this.http.streamCollection(url, {
      signal: options.signal,
      headers,
      onPage: options.onPage
        ? (page) => options.onPage?.({ rows: page.items, count: page.count, nextLink: page.nextLink })
        : undefined,
    })) {
      yield row as Row;
    }
  }

  /** One row by key; `undefined` when there is none (404). */
  get<D extends AnyEntityDescriptor>(
    entity: D,
    key: KeyOf<D>,
    options?: GetOptions,
  ): Promise<ReadOf<D> | undefined>;
  get<T extends Row = Row>(entitySet: string, key: EntityKey, options?: GetOptions): Promise<T | undefined>;
  async get(entity: EntityRef, key: EntityKey, options: GetOptions = {}): Promise<Row | undefined> {
    const entitySet = entitySetOf(entity);
    const schema = await this.schemaFor(entitySet, options, (s) => [
      ...checkKey(s, key),
      ...checkPropertyNames(s, options.select ?? [], "$select"),
      ...checkExpand(s, options.expand ?? []),
    ]);
    const url = `${entityPath(entitySet, key, schema)}${buildQueryString(options, schema, key)}`;
    const body = await this.http.getJson<Row>(url, { signal: options.signal, notFoundAsUndefined: true });
    if (body === undefined) return undefined;
    const { "@odata.context": _context, ...row } = body;
    return row;
  }

  /** `GET /data/<Set>/$count`: the number of rows matching the filter. */
  async count(entitySet: string, options: CountOptions = {}): Promise<number> {
    const schema = await this.schemaFor(entitySet, options, (s) =>
      problemsOfFilter(s, effectiveFilter(options)),
    );
    const url = `${entityPath(entitySet)}/$count${buildQueryString(options, schema)}`;
    const response = await this.http.request("GET", url, {
      signal: options.signal,
      headers: { accept: "text/plain" },
    });
    const text = (response.buffer ?? Buffer.alloc(0)).toString("utf8").trim();
    const value = Number(text);
    if (text === "" || !Number.isSafeInteger(value)) {
      throw new D365Error(
        "D365_PROTOCOL",
        `GET ${url} returned ${JSON.stringify(text.slice(0, 40))}, not a count`,
        {
          status: response.status,
          requestId: response.requestId,
        },
      );
    }
    return value;
  }

  /** POST a new row (a descriptor's create type, checked by its schema); returns the created row. */
  create<D extends AnyEntityDescriptor>(
    entity: D,
    row: CreateOf<D>,
    options?: CallOptions,
  ): Promise<ReadOf<D>>;
  create<T extends Row = Row>(entitySet: string, row: Readonly<Row>, options?: CallOptions): Promise<T>;
  async create(entity: EntityRef, row: Readonly<Row>, options: CallOptions = {}): Promise<Row> {
    const entitySet = entitySetOf(entity);
    this.checkPayload(entity, "create", row, options);
    await this.schemaFor(entitySet, options, (s) => checkWrite(s, row, "create"));
    const response = await this.write("POST", entityPath(entitySet), jsonBody(row), undefined, options);
    const created = parseRow(response) ?? { ...jsonBody(row) };
    const etag = response.headers.etag;
    if (etag && created["@odata.etag"] === undefined) created["@odata.etag"] = etag;
    const { "@odata.context": _context, ...rest } = created;
    return rest;
  }

  /** A descriptor's payload schema, before anything else (no request is sent when it fails). */
  private checkPayload(entity: EntityRef, kind: "create" | "update", body: unknown, options: CallOptions) {
    const problems = (options.validate ?? this.validateByDefault) ? payloadProblems(entity, kind, body) : [];
    if (problems.length > 0) throw new DataValidationError(problems);
  }

  /** PATCH: only the properties present in `changes` are sent (a descriptor's update type). */
  update<D extends AnyEntityDescriptor>(
    entity: D,
    key: KeyOf<D>,
    changes: UpdateOf<D>,
    options?: WriteOptions,
  ): Promise<WriteResult>;
  update(
    entitySet: string,
    key: EntityKey,
    changes: Readonly<Row>,
    options?: WriteOptions,
  ): Promise<WriteResult>;
  async update(
    entity: EntityRef,
    key: EntityKey,
    changes: Readonly<Row>,
    options: WriteOptions = {},
  ): Promise<WriteResult> {
    this.checkPayload(entity, "update", changes, options);
    return this.modify("PATCH", "update", entitySetOf(entity), key, changes, options);
  }

  /** PUT: the row as a whole. */
  replace(
    entitySet: string,
    key: EntityKey,
    row: Readonly<Row>,
    options: WriteOptions = {},
  ): Promise<WriteResult> {
    return this.modify("PUT", "replace", entitySet, key, row, options);
  }

  delete<D extends AnyEntityDescriptor>(
    entity: D,
    key: KeyOf<D>,
    options?: WriteOptions,
  ): Promise<WriteResult>;
  delete(entitySet: string, key: EntityKey, options?: WriteOptions): Promise<WriteResult>;
  async delete(entity: EntityRef, key: EntityKey, options: WriteOptions = {}): Promise<WriteResult> {
    const entitySet = entitySetOf(entity);
    const schema = await this.schemaFor(entitySet, options, (s) =>
      s.isReadOnly
        ? [
            {
              kind: "readOnlyEntity",
              message: `${s.entitySet} is read-only; rows cannot be deleted`,
              entitySet,
            },
          ]
        : checkKey(s, key),
    );
    const path = `${entityPath(entitySet, key, schema)}${crossCompanyQuery(options, key)}`;
    const response = await this.write("DELETE", path, undefined, options.ifMatch ?? "*", options);
    return { status: response.status };
  }

  private async modify(
    method: "PATCH" | "PUT",
    kind: WriteKind,
    entitySet: string,
    key: EntityKey,
    body: Readonly<Row>,
    options: WriteOptions,
  ): Promise<WriteResult> {
    const schema = await this.schemaFor(entitySet, options, (s) => [
      ...checkKey(s, key),
      ...checkWrite(s, body, kind),
    ]);
    const path = `${entityPath(entitySet, key, schema)}${crossCompanyQuery(options, key)}`;
    const response = await this.write(method, path, writableFields(body), options.ifMatch ?? "*", options);
    return { status: response.status, etag: response.headers.etag ?? etagOf(parseRow(response)) };
  }

  private async write(
    method: HttpMethod,
    path: string,
    body: Row | undefined,
    ifMatch: string | Readonly<Row> | undefined,
    options: CallOptions,
  ): Promise<HttpResponse> {
    const match = typeof ifMatch === "string" || ifMatch === undefined ? ifMatch : etagOf(ifMatch);
    if (ifMatch !== undefined && match === undefined) {
      throw new DataValidationError([
        { kind: "invalidValue", message: "ifMatch was given a row without an @odata.etag", name: "ifMatch" },
      ]);
    }
    const headers: Record<string, string> = {};
    if (match !== undefined) headers["if-match"] = match;
    try {
      return await this.http.request(method, path, { body, headers, signal: options.signal, safe: false });
    } catch (error) {
      if (error instanceof D365Error && error.status === 412 && match !== undefined) {
        throw new ConcurrencyConflictError(
          `${method} ${path}: the row changed since it was read (412, If-Match ${match})`,
          {
            status: 412,
            method,
            url: error.url,
            requestId: error.requestId,
            activityId: error.activityId,
            body: error.body,
            ifMatch: match,
            cause: error,
          },
        );
      }
      throw error;
    }
  }

  /**
   * `POST /data/<Set>[(<key>)]/Microsoft.Dynamics.DataEntities.<name>`: `undefined` for a void
   * action, the value of a primitive or collection result, or the returned entity.
   */
  async callAction(
    target: ActionTarget,
    name: string,
    parameters: Readonly<Record<string, unknown>> = {},
    options: CallOptions & { crossCompany?: boolean } = {},
  ): Promise<unknown> {
    const entitySet = typeof target === "string" ? target : target.entitySet;
    const key = typeof target === "string" ? undefined : target.key;
    const schema = await this.schemaFor(entitySet, options, (s) => [
      ...(key === undefined ? [] : checkKey(s, key)),
      ...checkAction(s, name, key === undefined ? "set" : "instance", parameters),
    ]);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new DataValidationError([
        { kind: "unknownAction", message: `Invalid action name ${JSON.stringify(name)}` },
      ]);
    const path = `${entityPath(entitySet, key, schema)}/${DATA_ENTITIES_NAMESPACE}.${name}${key === undefined ? "" : crossCompanyQuery(options, key)}`;
    const body = await this.http.postJson(path, jsonBody(parameters), {
      signal: options.signal,
      safe: false,
    });
    if (body === undefined) return undefined;
    if (body && typeof body === "object" && !Array.isArray(body) && "value" in body)
      return unwrapActionValue(body);
    if (body && typeof body === "object" && !Array.isArray(body)) {
      const { "@odata.context": _context, ...entity } = body as Row;
      return entity;
    }
    return body;
  }
}

/** A PATCH/PUT body without annotations (a row read earlier carries `@odata.etag`). */
function writableFields(body: Readonly<Row>): Row {
  const out: Row = {};
  for (const [name, value] of Object.entries(jsonBody(body))) if (!name.includes("@")) out[name] = value;
  return out;
}

function parseRow(response: HttpResponse): Row | undefined {
  const buffer = response.buffer;
  if (!buffer || buffer.length === 0) return undefined;
  try {
    const parsed = JSON.parse(buffer.toString("utf8")) as unknown;
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Row) : undefined;
  } catch {
    return undefined;
  }
}
