/** `d365fo mcp`'s place in the command tree. */
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { parseNonNegativeInt } from "../program.js";

type Handler = (ctx: CliContext, ...args: never[]) => Promise<number | undefined>;
type Run = (load: () => Promise<Handler>) => (...args: unknown[]) => Promise<void>;

export function registerMcpCommand(program: Command, run: Run): void {
  program
    .command("mcp")
    .description("serve the cache and the data client to AI assistants (MCP) over stdio, or --http")
    .option("--http", "Streamable HTTP instead of stdio (bearer key required)")
    .option("--port <n>", "HTTP port (default 8765; 0: any free port)", parseNonNegativeInt)
    .option("--host <host>", "HTTP address (default 127.0.0.1, loopback only)")
    .option("--key <key>", "bearer key (env D365FO_MCP_KEY; default: generated and printed to stderr)")
    .action(run(async () => (await import("./mcp.js")).mcpCommand));
}
