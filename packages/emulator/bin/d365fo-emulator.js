#!/usr/bin/env node
import { runEmulatorCli } from "../dist/cli.js";

runEmulatorCli(process.argv.slice(2)).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`d365fo-emulator: ${error instanceof Error ? error.message : String(error)}\n`);
    // Bad arguments are a ConfigurationError (code D365_CONFIG): exit 2, as `npm run emulator` does.
    process.exit(error?.code === "D365_CONFIG" ? 2 : 1);
  },
);
