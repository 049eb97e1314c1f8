/** `d365fo profile add|list|show|remove|default`. */
import { AbortedError } from "d365fo-client";
import type { CliContext } from "../context.js";
import { ProfileError, UsageError } from "../errors.js";
import { renderKeyValues } from "../output.js";
import { type Profile, summarizeProfiles, unknownProfile, validateProfileName } from "../profiles.js";
import { renderProfiles } from "../render.js";
import { readStdin } from "../stdin.js";

export interface ProfileAddOptions {
  clientSecretEnv?: string;
  clientSecretStdin?: boolean;
  default?: boolean;
  force?: boolean;
}

/** On a terminal: a prompt on stderr and no echo, so the secret never shows on screen. */
function promptHidden(prompt: string, output: NodeJS.WritableStream): Promise<string> {
  const input = process.stdin;
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off("data", onData);
      output.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (data: Buffer) => {
      for (const char of data.toString("utf8")) {
        if (char === "\r" || char === "\n" || char === "\u0004") return finish();
        if (char === "\u0003") return finish(new AbortedError("Cancelled"));
        if (char === "\u007f" || char === "\b") value = value.slice(0, -1);
        else value += char;
      }
    };
    output.write(prompt);
    input.setRawMode(true);
    input.resume();
    input.on("data", onData);
  });
}

async function readSecret(ctx: CliContext): Promise<string> {
  if (process.stdin.isTTY) return promptHidden("Client secret: ", ctx.streams.stderr);
  return (await readStdin()).replace(/\r?\n$/, "");
}

async function validateUrl(option: string, value: string): Promise<void> {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(
      `${option} ${JSON.stringify(value)} is not a URL (expected e.g. https://contoso.operations.dynamics.com)`,
    );
  }
  if (url.protocol === "https:") return;
  // Same rule as the auth layer: plain http only to loopback (the emulator), or tokens travel in clear.
  const { isLoopbackHost } = await import("d365fo-client");
  if (url.protocol !== "http:" || !isLoopbackHost(url.hostname)) {
    throw new UsageError(
      `${option} must be https (http only for loopback hosts), got ${url.protocol}//${url.host}`,
    );
  }
}

export async function profileAddCommand(
  ctx: CliContext,
  name: string,
  options: ProfileAddOptions,
): Promise<number> {
  validateProfileName(name);
  const { baseUrl, tenantId, clientId, authorityHost } = ctx.globals;
  if (!baseUrl) throw new UsageError("profile add needs --base-url <url>");
  await validateUrl("--base-url", baseUrl);
  if (authorityHost) await validateUrl("--authority-host", authorityHost);
  if (tenantId) {
    const { isValidTenantId } = await import("d365fo-client");
    if (!isValidTenantId(tenantId)) {
      throw new UsageError(
        "--tenant-id must be a tenant GUID or domain name (e.g. contoso.onmicrosoft.com); the value given is neither",
      );
    }
  }
  if (options.clientSecretEnv && options.clientSecretStdin) {
    throw new UsageError("use either --client-secret-env or --client-secret-stdin, not both");
  }
  const profile: Profile = { baseUrl };
  if (tenantId) profile.tenantId = tenantId;
  if (clientId) profile.clientId = clientId;
  if (authorityHost) profile.authorityHost = authorityHost;
  if (options.clientSecretEnv) profile.clientSecretEnv = options.clientSecretEnv;
  if (options.clientSecretStdin) {
    const secret = await readSecret(ctx);
    if (!secret) throw new UsageError("--client-secret-stdin: stdin was empty");
    ctx.redactor.add(secret);
    profile.clientSecret = secret;
  }
  if ((profile.clientSecret || profile.clientSecretEnv) && (!profile.tenantId || !profile.clientId)) {
    throw new UsageError("a client secret needs --tenant-id and --client-id too");
  }
  const file = ctx.profiles.add(name, profile, { makeDefault: options.default, replace: options.force });
  const summary = summarizeProfiles(file).find((p) => p.name === name);
  ctx.output.result(
    { profile: summary, path: ctx.profiles.path },
    () => `Saved profile ${name} in ${ctx.profiles.path}${summary?.default ? " (default)" : ""}`,
  );
  return 0;
}

export async function profileListCommand(ctx: CliContext): Promise<number> {
  const profiles = summarizeProfiles(ctx.profiles.load());
  ctx.output.result({ path: ctx.profiles.path, profiles }, () => renderProfiles(profiles));
  return 0;
}

export async function profileShowCommand(ctx: CliContext, name: string): Promise<number> {
  const file = ctx.profiles.load();
  if (!file.profiles[name]) throw unknownProfile(file, name);
  const summary = summarizeProfiles(file).find((p) => p.name === name);
  if (!summary) throw new ProfileError(`Unknown profile ${name}`);
  ctx.output.result(summary, () =>
    renderKeyValues([
      ["Profile", summary.name],
      ["Base URL", summary.baseUrl],
      ["Tenant", summary.tenantId],
      ["Client", summary.clientId],
      ["Authority host", summary.authorityHost],
      ["Secret", summary.secret === "env" ? `env (${summary.clientSecretEnv})` : summary.secret],
      ["Default", summary.default],
    ]),
  );
  return 0;
}

export async function profileRemoveCommand(ctx: CliContext, name: string): Promise<number> {
  const file = ctx.profiles.remove(name);
  ctx.output.result({ removed: name, profiles: summarizeProfiles(file) }, () => `Removed profile ${name}`);
  return 0;
}

export async function profileDefaultCommand(ctx: CliContext, name: string): Promise<number> {
  const file = ctx.profiles.setDefault(name);
  ctx.output.result({ default: name, profiles: summarizeProfiles(file) }, () => `Default profile: ${name}`);
  return 0;
}
