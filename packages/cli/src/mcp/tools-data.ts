/**
 * Tools that reach the environment: sync (progress notifications, cancellable), query_data
 * (validated against the cache, auto-paged up to a row cap), write_data (destructive, refused on
 * read-only profiles, confirmed through elicitation where the client supports it), call_action.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { EntityKey, Row } from "d365fo-client";
import { D365Error, parseFilter } from "d365fo-client";
import { z } from "zod";
import { answer, guarded, stampOf, stampShape } from "./answers.js";
import type { EnvironmentPool, OpenEnvironment } from "./environments.js";
import { environmentArg } from "./tools-metadata.js";

/** Rows a query_data answer holds at most: more would flood the model's context. */
export const MAX_QUERY_ROWS = 1000;

/** Raised when a write is refused (read-only profile, or the user declined). */
export class WriteRefusedError extends D365Error {
  constructor(message: string) {
    super("D365_WRITE_REFUSED", message);
  }
}

const keySchema = z
  .union([z.string(), z.number(), z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))])
  .describe("Key: a value for a single-field key, else {field: value} (dataAreaId included)");

export function registerDataTools(server: McpServer, pool: EnvironmentPool): void {
  server.registerTool(
    "sync",
    {
      title: "Sync metadata",
      description:
        "Downloads the environment's metadata into the cache when its module set is not cached yet (minutes on a large environment). Reports progress; cancellable. strategy 'full' re-syncs even when cached.",
      inputSchema: {
        strategy: z.enum(["ifNeeded", "full", "entitiesOnly", "labelsOnly", "reverify"]).default("ifNeeded"),
        environment: environmentArg,
      },
      outputSchema: { ...stampShape, outcome: z.string(), strategy: z.string(), durationMs: z.number() },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    (args, extra) =>
      guarded(async () => {
        const env = await pool.open(args.environment);
        const token = extra._meta?.progressToken;
        let sent = 0;
        const onProgress =
          token === undefined
            ? undefined
            : (event: { step: string; done: number; total: number | null }) => {
                // A cancelled request's token is gone on the client side: stay quiet.
                if (extra.signal.aborted) return;
                sent++;
                void extra
                  .sendNotification({
                    method: "notifications/progress",
                    params: {
                      progressToken: token,
                      progress: sent,
                      message: `${event.step}: ${event.done}${event.total ? `/${event.total}` : ""}`,
                    },
                  })
                  .catch(() => {});
              };
        const started = Date.now();
        const options = { signal: extra.signal, onProgress };
        const result =
          args.strategy === "ifNeeded"
            ? await env.connection.cache.syncIfNeeded(options)
            : await env.connection.cache.sync({ ...options, strategy: args.strategy });
        await env.connection.cache.refreshServingVersion();
        return answer({
          ...(await stampOf(env)),
          outcome: String(result.outcome),
          strategy: String(result.strategy),
          durationMs: Date.now() - started,
        });
      }),
  );

  server.registerTool(
    "query_data",
    {
      title: "Query entity rows",
      description: `Reads rows of an entity set with OData options, checked against the cached metadata before anything is sent (a wrong field or value type is explained, with "did you mean"). Pages are followed up to 'limit' rows (at most ${MAX_QUERY_ROWS}); always pass 'select' with the fields you need. filter uses OData syntax: CustomerGroupId eq '10' and CreditLimit gt 1000.`,
      inputSchema: {
        entitySet: z.string().min(1).max(200),
        select: z.array(z.string().min(1).max(200)).max(200).optional(),
        filter: z.string().max(4000).optional(),
        orderBy: z
          .array(z.string().min(1).max(200))
          .max(20)
          .optional()
          .describe("Fields; suffix ' desc' to reverse"),
        expand: z.array(z.string().min(1).max(200)).max(10).optional(),
        limit: z.number().int().min(1).max(MAX_QUERY_ROWS).default(50),
        crossCompany: z.boolean().optional(),
        company: z.string().max(10).optional().describe("dataAreaId, e.g. usmf"),
        environment: environmentArg,
      },
      outputSchema: {
        ...stampShape,
        entitySet: z.string(),
        rows: z.array(z.record(z.string(), z.unknown())),
        truncated: z.boolean().describe("More rows matched than 'limit'"),
      },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    (args, extra) =>
      guarded(async () => {
        const env = await pool.open(args.environment);
        const rows: Row[] = [];
        let truncated = false;
        const orderBy = args.orderBy?.map((item) => {
          const [field, direction] = item.trim().split(/\s+/);
          return { field: field ?? item, descending: direction?.toLowerCase() === "desc" };
        });
        for await (const row of env.connection.query(args.entitySet, {
          select: args.select,
          filter: args.filter === undefined ? undefined : parseFilter(args.filter),
          orderBy,
          expand: args.expand,
          top: args.limit + 1,
          crossCompany: args.crossCompany,
          company: args.company,
          signal: extra.signal,
        })) {
          if (rows.length === args.limit) {
            truncated = true;
            break;
          }
          rows.push(row);
        }
        return answer({ ...(await stampOf(env)), entitySet: args.entitySet, rows, truncated });
      }),
  );

  server.registerTool(
    "write_data",
    {
      title: "Create, update or delete a row",
      description:
        "Changes data in the environment: create (row), update (key + row with only the changed fields) or delete (key). Checked against the cached metadata first. Refused on read-only profiles (production by default); the user is asked to confirm when the client supports it.",
      inputSchema: {
        operation: z.enum(["create", "update", "delete"]),
        entitySet: z.string().min(1).max(200),
        key: keySchema.optional(),
        row: z.record(z.string(), z.unknown()).optional(),
        environment: environmentArg,
      },
      outputSchema: { ...stampShape, operation: z.string(), status: z.number().optional(), row: z.unknown() },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    (args) =>
      guarded(async () => {
        const env = await pool.open(args.environment);
        refuseReadOnly(env);
        if (args.operation !== "create" && args.key === undefined)
          throw new WriteRefusedError(`${args.operation} needs 'key'`);
        if (args.operation !== "delete" && args.row === undefined)
          throw new WriteRefusedError(`${args.operation} needs 'row'`);
        await confirm(
          server,
          `${args.operation} on ${args.entitySet} in ${env.name}${args.key === undefined ? "" : ` key ${JSON.stringify(args.key)}`}`,
        );
        const key = args.key as EntityKey;
        const stamp = await stampOf(env);
        if (args.operation === "create") {
          const created = await env.connection.create(args.entitySet, args.row as Row);
          return answer({ ...stamp, operation: "create", row: created });
        }
        const result =
          args.operation === "update"
            ? await env.connection.update(args.entitySet, key, args.row as Row)
            : await env.connection.delete(args.entitySet, key);
        return answer({ ...stamp, operation: args.operation, status: result.status });
      }),
  );

  server.registerTool(
    "call_action",
    {
      title: "Call an OData action",
      description:
        "Calls an entity's action (see describe_entity's actions): bound to the set, or to one row when 'key' is given. Actions may change data, so they are refused on read-only profiles.",
      inputSchema: {
        entitySet: z.string().min(1).max(200),
        action: z.string().min(1).max(200),
        key: keySchema.optional(),
        parameters: z.record(z.string(), z.unknown()).default({}),
        environment: environmentArg,
      },
      outputSchema: { ...stampShape, result: z.unknown() },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    (args, extra) =>
      guarded(async () => {
        const env = await pool.open(args.environment);
        refuseReadOnly(env);
        const target =
          args.key === undefined ? args.entitySet : { entitySet: args.entitySet, key: args.key as EntityKey };
        const result = await env.connection.callAction(target, args.action, args.parameters, {
          signal: extra.signal,
        });
        return answer({ ...(await stampOf(env)), result: result ?? null });
      }),
  );
}

function refuseReadOnly(env: OpenEnvironment): void {
  if (env.settings.readOnly) {
    throw new WriteRefusedError(
      `Environment ${env.name} is read-only (profile flag, or a production URL); writes and actions are refused`,
    );
  }
}

/** Asks the user through elicitation when the client supports it; declining refuses the write. */
async function confirm(server: McpServer, what: string): Promise<void> {
  const capabilities = server.server.getClientCapabilities();
  if (!capabilities?.elicitation) return;
  const reply = await server.server.elicitInput({
    message: `Allow ${what}?`,
    requestedSchema: {
      type: "object",
      properties: { confirm: { type: "boolean", title: "Allow this change" } },
      required: ["confirm"],
    },
  });
  if (reply.action !== "accept" || reply.content?.confirm !== true) {
    throw new WriteRefusedError(`The user did not allow ${what}`);
  }
}
