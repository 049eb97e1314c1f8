/**
 * Structured logs (pino) on stderr, never stdout, so `--json` output stays clean. Secrets are
 * redacted by path; callers must still never put a secret or token into a message string.
 */
import pino, { type Logger } from "pino";

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

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Destination file descriptor; defaults to 2 (stderr). */
  fd?: number;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: options.name ?? "d365fo",
      level: options.level ?? process.env.D365FO_LOG_LEVEL ?? "warn",
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    },
    pino.destination({ fd: options.fd ?? 2, sync: true }),
  );
}

/** A logger that discards everything (for tests and embedding). */
export const silentLogger: Logger = pino({ level: "silent" });
