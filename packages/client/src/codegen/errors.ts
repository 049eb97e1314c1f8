/** `d365fo codegen --check` found generated types that no longer match the environment. */
import { D365Error, type D365ErrorOptions } from "../errors.js";
import type { DriftChange } from "./manifest.js";

export class CodegenDriftError extends D365Error {
  readonly changes: readonly DriftChange[];
  constructor(message: string, changes: readonly DriftChange[], options?: D365ErrorOptions) {
    super("D365_CODEGEN_DRIFT", message, options);
    this.changes = changes;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), changes: this.changes };
  }
}
