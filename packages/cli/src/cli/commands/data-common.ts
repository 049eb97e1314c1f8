/**
 * What the data commands share: opening the environment's connection (closed by the caller),
 * reading a key from the command line, and reading JSON payloads from a file or stdin.
 */
import { readFile } from "node:fs/promises";
import type { D365Connection, EntityKey } from "d365fo-client";
import { ConfigurationError } from "d365fo-client";
import { type CliContext, cacheConfigFor } from "../context.js";
import { UsageError } from "../errors.js";

export interface DataCommandOptions {
  /** `--no-validate`: send without checking against the cached metadata. */
  validate?: boolean;
}

/** Runs `use` with a connection to the selected environment, closing it afterwards. */
export async function withConnection<T>(
  ctx: CliContext,
  options: DataCommandOptions,
  use: (connection: D365Connection) => Promise<T>,
): Promise<T> {
  const settings = ctx.connection();
  ctx.redactor.add(settings.clientSecret);
  if (settings.missingSecretEnv) {
    throw new ConfigurationError(
      `Profile ${settings.profileName} reads its client secret from $${settings.missingSecretEnv}, which is not set`,
    );
  }
  const { connect } = await import("d365fo-client");
  const connection = await connect({
    ...cacheConfigFor(settings, ctx.globals, ctx.logger),
    validate: options.validate !== false,
  });
  try {
    return await use(connection);
  } finally {
    await connection.close();
  }
}

const NUMERIC_TYPES = new Set(["Int32", "Int64", "Real", "Time"]);

/** Splits `a=1,b='x,y'` at commas outside single quotes. */
function splitPairs(text: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'") {
      if (quoted && text[i + 1] === "'") {
        current += "''";
        i++;
        continue;
      }
      quoted = !quoted;
    }
    if (ch === "," && !quoted) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

function unquote(value: string): string {
  const trimmed = value.trim();
  return /^'.*'$/s.test(trimmed) ? trimmed.slice(1, -1).replace(/''/g, "'") : trimmed;
}

/**
 * A key from the command line: `US-001` (single-field key) or
 * `dataAreaId=usmf,CustomerAccount=US-001` (any order; `'…'` quotes a value with commas). Values
 * of numeric key fields become numbers when the cached metadata knows the entity set.
 */
export async function parseKeyArgument(
  connection: D365Connection,
  entitySet: string,
  text: string,
): Promise<EntityKey> {
  if (text.trim() === "") throw new UsageError("The key is empty");
  const numeric = new Set<string>();
  try {
    const view = await connection.cache.getPublicEntity(entitySet);
    for (const p of view?.properties ?? []) if (p.isKey && NUMERIC_TYPES.has(p.dataType)) numeric.add(p.name);
  } catch {
    // No synced metadata: values stay strings (validation, if on, reports it).
  }
  const pairs = splitPairs(text);
  const named = pairs.every((pair) => /^\s*[A-Za-z_][A-Za-z0-9_]*\s*=/.test(pair));
  if (!named) {
    if (pairs.length > 1)
      throw new UsageError(`A composite key is written name=value,name=value (got ${JSON.stringify(text)})`);
    const value = unquote(text);
    return numeric.size === 1 && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  const key: Record<string, string | number> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq).trim();
    const value = unquote(pair.slice(eq + 1));
    key[name] = numeric.has(name) && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  return key;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** JSON from `file` (`-` or none: stdin). */
export async function readJsonPayload(file: string | undefined, what: string): Promise<unknown> {
  const text = file === undefined || file === "-" ? await readStdin() : await readFile(file, "utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(
      `The ${what} is not valid JSON (${file && file !== "-" ? file : "stdin"}): ${(error as Error).message}`,
    );
  }
}

export function asObject(value: unknown, what: string): Record<string, unknown> {
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw new UsageError(`The ${what} must be a JSON object`);
  return value as Record<string, unknown>;
}
