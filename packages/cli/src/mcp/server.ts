/**
 * The MCP server: tools over the metadata cache and the data client, and resource templates
 * (`d365fo://{profile}/entities/{name}`, `…/enumerations/{name}`, `…/labels/{id}`) with argument
 * completion from the profiles and the cache.
 */
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { EnumerationView } from "d365fo-client";
import { NotFoundError } from "d365fo-client";
import { cliVersion } from "../cli/program.js";
import { stampOf } from "./answers.js";
import { compactEntity, enumTypeOf } from "./entity-slice.js";
import type { EnvironmentPool } from "./environments.js";
import { registerCodegenTools } from "./tools-codegen.js";
import { registerDataTools } from "./tools-data.js";
import { registerMetadataTools } from "./tools-metadata.js";

const COMPLETION_LIMIT = 20;

export function createMcpServer(pool: EnvironmentPool): McpServer {
  const server = new McpServer(
    { name: "d365fo", version: cliVersion() },
    {
      instructions:
        "Dynamics 365 F&O metadata (from a local cache) and data. Start with search, then describe_entity; query_data checks a query before it is sent. codegen returns TypeScript types and zod schemas for named entities. Every answer names its environment and modules hash: do not mix answers from different hashes.",
    },
  );
  registerMetadataTools(server, pool);
  registerDataTools(server, pool);
  registerCodegenTools(server, pool);
  registerResources(server, pool);
  return server;
}

function one(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value) ?? "";
}

async function namesLike(
  pool: EnvironmentPool,
  profile: string | undefined,
  prefix: string,
  kind: "publicEntity" | "enumeration",
): Promise<string[]> {
  if (prefix.trim() === "") return [];
  try {
    const env = await pool.open(profile || undefined);
    const page = await env.connection.cache.searchEntities(prefix, {
      kinds: [kind],
      limit: COMPLETION_LIMIT,
    });
    return [...new Set(page.hits.map((h) => h.name))];
  } catch {
    return [];
  }
}

function registerResources(server: McpServer, pool: EnvironmentPool): void {
  const profileCompletion = (value: string) => pool.names().filter((n) => n.startsWith(value));
  const json = (uri: URL, body: unknown) => ({
    contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(body) }],
  });

  server.registerResource(
    "entity",
    new ResourceTemplate("d365fo://{profile}/entities/{name}", {
      list: undefined,
      complete: {
        profile: profileCompletion,
        name: (value, context) => namesLike(pool, context?.arguments?.profile, value, "publicEntity"),
      },
    }),
    { title: "Public entity (compact schema)", mimeType: "application/json" },
    async (uri, variables) => {
      const env = await pool.open(one(variables.profile));
      const cache = env.connection.cache;
      const view = await cache.getPublicEntity(decodeURIComponent(one(variables.name)));
      if (!view) throw new NotFoundError(`No entity ${one(variables.name)} in ${env.name}`);
      const enums = new Map<string, EnumerationView>();
      for (const p of view.properties) {
        const name = enumTypeOf(p.typeName, p.dataType);
        const e = name && !enums.has(name) ? await cache.getEnumeration(name) : undefined;
        if (name && e) enums.set(name, e);
      }
      return json(uri, { ...(await stampOf(env)), entity: compactEntity(view, enums) });
    },
  );

  server.registerResource(
    "enumeration",
    new ResourceTemplate("d365fo://{profile}/enumerations/{name}", {
      list: undefined,
      complete: {
        profile: profileCompletion,
        name: (value, context) => namesLike(pool, context?.arguments?.profile, value, "enumeration"),
      },
    }),
    { title: "Enumeration", mimeType: "application/json" },
    async (uri, variables) => {
      const env = await pool.open(one(variables.profile));
      const view = await env.connection.cache.getEnumeration(decodeURIComponent(one(variables.name)));
      if (!view) throw new NotFoundError(`No enumeration ${one(variables.name)} in ${env.name}`);
      return json(uri, { ...(await stampOf(env)), enumeration: view });
    },
  );

  server.registerResource(
    "label",
    new ResourceTemplate("d365fo://{profile}/labels/{id}", {
      list: undefined,
      complete: { profile: profileCompletion },
    }),
    { title: "Label text", mimeType: "application/json" },
    async (uri, variables) => {
      const env = await pool.open(one(variables.profile));
      const id = decodeURIComponent(one(variables.id));
      const text = await env.connection.cache.getLabel(id);
      if (text === undefined) throw new NotFoundError(`No label ${id} in ${env.name}`);
      return json(uri, { ...(await stampOf(env)), id, text });
    },
  );

  // One listable resource per environment: its version, so a client can show what it talks to.
  for (const name of safeNames(pool)) {
    server.registerResource(
      `environment-${name}`,
      `d365fo://${encodeURIComponent(name)}/environment`,
      { title: `Environment ${name}`, mimeType: "application/json" },
      async (uri) => {
        const env = await pool.open(name);
        return json(uri, {
          ...(await stampOf(env)),
          baseUrl: env.settings.baseUrl,
          readOnly: env.settings.readOnly === true,
        });
      },
    );
  }
}

function safeNames(pool: EnvironmentPool): string[] {
  try {
    return pool.names();
  } catch {
    return [];
  }
}
