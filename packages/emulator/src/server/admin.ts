/**
 * The admin listener (`/_emulator/...`, loopback only, no auth): environments, counters, knobs and
 * in-place upgrades, as JSON. For tests and benchmarks in other processes (the CLI emulator).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "d365fo-client";
import { ConfigurationError, isD365Error } from "d365fo-client";
import type { EmulatorEnvironment } from "../api.js";
import { parseDataOptions, parseKnobsPatch } from "./knobs.js";

const MAX_BODY = 64 * 1024;

export class AdminServer {
  private server?: Server;
  private origin = "";

  constructor(
    private readonly environments: () => readonly EmulatorEnvironment[],
    private readonly logger: Logger,
  ) {}

  /** `http://127.0.0.1:<port>/_emulator`. */
  get url(): string {
    return `${this.origin}/_emulator`;
  }

  async start(host: string, port: number): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (isD365Error(error)) return json(res, 400, { error: error.message });
        this.logger.error({ err: error }, "admin request failed");
        json(res, 500, { error: "internal error" });
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
    this.origin = `http://${host}:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", this.origin).pathname.replace(/\/+$/, "");
    const method = req.method ?? "GET";
    const segments = path.split("/").filter((s) => s !== "");
    if (segments[0] !== "_emulator" || segments[1] !== "environments") {
      return json(res, 404, { error: `unknown admin route ${path}` });
    }
    if (segments.length === 2) {
      if (method !== "GET") return json(res, 405, { error: "GET only" });
      return json(
        res,
        200,
        this.environments().map((env) => ({
          name: env.name,
          baseUrl: env.baseUrl,
          release: env.release.id,
          upgradeStep: env.release.upgradeStep,
        })),
      );
    }
    const name = decodeURIComponent(segments[2]);
    const env = this.environments().find((e) => e.name === name);
    if (!env) return json(res, 404, { error: `unknown environment '${name}'` });
    const action = segments.slice(3).join("/");
    switch (`${method} ${action}`) {
      case "GET ":
        return json(res, 200, {
          name: env.name,
          baseUrl: env.baseUrl,
          release: env.release.id,
          upgradeStep: env.release.upgradeStep,
          knobs: env.knobs(),
          counters: env.counters(),
        });
      case "GET counters":
        return json(res, 200, env.counters());
      case "POST counters/reset":
        env.resetCounters();
        return json(res, 200, env.counters());
      case "GET knobs":
        return json(res, 200, env.knobs());
      case "PATCH knobs": {
        const patch = parseKnobsPatch(await readJson(req));
        env.setKnobs(patch);
        return json(res, 200, env.knobs());
      }
      case "POST data/reset": {
        env.resetData(parseDataOptions(await readJson(req)));
        return json(res, 200, { name: env.name, reset: true });
      }
      case "POST release": {
        const body = (await readJson(req)) as { upgradeStep?: unknown } | null;
        const step = body?.upgradeStep;
        if (typeof step !== "number" || !Number.isInteger(step) || step < 0) {
          return json(res, 400, { error: 'body must be {"upgradeStep": <non-negative integer>}' });
        }
        await env.setRelease(step);
        return json(res, 200, {
          name: env.name,
          release: env.release.id,
          upgradeStep: env.release.upgradeStep,
        });
      }
      default:
        return json(res, 404, { error: `unknown admin route ${method} ${path}` });
    }
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": data.length });
  res.end(data);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ConfigurationError("admin request body too large");
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(`request body is not JSON: ${(error as Error).message}`);
  }
}
