import { D365Error, type D365ErrorOptions } from "../errors.js";

export type MigrationSourceProblem =
  /** The path does not exist or cannot be read. */
  | "unreadable"
  /** Not an SQLite database at all. */
  | "notSqlite"
  /** An SQLite file cut short or damaged. */
  | "corrupt"
  /** An SQLite database without the Python tool's tables. */
  | "notPythonCache"
  /** The Python tool's tables, but a layout this importer does not know (a newer version). */
  | "unknownLayout";

/**
 * A file offered as a Python cache that cannot be imported. Nothing was written anywhere: the
 * source is only ever read, and the target store is untouched. `problem` says why; `path` is the
 * file (never any content of it). Codes are `D365_CACHE_IMPORT_SOURCE` and
 * `D365_CACHE_IMPORT_LAYOUT`: specialised cache codes, so the CLI exits with the cache exit code.
 */
export class MigrationSourceError extends D365Error {
  readonly problem: MigrationSourceProblem;
  readonly path: string;

  constructor(problem: MigrationSourceProblem, path: string, message: string, options?: D365ErrorOptions) {
    super(
      problem === "unknownLayout" ? "D365_CACHE_IMPORT_LAYOUT" : "D365_CACHE_IMPORT_SOURCE",
      message,
      options,
    );
    this.problem = problem;
    this.path = path;
  }
}
