import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Tests start real HTTP servers and SQLite files; forks isolate native handles and memory.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The CI machine has 2 cores; large-preset tests are memory- and CPU-heavy.
    maxWorkers: 2,
    // CI also writes a machine-readable summary that .ci/run turns into a closing line.
    reporters: process.env.CI
      ? ["default", ["json", { outputFile: ".tmp/vitest-results.json" }]]
      : ["default"],
  },
});
