/**
 * Read-only tools answered from the local metadata cache: search, describe_entity,
 * get_enumeration, get_labels, environment, compare.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { EnumerationView } from "d365fo-client";
import { NotFoundError } from "d365fo-client";
import { z } from "zod";
import { answer, guarded, stampOf, stampShape } from "./answers.js";
import { compactEntity, enumTypeOf } from "./entity-slice.js";
import type { EnvironmentPool } from "./environments.js";

const SEARCH_KINDS = [
  "dataEntity",
  "publicEntity",
  "property",
  "enumeration",
  "enumMember",
  "action",
  "label",
] as const;

export const READ_ONLY = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};

export const environmentArg = z
  .string()
  .max(200)
  .optional()
  .describe("Profile name; default: the server's environment");

export function registerMetadataTools(server: McpServer, pool: EnvironmentPool): void {
  server.registerTool(
    "search",
    {
      title: "Search metadata",
      description:
        "Ranked search over entities, properties, enumerations, actions and labels in one call. Pass the user's words as they are (exact names, prefixes, label words and typos all match); each hit says why it matched. Use describe_entity on an entity hit next.",
      inputSchema: {
        text: z.string().min(1).max(500).describe("What to look for, e.g. 'customer credit limit'"),
        kinds: z.array(z.enum(SEARCH_KINDS)).max(7).optional().describe("Only these kinds of hits"),
        category: z.string().max(100).optional().describe("Entity category, e.g. Master, Transaction"),
        limit: z.number().int().min(1).max(100).default(20),
        offset: z.number().int().min(0).max(10_000).default(0),
        environment: environmentArg,
      },
      outputSchema: {
        ...stampShape,
        total: z.number(),
        hits: z.array(
          z.object({
            kind: z.string(),
            name: z.string(),
            member: z.string().optional(),
            label: z.string().nullable(),
            why: z.string(),
          }),
        ),
      },
      annotations: READ_ONLY,
    },
    (args) =>
      guarded(async () => {
        const env = await pool.open(args.environment);
        const page = await env.connection.cache.searchEntities(args.text, {
          kinds: args.kinds,
          entityCategory: args.category,
          limit: args.limit,
          offset: args.offset,
        });
        return answer({
          environment: env.name,
          versionHash: (await stampOf(env)).versionHash,
          total: page.total,
          hits: page.hits.map((hit) => ({
            kind: hit.kind,
            name: hit.name,
            ...(hit.memberName !== undefined ? { member: hit.memberName } : {}),
            label: hit.labelText ?? null,
            why: `${hit.reason} on ${hit.matchedField}: ${hit.matchedText}`,
          })),
        });
      }),
  );

  server.registerTool(
    "describe_entity",
    {
      title: "Describe an entity",
      description:
        "A public entity's schema for writing queries and payloads: keys, mandatory fields, fields settable only on create, read-only fields, each field's type (enum types with their members), navigation targets and actions. Compact by default; detail='full' adds labels and every flag.",
      inputSchema: {
        name: z.string().min(1).max(200).describe("Entity name or entity set name, e.g. CustomersV3"),
        detail: z.enum(["compact", "full"]).default("compact"),
        language: z.string().max(20).optional().describe("Label language, e.g. en-US"),
        environment: environmentArg,
      },
      outputSchema: { ...stampShape, entity: z.record(z.string(), z.unknown()) },
      annotations: READ_ONLY,
    },
    (args) =>
      guarded(async () => {
        const env = await pool.open(args.environment);
        const cache = env.connection.cache;
        const view = await cache.getPublicEntity(args.name, { language: args.language });
        if (!view)
          throw notFound(
            "entity",
            args.name,
            await suggest(pool, args.environment, args.name, "publicEntity"),
          );
        const stamp = await stampOf(env);
        if (args.detail === "full") return answer({ ...stamp, entity: { ...view } });
        const enums = new Map<string, EnumerationView>();
        for (const p of view.properties) {
          const enumName = enumTypeOf(p.typeName, p.dataType);
          if (enumName && !enums.has(enumName)) {
            const e = await cache.getEnumeration(enumName, { language: args.language });
            if (e) enums.set(enumName, e);
          }
        }
        return answer({ ...stamp, entity: { ...compactEntity(view, enums) } });
      }),
  );

  server.registerTool(
    "get_enumeration",
    {
      title: "Get an enumeration",
      description: "An enumeration's members (name, value, label). Filter values use the member name.",
      inputSchema: {
        name: z.string().min(1).max(200),
        language: z.string().max(20).optional(),
        environment: environmentArg,
      },
      outputSchema: {
        ...stampShape,
        name: z.string(),
        label: z.string().nullable(),
        members: z.array(z.object({ name: z.string(), value: z.number(), label: z.string().nullable() })),
      },
      annotations: READ_ONLY,
    },
    (args) =>
      guarded(async () => {
        const env = await pool.open(args.environment);
        const view = await env.connection.cache.getEnumeration(args.name, { language: args.language });
        if (!view)
          throw notFound(
            "enumeration",
            args.name,
            await suggest(pool, args.environment, args.name, "enumeration"),
          );
        return answer({
          ...(await stampOf(env)),
          name: view.name,
          label: view.labelText,
          members: view.members.map((m) => ({ name: m.name, value: m.value, label: m.labelText })),
        });
      }),
  );

  server.registerTool(
    "get_labels",
    {
      title: "Get label texts",
      description:
        "Texts of many label ids at once (e.g. @SYS12345) in any language. Unknown ids are listed as missing.",
      inputSchema: {
        ids: z.array(z.string().min(1).max(200)).min(1).max(500),
        language: z.string().max(20).optional(),
        environment: environmentArg,
      },
      outputSchema: { ...stampShape, labels: z.record(z.string(), z.string()), missing: z.array(z.string()) },
      annotations: { ...READ_ONLY, openWorldHint: true },
    },
    (args) =>
      guarded(async () => {
        const env = await pool.open(args.environment);
        const texts = await env.connection.cache.getLabels(args.ids, args.language);
        return answer({
          ...(await stampOf(env)),
          labels: Object.fromEntries(texts),
          missing: args.ids.filter((id) => !texts.has(id)),
        });
      }),
  );

  server.registerTool(
    "environment",
    {
      title: "Environment version and cache state",
      description:
        "The environment's version (modules hash, application and platform versions), whether its metadata is synced, the profile's read-only flag, and cache statistics. refresh=true asks the environment instead of the cache.",
      inputSchema: { refresh: z.boolean().default(false), environment: environmentArg },
      outputSchema: {
        ...stampShape,
        baseUrl: z.string(),
        readOnly: z.boolean(),
        synced: z.boolean(),
        applicationVersion: z.string().nullable(),
        platformVersion: z.string().nullable(),
        modules: z.number(),
        statistics: z.record(z.string(), z.unknown()),
      },
      annotations: { ...READ_ONLY, openWorldHint: true },
    },
    (args) =>
      guarded(async () => {
        const env = await pool.open(args.environment);
        const cache = env.connection.cache;
        const info = await cache.getEnvironmentVersion({ useCache: !args.refresh });
        let synced = true;
        try {
          await cache.searchEntities("a", { limit: 1 });
        } catch {
          synced = false;
        }
        const statistics = JSON.parse(JSON.stringify(await cache.getStatistics())) as Record<string, unknown>;
        return answer({
          environment: env.name,
          versionHash: info.modulesHash,
          baseUrl: env.settings.baseUrl,
          readOnly: env.settings.readOnly === true,
          synced,
          applicationVersion: info.applicationVersion ?? null,
          platformVersion: info.platformVersion ?? null,
          modules: info.modules.length,
          statistics,
        });
      }),
  );

  server.registerTool(
    "compare",
    {
      title: "Compare two environments",
      description:
        "Compares two synced environments (profiles) at module level (added, removed, changed versions) and public-entity level.",
      inputSchema: { a: z.string().min(1).max(200), b: z.string().min(1).max(200) },
      outputSchema: {
        environment: z.string(),
        versionHash: z.string().nullable(),
        comparison: z.record(z.string(), z.unknown()),
      },
      annotations: READ_ONLY,
    },
    (args) =>
      guarded(async () => {
        const a = await pool.open(args.a);
        const b = pool.settingsFor(args.b);
        const comparison = await a.connection.cache.compareEnvironments(a.settings.baseUrl, b.baseUrl);
        return answer({
          environment: `${a.name} vs ${args.b}`,
          versionHash: (await stampOf(a)).versionHash,
          comparison: JSON.parse(JSON.stringify(comparison)) as Record<string, unknown>,
        });
      }),
  );
}

export async function suggest(
  pool: EnvironmentPool,
  environment: string | undefined,
  name: string,
  kind: "publicEntity" | "enumeration",
): Promise<string[]> {
  try {
    const env = await pool.open(environment);
    const page = await env.connection.cache.searchEntities(name, { kinds: [kind], limit: 5 });
    return [...new Set(page.hits.map((h) => h.name))];
  } catch {
    return [];
  }
}

export function notFound(what: string, name: string, suggestions: string[]): NotFoundError {
  const hint = suggestions.length ? `; did you mean ${suggestions.join(", ")}?` : "; use search to find it";
  return new NotFoundError(`No ${what} named ${JSON.stringify(name)} in this environment's metadata${hint}`);
}
