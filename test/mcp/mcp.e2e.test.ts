/**
 * `d365fo mcp` end to end: the real bin spawned over stdio, and over HTTP, driven by the SDK's
 * own Client against the emulator (profiles "dev", writable, and "prod", flagged read-only).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../packages/client/src/logging.js";
import type { RunningEmulator } from "../../packages/emulator/src/index.js";
import { startEmulator } from "../../packages/emulator/src/index.js";
import { assertBuilt, BIN, cleanEnv } from "../cli/spawn.js";
import { MCP_TOOL_NAMES } from "./tool-names.js";

let emulator: RunningEmulator;
let dir: string;
let env: Record<string, string>;
let client: Client;
const transportErrors: Error[] = [];
let stderr = "";

type Structured = Record<string, unknown>;

async function call(name: string, args: Record<string, unknown>): Promise<Structured> {
  const result = await client.callTool({ name, arguments: args });
  expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
  return result.structuredContent as Structured;
}

async function callError(name: string, args: Record<string, unknown>): Promise<string> {
  const result = await client.callTool({ name, arguments: args });
  expect(result.isError).toBe(true);
  return (result.content as { text: string }[])[0].text;
}

beforeAll(async () => {
  assertBuilt();
  emulator = await startEmulator({
    preset: "tiny",
    environments: [
      { name: "dev", release: 0 },
      { name: "uat", release: 1 },
    ],
    logger: silentLogger,
  });
  dir = mkdtempSync(join(tmpdir(), "d365fo-mcp-"));
  const { tenantId, clientId, clientSecret } = emulator.credentials;
  const profile = (baseUrl: string) => ({
    baseUrl,
    tenantId,
    clientId,
    clientSecret,
    authorityHost: emulator.authorityHost,
  });
  mkdirSync(join(dir, "config"), { recursive: true });
  writeFileSync(
    join(dir, "config", "profiles.json"),
    JSON.stringify({
      version: 1,
      profiles: {
        dev: { ...profile(emulator.environment("dev").baseUrl), default: true },
        prod: { ...profile(emulator.environment("uat").baseUrl), readOnly: true },
      },
    }),
    { mode: 0o600 },
  );
  env = cleanEnv({
    HOME: dir,
    D365FO_CONFIG_DIR: join(dir, "config"),
    D365FO_CACHE_DIR: join(dir, "cache"),
    NODE_EXTRA_CA_CERTS: emulator.caCertificatePath,
  }) as Record<string, string>;
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, "mcp"],
    env,
    stderr: "pipe",
  });
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  client = new Client({ name: "mcp-e2e", version: "1.0.0" });
  // A line on stdout that is not a JSON-RPC message surfaces here.
  client.onerror = (error) => transportErrors.push(error);
  await client.connect(transport);
}, 60_000);

afterAll(async () => {
  await client?.close();
  await emulator?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("d365fo mcp over stdio", () => {
  it("lists about ten tools, each with an input schema, an output schema and annotations", async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name).sort();
    expect(names).toEqual([...MCP_TOOL_NAMES].sort());
    for (const tool of tools) {
      expect(tool.outputSchema, tool.name).toBeDefined();
      expect(tool.annotations?.readOnlyHint, tool.name).toBeTypeOf("boolean");
    }
    expect(tools.find((t) => t.name === "write_data")?.annotations?.destructiveHint).toBe(true);
    expect(tools.find((t) => t.name === "codegen")?.annotations).toMatchObject({
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: false,
    });
  });

  it("an unsynced environment is a tool error, not a crash", async () => {
    const text = await callError("search", { text: "customer" });
    expect(text).toContain("D365_NOT_SYNCED");
  });

  it("sync reports progress notifications and names the environment and its hash", async () => {
    const progress: string[] = [];
    const result = await client.callTool({ name: "sync", arguments: {} }, undefined, {
      onprogress: (p) => progress.push(p.message ?? ""),
      timeout: 120_000,
    });
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    const content = result.structuredContent as Structured;
    expect(content.environment).toBe("dev");
    expect(content.versionHash).toMatch(/^[0-9a-f]{64}$/);
    expect(progress.length).toBeGreaterThan(0);
  }, 120_000);

  it("cancelling a sync rejects the call and the server keeps answering", async () => {
    const controller = new AbortController();
    const pending = client.callTool({ name: "sync", arguments: { environment: "prod" } }, undefined, {
      signal: controller.signal,
      onprogress: () => controller.abort("enough"),
      timeout: 120_000,
    });
    await expect(pending).rejects.toThrow();
    const env = await call("environment", {});
    expect(env.environment).toBe("dev");
  }, 120_000);

  it("search, describe_entity (compact and full), get_enumeration and get_labels answer from the cache", async () => {
    const search = await call("search", { text: "customer", kinds: ["publicEntity"], limit: 5 });
    const hits = search.hits as { name: string; why: string }[];
    expect(hits.length).toBeGreaterThan(0);
    expect(hits[0].why).not.toBe("");
    const compact = await call("describe_entity", { name: hits[0].name });
    const entity = compact.entity as {
      keys: string[];
      fields: Record<string, string>;
      enums: Record<string, string[]>;
    };
    expect(entity.keys.length).toBeGreaterThan(0);
    expect(compact.versionHash).toBe(search.versionHash);
    const full = await call("describe_entity", { name: hits[0].name, detail: "full" });
    expect(JSON.stringify(full).length).toBeGreaterThan(JSON.stringify(compact).length);
    const enumName = Object.keys(entity.enums)[0] ?? "NoYes";
    const enumeration = await call("get_enumeration", { name: enumName });
    expect((enumeration.members as unknown[]).length).toBeGreaterThan(0);
    const labels = await call("get_labels", { ids: ["@NoSuchLabel999999"] });
    expect(labels.missing).toEqual(["@NoSuchLabel999999"]);
  });

  it("bad input is a tool error the model can act on", async () => {
    expect(await callError("describe_entity", { name: "NoSuchEntityAnywhere" })).toContain("D365_NOT_FOUND");
    expect(await callError("search", { text: "x", limit: 1_000_000 })).toMatch(/limit|too_big|100/i);
    expect(await callError("query_data", { entitySet: "NoSuchEntityAnywhere" })).toMatch(/D365_/);
  });

  it("codegen returns the entities' code stamped with the modules hash; unknown names are tool errors", async () => {
    const search = await call("search", { text: "customer", kinds: ["publicEntity"], limit: 5 });
    const names = [...new Set((search.hits as { name: string }[]).map((h) => h.name))].slice(0, 2);
    const described = (await call("describe_entity", { name: names[0] })).entity as {
      name: string;
      entitySetName: string;
    };
    const { versionHash } = await call("environment", {});
    // By entity set name and by entity name, in one call.
    const result = await call("codegen", { entities: [described.entitySetName, ...names.slice(1)] });
    expect(result.environment).toBe("dev");
    expect(result.modulesHash).toBe(versionHash);
    expect(result.versionHash).toBe(versionHash);
    const files = result.files as { path: string; content: string }[];
    const entities = result.entities as { name: string; typeName: string; file: string }[];
    expect(entities.map((e) => e.name)).toContain(described.name);
    expect(files.map((f) => f.path)).toEqual(
      expect.arrayContaining(["index.ts", "common.ts", "enums.ts", "d365fo-codegen.json"]),
    );
    for (const entity of entities) {
      const file = files.find((f) => f.path === entity.file);
      expect(file?.content, entity.file).toContain(`export type ${entity.typeName} =`);
      expect(file?.content).toContain(`// modules hash: ${versionHash}`);
    }
    expect(entities.find((e) => e.name === described.name)?.typeName).toBe(described.name);

    // A truncated name is unknown but found by search: the error suggests the real one.
    const unknown = await callError("codegen", {
      entities: [described.name.slice(0, -1), "NoSuchEntityAnywhere"],
    });
    expect(unknown).toContain("D365_NOT_FOUND");
    expect(unknown).toContain("NoSuchEntityAnywhere");
    expect(unknown).toContain(`did you mean ${described.name}`);
    expect(await callError("codegen", { entities: [] })).toMatch(/entities|too_small/i);
    const tooMany = Array.from({ length: 21 }, (_, i) => `Entity${i}`);
    expect(await callError("codegen", { entities: tooMany })).toMatch(/entities|too_big|20/i);
    // The server keeps answering.
    expect((await call("environment", {})).environment).toBe("dev");
  });

  it("query_data reads validated rows up to the cap", async () => {
    const search = await call("search", { text: "customer", kinds: ["publicEntity"], limit: 1 });
    const name = (search.hits as { name: string }[])[0].name;
    const described = (await call("describe_entity", { name })).entity as {
      entitySetName: string;
      keys: string[];
    };
    const result = await call("query_data", {
      entitySet: described.entitySetName,
      select: described.keys,
      limit: 3,
    });
    expect((result.rows as unknown[]).length).toBe(3);
    expect(result.truncated).toBe(true);
    const wrong = await callError("query_data", {
      entitySet: described.entitySetName,
      select: ["NoSuchField"],
    });
    expect(wrong).toContain("D365_DATA_VALIDATION");
  });

  it("a write on a read-only profile is refused", async () => {
    const text = await callError("write_data", {
      operation: "delete",
      entitySet: "Anything",
      key: "x",
      environment: "prod",
    });
    expect(text).toContain("D365_WRITE_REFUSED");
  });

  it("resource templates read and complete entity and profile names", async () => {
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toContain("d365fo://{profile}/entities/{name}");
    const profiles = await client.complete({
      ref: { type: "ref/resource", uri: "d365fo://{profile}/entities/{name}" },
      argument: { name: "profile", value: "d" },
    });
    expect(profiles.completion.values).toEqual(["dev"]);
    const names = await client.complete({
      ref: { type: "ref/resource", uri: "d365fo://{profile}/entities/{name}" },
      argument: { name: "name", value: "Cust" },
      context: { arguments: { profile: "dev" } },
    });
    expect(names.completion.values.length).toBeGreaterThan(0);
    const read = await client.readResource({ uri: `d365fo://dev/entities/${names.completion.values[0]}` });
    expect(JSON.parse((read.contents[0] as { text: string }).text).environment).toBe("dev");
  });

  it("stdout carried only protocol messages, and stderr never showed the client secret", () => {
    // A progress notification already in flight when a sync was cancelled may arrive late
    // ("unknown token"); anything else (a line that is not JSON-RPC) fails.
    expect(transportErrors.filter((e) => !/unknown (progress )?token/i.test(e.message))).toEqual([]);
    expect(stderr).not.toContain(emulator.credentials.clientSecret);
  });
});

describe("d365fo mcp --http", () => {
  it("refuses a request without the key and serves one with it", async () => {
    const { spawn } = await import("node:child_process");
    const key = "k".repeat(32);
    const child = spawn(process.execPath, [BIN, "mcp", "--http", "--port", "0", "--key", key], { env });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let text = "";
        child.stderr.on("data", (chunk: Buffer) => {
          text += chunk.toString("utf8");
          const match = /listening on (\S+)/.exec(text);
          if (match) resolve(match[1]);
        });
        child.once("exit", () => reject(new Error(`exited: ${text}`)));
      });
      const denied = await fetch(url, { method: "POST", body: "{}" });
      expect(denied.status).toBe(401);
      const http = new Client({ name: "mcp-http", version: "1.0.0" });
      await http.connect(
        new StreamableHTTPClientTransport(new URL(url), {
          requestInit: { headers: { authorization: `Bearer ${key}` } },
        }),
      );
      const result = await http.callTool({ name: "environment", arguments: {} });
      expect((result.structuredContent as Structured).environment).toBe("dev");
      await http.close();
    } finally {
      child.kill("SIGTERM");
    }
  }, 60_000);
});
