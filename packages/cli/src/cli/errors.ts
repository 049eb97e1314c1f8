/**
 * Errors only the CLI raises. They extend `D365Error` so the same exit-code table and one-line
 * error report apply to them as to library errors.
 */
import { D365Error, type D365ErrorOptions } from "d365fo-client";
import { CliErrorCode } from "./exit-codes.js";

/** Bad command-line arguments or options. */
export class UsageError extends D365Error {
  constructor(message: string, options?: D365ErrorOptions) {
    super(CliErrorCode.usage, message, options);
  }
}

export { ProfileError } from "../profiles/errors.js";

/** `doctor` found at least one failing check; carries the exit code of the first failure. */
export class DoctorFailedError extends D365Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(CliErrorCode.doctor, message);
    this.exitCode = exitCode;
  }
}
