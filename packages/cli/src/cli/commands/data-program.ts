/** The data commands' place in the command tree (`query`, `get`, `count`, writes, `batch`, `action`). */
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { parseNonNegativeInt, parsePositiveInt } from "../program.js";

type Handler = (ctx: CliContext, ...args: never[]) => Promise<number | undefined>;
type Run = (load: () => Promise<Handler>) => (...args: unknown[]) => Promise<void>;

const NO_VALIDATE = "--no-validate";
const NO_VALIDATE_HELP = "send without checking the request against the cached metadata";

export function registerDataCommands(program: Command, run: Run): void {
  const reads = () => import("./data-query.js");
  const writes = () => import("./data-write.js");

  program
    .command("query <entitySet>")
    .description("stream an entity set's rows (JSON lines; --json one document; --csv)")
    .option("--filter <expr>", "OData $filter, e.g. \"CreditLimit gt 1000 and Name eq '*retail*'\"")
    .option("--select <fields>", "comma-separated properties")
    .option("--orderby <items>", 'comma-separated, e.g. "Name desc,CustomerAccount"')
    .option("--expand <navigations>", "comma-separated navigation properties (one level)")
    .option("--top <n>", "at most n rows", parseNonNegativeInt)
    .option("--skip <n>", "skip n rows", parseNonNegativeInt)
    .option("--count", "ask for the total ($count=true), shown in progress and --json")
    .option("--cross-company", "rows of every company (automatic when the filter names dataAreaId)")
    .option("--company <id>", "rows of this company only (dataAreaId, with cross-company)")
    .option("--max-page-size <n>", "Prefer: odata.maxpagesize", parsePositiveInt)
    .option("--csv", "CSV with a header line")
    .option("--no-progress", "no progress on stderr")
    .option(NO_VALIDATE, NO_VALIDATE_HELP)
    .action(run(async () => (await reads()).queryCommand as Handler));

  program
    .command("get <entitySet> <key>")
    .description("one row by key: US-001, or dataAreaId=usmf,CustomerAccount=US-001")
    .option("--select <fields>", "comma-separated properties")
    .option("--expand <navigations>", "comma-separated navigation properties")
    .option("--cross-company", "force cross-company (automatic when the key names dataAreaId)")
    .option(NO_VALIDATE, NO_VALIDATE_HELP)
    .action(run(async () => (await reads()).getCommand as Handler));

  program
    .command("count <entitySet>")
    .description("the number of rows matching a filter")
    .option("--filter <expr>", "OData $filter")
    .option("--cross-company", "count every company's rows")
    .option("--company <id>", "count this company's rows")
    .option(NO_VALIDATE, NO_VALIDATE_HELP)
    .action(run(async () => (await reads()).countCommand as Handler));

  program
    .command("create <entitySet>")
    .description("create a row from a JSON object (--data <file>, or stdin)")
    .option("--data <file>", "the row as JSON ('-' or omitted: stdin)")
    .option(NO_VALIDATE, NO_VALIDATE_HELP)
    .action(run(async () => (await writes()).createCommand as Handler));

  program
    .command("update <entitySet> <key>")
    .description("PATCH the properties given as JSON (--data <file>, or stdin)")
    .option("--data <file>", "the changes as JSON ('-' or omitted: stdin)")
    .option("--if-match <etag>", "only if the row still has this ETag (default *)")
    .option("--replace", "PUT the whole row instead of PATCH")
    .option("--cross-company", "force cross-company")
    .option(NO_VALIDATE, NO_VALIDATE_HELP)
    .action(run(async () => (await writes()).updateCommand as Handler));

  program
    .command("delete <entitySet> <key>")
    .description("delete a row")
    .option("--if-match <etag>", "only if the row still has this ETag (default *)")
    .option("--cross-company", "force cross-company")
    .option(NO_VALIDATE, NO_VALIDATE_HELP)
    .action(run(async () => (await writes()).deleteCommand as Handler));

  program
    .command("batch <file>")
    .description("send a JSON array of operations and changesets as $batch ('-': stdin)")
    .option(NO_VALIDATE, NO_VALIDATE_HELP)
    .action(run(async () => (await writes()).batchCommand as Handler));

  program
    .command("action <entitySet> <name>")
    .description("call an action bound to the entity set, or to a row with --key")
    .option("--key <key>", "the row (instance-bound actions)")
    .option("--params <json|file>", "parameters: inline JSON or a file ('-': stdin)")
    .option("--cross-company", "force cross-company")
    .option(NO_VALIDATE, NO_VALIDATE_HELP)
    .action(run(async () => (await writes()).actionCommand as Handler));
}
