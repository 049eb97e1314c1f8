/** The error raised for profile problems; shared by the CLI and the MCP server. */
import { D365Error, type D365ErrorOptions } from "d365fo-client";

/** Stable code (the CLI maps it to its profile exit code). */
export const PROFILE_ERROR_CODE = "D365_PROFILE";

/** Unknown profile, a broken profiles file, or no environment selected at all. */
export class ProfileError extends D365Error {
  constructor(message: string, options?: D365ErrorOptions) {
    super(PROFILE_ERROR_CODE, message, options);
  }
}
