/**
 * A long paged read outlives its access token (the emulator's token lifetime knob): the auth
 * concern gets a new token mid-run and every row arrives exactly once (library defaults).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { collect, type DataEnvironment, startDataEnvironment } from "./_env.js";

const LIFETIME_SECONDS = 5;
let t: DataEnvironment;

beforeAll(async () => {
  t = await startDataEnvironment({
    emulator: { tokenLifetimeSeconds: LIFETIME_SECONDS },
    data: { rowsBySet: { CustomersV3: 1_200 } },
  });
}, 300_000);

afterAll(async () => {
  await t?.close();
});

it("reads 24 pages over more than two token lifetimes, the token renewed mid-run", async () => {
  const env = t.emulator.environments[0];
  // 50 rows a page, each taking ≥ 500 ms: the read lasts ≥ 12 s, over two lifetimes (a short
  // lifetime leaves room for a request to wait in the limiter on a loaded machine).
  env.setKnobs({ dataPageSize: 50, latency: { baseMs: 500 } });
  env.resetCounters();
  const pages: number[] = [];
  const rows = await collect(
    t.d365.query("CustomersV3", { crossCompany: true, onPage: (p) => pages.push(p.rows) }),
  );
  expect(rows).toHaveLength(1_200);
  expect(new Set(rows.map((r) => `${r.dataAreaId}|${r.CustomerAccount}`)).size).toBe(1_200);
  expect(pages).toHaveLength(24);
  const counters = env.counters();
  // New tokens were issued while the read ran, and every page was served (a 401 is retried once
  // with a fresh token, so no page was lost to an expired one).
  expect(counters.byRoute.token ?? 0).toBeGreaterThanOrEqual(2);
  expect(counters.byRoute["data.entitySet"] - counters.unauthorized).toBe(24);
}, 300_000);
