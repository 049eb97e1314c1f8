/**
 * Typed entity descriptors: what `d365fo codegen` exports per entity set, and what the data
 * client's `query`/`get`/`create`/`update` accept instead of a set name to type their rows and
 * payloads. Pure and dependency-free: generated files import it as a type only, so at run time
 * they need nothing but `zod`.
 */
import type { QueryOptions } from "../data/client.js";
import type { ValidationProblem } from "../data/errors.js";

/** The part of a zod schema the data client uses (structural: the client does not load zod). */
export interface PayloadSchema {
  safeParse(value: unknown): {
    success: boolean;
    error?: { issues: readonly { path: readonly PropertyKey[]; message: string }[] };
  };
}

/**
 * One entity set with its generated types. `Read` is a full row, `Key` its key fields, `Create`
 * the body of a create, `Update` the body of a PATCH, `Navigation` the navigation names.
 */
export interface EntityDescriptor<
  Read = unknown,
  Key = unknown,
  Create = unknown,
  Update = unknown,
  Navigation extends string = string,
> {
  /** The entity set, as in URLs (e.g. `CustomersV3`). */
  readonly entitySet: string;
  /** The public entity (e.g. `CustomerV3`). */
  readonly entityName?: string;
  readonly keys?: readonly string[];
  readonly navigations?: readonly Navigation[];
  /** Validates a row read (every property). */
  readonly schema?: PayloadSchema;
  /** Validates a create body before it is sent (when the call validates). */
  readonly createSchema?: PayloadSchema;
  /** Validates a PATCH body before it is sent (when the call validates). */
  readonly updateSchema?: PayloadSchema;
  /** Never set: carries the types. */
  readonly __types?: { read: Read; key: Key; create: Create; update: Update };
}

/** Any descriptor, whatever its types. */
// biome-ignore lint/suspicious/noExplicitAny: the type parameters are only read back by the helpers below
export type AnyEntityDescriptor = EntityDescriptor<any, any, any, any, any>;
export type ReadOf<D> = D extends EntityDescriptor<infer R, unknown, unknown, unknown, string> ? R : never;
export type KeyOf<D> = D extends EntityDescriptor<unknown, infer K, unknown, unknown, string> ? K : never;
export type CreateOf<D> = D extends EntityDescriptor<unknown, unknown, infer C, unknown, string> ? C : never;
export type UpdateOf<D> = D extends EntityDescriptor<unknown, unknown, unknown, infer U, string> ? U : never;
export type NavigationOf<D> =
  D extends EntityDescriptor<unknown, unknown, unknown, unknown, infer N> ? N : never;

/** A descriptor written by hand: `defineEntity<Read, Key, Create, Update>({ entitySet: "…" })`. */
export function defineEntity<
  Read,
  Key = unknown,
  Create = Partial<Read>,
  Update = Partial<Read>,
  Navigation extends string = string,
>(
  descriptor: Omit<EntityDescriptor<Read, Key, Create, Update, Navigation>, "__types">,
): EntityDescriptor<Read, Key, Create, Update, Navigation> {
  return Object.freeze({ ...descriptor });
}

/** A set name, or a descriptor exported by `d365fo codegen` (typed rows and payloads). */
export type EntityRef = string | AnyEntityDescriptor;

/** Query options typed by a descriptor: `select` narrows the rows, `expand` takes its navigations. */
export type TypedQueryOptions<D extends AnyEntityDescriptor, S extends string> = QueryOptions & {
  select?: readonly S[];
  expand?: readonly NavigationOf<D>[];
};

/** The set name of a string or a descriptor. */
export function entitySetOf(entity: string | AnyEntityDescriptor): string {
  return typeof entity === "string" ? entity : entity.entitySet;
}

/** Problems of a payload against the descriptor's schema for `kind` (none without a schema). */
export function payloadProblems(
  entity: EntityRef,
  kind: "create" | "update",
  payload: unknown,
): ValidationProblem[] {
  if (typeof entity === "string") return [];
  const schema = kind === "create" ? entity.createSchema : entity.updateSchema;
  const result = schema?.safeParse(payload);
  if (!result || result.success) return [];
  return (result.error?.issues ?? [{ path: [], message: "invalid" }]).map((issue) => {
    const where = issue.path.length > 0 ? `.${issue.path.map(String).join(".")}` : "";
    return {
      kind: "invalidValue",
      message: `${entity.entitySet}${where}: ${issue.message} (generated ${kind} schema)`,
      entitySet: entity.entitySet,
      ...(issue.path.length > 0 ? { name: String(issue.path[0]) } : {}),
    };
  });
}
