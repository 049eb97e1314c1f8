/**
 * Structured logs (pino) on stderr, never stdout, so `--json` output stays clean. Secrets are
 * redacted by path, and every finished line passes the library's scrubber (src/errors/secrets.ts):
 * an identity provider's error text that echoes the client secret is scrubbed here too, whoever
 * logs it.
 */
import pino, { type Logger } from "pino";
import { scrubText } from "./errors/secrets.js";

export type { Logger };

export const REDACTED_PATHS = [
  "authorization",
  "headers.authorization",
  "*.authorization",
  "clientSecret",
  "*.clientSecret",
  "client_secret",
  "*.client_secret",
  "token",
  "*.token",
  "accessToken",
  "*.accessToken",
  "access_token",
  "*.access_token",
];

/**
 * pino options for any logger that may see the library's records: path redaction plus the
 * scrubber on every finished line. Embedders passing their own pino logger should spread these.
 */
export const SECRET_SAFE_LOGGER_OPTIONS: Pick<pino.LoggerOptions, "redact" | "hooks"> = {
  redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
  hooks: { streamWrite: (line: string) => scrubText(line) },
};

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Destination file descriptor; defaults to 2 (stderr). */
  fd?: number;
  /** A destination stream instead of `fd` (tests, embedding). */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: options.name ?? "d365fo",
      level: options.level ?? process.env.D365FO_LOG_LEVEL ?? "warn",
      ...SECRET_SAFE_LOGGER_OPTIONS,
    },
    options.destination ?? pino.destination({ fd: options.fd ?? 2, sync: true }),
  );
}

/** A logger that discards everything (for tests and embedding). */
export const silentLogger: Logger = pino({ level: "silent" });
