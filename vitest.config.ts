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
  },
});
