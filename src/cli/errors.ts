/**
 * Errors only the CLI raises. They extend `D365Error` so the same exit-code table and one-line
 * error report apply to them as to library errors.
 */
import { D365Error, type D365ErrorOptions } from "../errors.js";
import { CliErrorCode } from "./exit-codes.js";

/** Bad command-line arguments or options. */
export class UsageError extends D365Error {
  constructor(message: string, options?: D365ErrorOptions) {
    super(CliErrorCode.usage, message, options);
  }
}

/** Unknown profile, a broken profiles file, or no environment selected at all. */
export class ProfileError extends D365Error {
  constructor(message: string, options?: D365ErrorOptions) {
    super(CliErrorCode.profile, message, options);
  }
}

/** `doctor` found at least one failing check; carries the exit code of the first failure. */
export class DoctorFailedError extends D365Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(CliErrorCode.doctor, message);
    this.exitCode = exitCode;
  }
}
