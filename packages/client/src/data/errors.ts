/**
 * Errors of the data client. A `DataValidationError` is raised before anything is sent: the
 * request contradicts the environment's metadata (unknown names, wrong value types, non-editable
 * fields…). Each problem is listed with its kind, so callers and the CLI can show all of them.
 */
import { D365Error, type D365ErrorOptions } from "../errors.js";

export type ValidationProblemKind =
  | "unknownEntitySet"
  | "unknownProperty"
  | "typeMismatch"
  | "notEnumMember"
  | "unsupportedOperator"
  | "missingKeyField"
  | "unknownKeyField"
  | "notEditable"
  | "missingMandatory"
  | "readOnlyEntity"
  | "unknownNavigation"
  | "unknownAction"
  | "actionBinding"
  | "unknownParameter"
  | "missingParameter"
  | "invalidValue"
  | "syntax";

export interface ValidationProblem {
  kind: ValidationProblemKind;
  /** One sentence naming the problem, e.g. `CustomersV3 has no property CreditLimt`. */
  message: string;
  entitySet?: string;
  /** The property, key field, navigation, action or parameter concerned. */
  name?: string;
  /** "Did you mean" candidates, best first. */
  suggestions?: string[];
}

const MESSAGE_PROBLEMS = 10;

function describe(problems: readonly ValidationProblem[]): string {
  const lines = problems.map((p) =>
    p.suggestions && p.suggestions.length > 0
      ? `${p.message} (did you mean ${p.suggestions.map((s) => `'${s}'`).join(", ")}?)`
      : p.message,
  );
  if (lines.length === 1) return lines[0];
  // The message stays readable for a batch of thousands; `problems` holds every one.
  const shown = lines.slice(0, MESSAGE_PROBLEMS).join("; ");
  const more = lines.length > MESSAGE_PROBLEMS ? `; … and ${lines.length - MESSAGE_PROBLEMS} more` : "";
  return `${lines.length} problems: ${shown}${more}`;
}

/** The request contradicts the metadata; nothing was sent. */
export class DataValidationError extends D365Error {
  readonly problems: readonly ValidationProblem[];
  constructor(problems: readonly ValidationProblem[], options?: D365ErrorOptions) {
    super("D365_DATA_VALIDATION", describe(problems), options);
    this.problems = problems;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), problems: this.problems };
  }
}

/** 412: the row changed since its ETag was read (optimistic concurrency). */
export class ConcurrencyConflictError extends D365Error {
  /** The `If-Match` value that was sent. */
  readonly ifMatch: string;
  constructor(message: string, options: D365ErrorOptions & { ifMatch: string }) {
    super("D365_CONFLICT", message, options);
    this.ifMatch = options.ifMatch;
  }
}
