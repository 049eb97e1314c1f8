/**
 * The `codegen` tool: TypeScript types, zod schemas and typed descriptors for named public
 * entities, generated from the cached metadata of the environment's current version (as
 * `d365fo codegen`, but returned instead of written). Read-only, local, bounded.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { generateCode, NotFoundError, ValidationError } from "d365fo-client";
import { z } from "zod";
import { answer, guarded, stampShape } from "./answers.js";
import type { EnvironmentPool } from "./environments.js";
import { environmentArg, READ_ONLY, suggest } from "./tools-metadata.js";

/** Entities one `codegen` call generates at most. */
export const MAX_CODEGEN_ENTITIES = 20;

/** Characters of file content one answer holds at most: more would flood the model's context. */
export const MAX_CODEGEN_CHARS = 300_000;

export function registerCodegenTools(server: McpServer, pool: EnvironmentPool): void {
  server.registerTool(
    "codegen",
    {
      title: "Generate TypeScript for entities",
      description: `TypeScript types (read, key, create, update, navigation), zod schemas and a typed descriptor for the data client, per named public entity, from the environment's cached metadata (as 'd365fo codegen'). Returns each file's path and content (entity files, enums.ts, common.ts, index.ts, the d365fo-codegen.json manifest) and the modules hash they were generated from. At most ${MAX_CODEGEN_ENTITIES} entities per call; for more, or for every entity, use the CLI: d365fo codegen --out <dir>.`,
      inputSchema: {
        entities: z
          .array(z.string().min(1).max(200))
          .min(1)
          .max(MAX_CODEGEN_ENTITIES)
          .describe("Entity names or entity set names, e.g. ['CustomersV3', 'SalesOrderHeaderV2']"),
        language: z.string().max(20).optional().describe("Language of the JSDoc label texts, e.g. en-US"),
        clientModule: z
          .string()
          .min(1)
          .max(200)
          .optional()
          .describe("Where the files import the EntityDescriptor type from (default d365fo-client)"),
        environment: environmentArg,
      },
      outputSchema: {
        ...stampShape,
        modulesHash: z.string().describe("The module-set hash stamped in every file's header"),
        language: z.string(),
        entities: z.array(
          z.object({ name: z.string(), entitySet: z.string(), typeName: z.string(), file: z.string() }),
        ),
        files: z.array(z.object({ path: z.string(), content: z.string() })),
        chars: z.number().describe("Characters of file content in this answer"),
      },
      annotations: READ_ONLY,
    },
    (args) =>
      guarded(async () => {
        const env = await pool.open(args.environment);
        const cache = env.connection.cache;
        const names = [...new Set(args.entities.map((n) => n.trim()).filter((n) => n !== ""))];
        if (names.length === 0) throw new ValidationError("entities", "entities: name at least one entity");
        const missing: string[] = [];
        for (const name of names) if (!(await cache.getPublicEntity(name))) missing.push(name);
        if (missing.length > 0) throw await unknownEntities(pool, args.environment, missing);
        const code = await generateCode(cache, {
          entities: names,
          ...(args.language ? { language: args.language } : {}),
          ...(args.clientModule ? { clientModule: args.clientModule } : {}),
        });
        const chars = code.files.reduce((sum, f) => sum + f.content.length, 0);
        if (chars > MAX_CODEGEN_CHARS) {
          const sizes = code.files
            .filter((f) => f.path.endsWith(".ts"))
            .map((f) => `${f.path} ${f.content.length}`)
            .join(", ");
          throw new ValidationError(
            "entities",
            `The generated code is ${chars} characters, over this tool's limit of ${MAX_CODEGEN_CHARS} (${sizes}); ask for fewer entities per call, or write them to disk with 'd365fo codegen ${names.join(" ")} --out <dir>'`,
          );
        }
        const { manifest } = code;
        return answer({
          environment: env.name,
          versionHash: manifest.modulesHash,
          modulesHash: manifest.modulesHash,
          language: manifest.language,
          entities: Object.entries(manifest.entities).map(([name, e]) => ({
            name,
            entitySet: e.entitySet,
            typeName: e.typeName,
            file: e.file,
          })),
          files: code.files.map((f) => ({ path: f.path, content: f.content })),
          chars,
        });
      }),
  );
}

async function unknownEntities(
  pool: EnvironmentPool,
  environment: string | undefined,
  missing: string[],
): Promise<NotFoundError> {
  const parts: string[] = [];
  for (const name of missing) {
    const suggestions = await suggest(pool, environment, name, "publicEntity");
    parts.push(
      `${JSON.stringify(name)}${suggestions.length ? ` (did you mean ${suggestions.join(", ")}?)` : ""}`,
    );
  }
  return new NotFoundError(
    `No public entity ${parts.join(", ")} in this environment's metadata; use search to find entity names`,
  );
}
