/**
 * `d365fo mcp [--http [--port <n>] [--host <h>] [--key <k>]]`: the MCP server over stdio, or over
 * Streamable HTTP on loopback behind a bearer key (generated and printed to stderr unless given
 * or set in D365FO_MCP_KEY). Nothing but protocol is written to stdout.
 */
import type { CliContext } from "../context.js";
import { UsageError } from "../errors.js";

export interface McpCommandOptions {
  http?: boolean;
  port?: number;
  host?: string;
  key?: string;
}

export async function mcpCommand(ctx: CliContext, options: McpCommandOptions): Promise<number> {
  const { EnvironmentPool } = await import("../../mcp/environments.js");
  const transports = await import("../../mcp/transports.js");
  const pool = new EnvironmentPool(ctx.globals, ctx.env, ctx.logger);
  try {
    if (!options.http) {
      await transports.serveStdio(pool, ctx.signal);
      return 0;
    }
    const key = options.key ?? ctx.env.D365FO_MCP_KEY ?? transports.generateKey();
    if (key.length < 16) throw new UsageError("The bearer key must have at least 16 characters");
    const serving = await transports.serveHttp(pool, {
      host: options.host ?? "127.0.0.1",
      port: options.port ?? 8765,
      key,
    });
    ctx.streams.stderr.write(`d365fo mcp: listening on ${serving.url}\n`);
    if (!options.key && !ctx.env.D365FO_MCP_KEY) {
      // Printed (to stderr) once, so the user can configure the client; never logged.
      ctx.streams.stderr.write(`d365fo mcp: bearer key ${key}\n`);
    }
    // From here on the key is masked in anything the CLI writes.
    ctx.redactor.add(key);
    await new Promise<void>((resolve) =>
      ctx.signal.addEventListener("abort", () => resolve(), { once: true }),
    );
    await new Promise<void>((resolve) => serving.server.close(() => resolve()));
    return 0;
  } finally {
    await pool.close();
  }
}
