/**
 * Serving the MCP server: over stdio (stdout carries only protocol; logs go to stderr), or over
 * Streamable HTTP on loopback behind a bearer key (stateless: one server per request, the
 * environments shared).
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { EnvironmentPool } from "./environments.js";
import { createMcpServer } from "./server.js";

export async function serveStdio(pool: EnvironmentPool, signal: AbortSignal): Promise<void> {
  const server = createMcpServer(pool);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once("end", () => resolve());
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await server.connect(transport);
  await closed;
  await server.close();
}

export function generateKey(): string {
  return randomBytes(24).toString("base64url");
}

function keyMatches(header: string | undefined, key: string): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? "");
  if (!match) return false;
  const given = Buffer.from(match[1]);
  const expected = Buffer.from(key);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface HttpServing {
  server: Server;
  url: string;
}

/** Listens on `host:port` (port 0: any free port); every request must carry `Authorization: Bearer <key>`. */
export async function serveHttp(
  pool: EnvironmentPool,
  options: { host: string; port: number; key: string },
): Promise<HttpServing> {
  const http = createServer((req, res) => {
    if (!keyMatches(req.headers.authorization, options.key)) {
      res.writeHead(401, { "content-type": "application/json", "www-authenticate": "Bearer" });
      res.end(JSON.stringify({ error: "missing or wrong bearer key" }));
      return;
    }
    if (new URL(req.url ?? "/", "http://localhost").pathname !== "/mcp") {
      res.writeHead(404).end();
      return;
    }
    const server = createMcpServer(pool);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    server
      .connect(transport)
      .then(() => transport.handleRequest(req, res))
      .catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port, options.host, () => resolve());
  });
  const address = http.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return { server: http, url: `http://${host}:${port}/mcp` };
}
