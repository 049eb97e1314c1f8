/**
 * How tools answer: structured content (validated against the tool's outputSchema) plus the same
 * JSON as text for clients without structured output; errors become tool errors the model can
 * act on (message, stable code, the fix when one is known), never a crash of the server.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { isD365Error } from "d365fo-client";
import { z } from "zod";
import type { OpenEnvironment } from "./environments.js";

/** The fields every answer carries, so a model never mixes versions. */
export const stampShape = {
  environment: z.string().describe("The profile (or base URL) answered for"),
  versionHash: z.string().nullable().describe("The environment's module-set hash the answer comes from"),
};

export interface Stamp {
  environment: string;
  versionHash: string | null;
}

export async function stampOf(env: OpenEnvironment): Promise<Stamp> {
  try {
    const info = await env.connection.cache.getEnvironmentVersion();
    return { environment: env.name, versionHash: info.modulesHash };
  } catch {
    return { environment: env.name, versionHash: null };
  }
}

export function answer<T extends Record<string, unknown>>(content: T): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(content) }], structuredContent: content };
}

export function toolError(error: unknown): CallToolResult {
  const code = isD365Error(error) ? error.code : "D365_INTERNAL";
  const message = error instanceof Error ? error.message : String(error);
  const detail: Record<string, unknown> = { error: message, code };
  const problems = (error as { problems?: unknown }).problems;
  if (Array.isArray(problems)) detail.problems = problems;
  return { isError: true, content: [{ type: "text", text: JSON.stringify(detail) }] };
}

/** Runs a tool body; any throw is a tool error. */
export async function guarded(body: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await body();
  } catch (error) {
    return toolError(error);
  }
}
