/** Shared helpers for the emulator server tests: raw HTTP (no auto-decompression) and fixtures. */
import { request } from "node:http";
import { gunzipSync } from "node:zlib";
import { silentLogger } from "../../../packages/client/src/logging.js";
import type { EmulatorOptions, RunningEmulator } from "../../../packages/emulator/src/api.js";
import { startEmulatorWith } from "../../../packages/emulator/src/server/emulator.js";
import { fixtureSource } from "../../../packages/emulator/src/server/fixture-release.js";

export function startFixtureEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulatorWith({ logger: silentLogger, ...options }, () => fixtureSource());
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Body as received (compressed if the server compressed it). */
  raw: Buffer;
  /** Decompressed body text. */
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests index into arbitrary JSON bodies
  json: () => any;
}

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One request with node:http; resolves with whatever arrived, rejects on socket errors. */
export function rawRequest(url: string, options: RawRequest = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? "GET", headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("aborted", () => reject(new Error("response aborted")));
        res.on("end", () => {
          const raw = Buffer.concat(chunks);
          const text = (
            res.headers["content-encoding"] === "gzip" && raw.length > 0 ? gunzipSync(raw) : raw
          ).toString("utf8");
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            raw,
            text,
            json: () => JSON.parse(text),
          });
        });
      },
    );
    req.on("error", reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** GET (or POST with `body`) as an authorised client. */
export async function call(
  emulator: RunningEmulator,
  path: string,
  options: RawRequest & { env?: string; token?: string } = {},
): Promise<RawResponse> {
  const env = options.env ? emulator.environment(options.env) : emulator.environments[0];
  const token = options.token ?? (await emulator.issueToken({ audience: env.baseUrl }));
  return rawRequest(`${env.baseUrl}${path}`, {
    ...options,
    headers: { authorization: `Bearer ${token}`, ...options.headers },
  });
}

export const post = (emulator: RunningEmulator, path: string, options: RawRequest & { env?: string } = {}) =>
  call(emulator, path, {
    method: "POST",
    body: "{}",
    headers: { "content-type": "application/json" },
    ...options,
  });
