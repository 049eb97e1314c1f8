/** The PostgreSQL backend is a separate, optional package that the library loads on first use. */
import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../../packages/client/src/errors.js";
import { loadPostgresBackend } from "../../packages/client/src/store/open.js";

describe("loading the PostgreSQL backend package", () => {
  it("loads @d365fo/postgres and finds openPostgresStore", async () => {
    const backend = await loadPostgresBackend();
    expect(typeof backend.openPostgresStore).toBe("function");
  });

  it("an absent backend package is a ConfigurationError that says what to install", async () => {
    const attempt = loadPostgresBackend("@d365fo/postgres-not-installed");
    await expect(attempt).rejects.toBeInstanceOf(ConfigurationError);
    await expect(attempt).rejects.toThrow("npm install @d365fo/postgres-not-installed");
  });
});
