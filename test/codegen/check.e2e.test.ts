/**
 * `d365fo codegen` and `d365fo codegen --check` through the CLI (in process) against the `medium`
 * emulator: generate every public entity, check (exit 0), upgrade the environment in place
 * (release step 1), check again: exit 17 (`D365_CODEGEN_DRIFT`) naming the changed types, and
 * every property the upgrade added, removed or retyped among them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CodegenCheckResult, CodegenManifest } from "../../packages/client/src/codegen/index.js";
import { ExitCode } from "../../packages/client/src/errors.js";
import { silentLogger } from "../../packages/client/src/logging.js";
import type { RunningEmulator } from "../../packages/emulator/src/api.js";
import { startEmulator } from "../../packages/emulator/src/index.js";
import { tempDir, ZERO_LATENCY } from "../cache/helpers.js";
import { runInProcess } from "../cli/helpers.js";
import { generatedDir } from "./_support.js";

let emulator: RunningEmulator;
let home: ReturnType<typeof tempDir>;
let out: ReturnType<typeof generatedDir>;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  emulator = await startEmulator({
    preset: "medium",
    logger: silentLogger,
    environments: 1,
    languages: [],
    knobs: { latency: ZERO_LATENCY },
  });
  home = tempDir("codegen-cli");
  out = generatedDir("cli");
  env = {
    HOME: home.path,
    D365FO_CONFIG_DIR: join(home.path, "config"),
    D365FO_CACHE_DIR: join(home.path, "cache"),
    D365FO_BASE_URL: emulator.environments[0].baseUrl,
    // In process, a token stands in for the sign-in (the emulator's CA is not trusted here).
    D365FO_ACCESS_TOKEN: await emulator.issueToken({ expiresInSeconds: 3600 }),
  };
  const sync = await runInProcess(["sync", "--no-progress"], env);
  expect(sync.code, sync.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await emulator?.close();
  home?.remove();
  out?.remove();
});

const manifest = () =>
  JSON.parse(readFileSync(join(out.path, "d365fo-codegen.json"), "utf8")) as CodegenManifest;

describe("d365fo codegen", () => {
  it("needs --out, and entity names or --all (usage, exit 2)", async () => {
    expect((await runInProcess(["codegen", "CustomersV3"], env)).code).toBe(ExitCode.usage);
    expect((await runInProcess(["codegen", "--out", out.path], env)).code).toBe(ExitCode.usage);
    const unknown = await runInProcess(["codegen", "NoSuchEntityV9", "--out", out.path], env);
    expect(unknown.code).toBe(ExitCode.notFound);
  });

  it("--all writes every public entity with a manifest stamping the version", async () => {
    const run = await runInProcess(["codegen", "--all", "--out", out.path, "--json"], env);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { entities: number; files: number; modulesHash: string };
    expect(result.entities).toBeGreaterThan(300);
    const m = manifest();
    expect(m.modulesHash).toBe(result.modulesHash);
    expect(m.environment).toBe(emulator.environments[0].baseUrl);
    expect(readFileSync(join(out.path, "CustomerV3.ts"), "utf8")).toContain(
      `// modules hash: ${m.modulesHash}`,
    );
  });

  it("--check: 0 while the environment is unchanged", async () => {
    const run = await runInProcess(["codegen", "--check", "--out", out.path], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Up to date/);
  });

  it("--check after an in-place upgrade: exit 17 naming the changed types", async () => {
    const environment = emulator.environments[0];
    await environment.setRelease(1);
    const log = environment.release.changeLog!;
    const text = await runInProcess(["codegen", "--check", "--out", out.path], env);
    expect(text.code, text.stderr).toBe(ExitCode.codegenDrift);
    expect(text.stderr).toMatch(/\[D365_CODEGEN_DRIFT\]/);
    const json = await runInProcess(["codegen", "--check", "--out", out.path, "--json"], env);
    expect(json.code).toBe(17);
    const result = JSON.parse(json.stdout) as CodegenCheckResult;
    expect(result.versionChanged).toBe(true);
    expect(result.changes.length).toBeGreaterThan(0);
    const generated = manifest().entities;
    const has = (kind: string, entity: string, property?: string) =>
      result.changes.some((c) => c.kind === kind && c.owner === entity && c.property === property);
    const removed = new Set(log.entitiesRemoved);
    for (const name of log.entitiesRemoved)
      if (generated[name]) expect(has("entityRemoved", name), name).toBe(true);
    const live = (ref: { entity: string }) => generated[ref.entity] !== undefined && !removed.has(ref.entity);
    const refs = [...log.propertiesAdded, ...log.propertiesRemoved, ...log.propertiesRetyped].filter(live);
    expect(refs.length, "the upgrade should change generated entities").toBeGreaterThan(0);
    for (const ref of log.propertiesAdded.filter(live))
      expect(has("propertyAdded", ref.entity, ref.property), `${ref.entity}.${ref.property}`).toBe(true);
    for (const ref of log.propertiesRemoved.filter(live))
      expect(has("propertyRemoved", ref.entity, ref.property), `${ref.entity}.${ref.property}`).toBe(true);
    for (const ref of log.propertiesRetyped.filter(live).filter((r) => r.fromTypeName !== r.toTypeName))
      expect(has("typeChanged", ref.entity, ref.property), `${ref.entity}.${ref.property}`).toBe(true);
    // Each change is printed with the generated type it concerns.
    for (const change of result.changes) expect(text.stdout).toContain(change.message);
    if (process.env.CODEGEN_DEBUG) console.log(text.stdout, text.stderr);
  });

  it("regenerating brings --check back to 0", async () => {
    const again = await runInProcess(["codegen", "--all", "--out", out.path], env);
    expect(again.code, again.stderr).toBe(0);
    const run = await runInProcess(["codegen", "--check", "--out", out.path, "--no-sync"], env);
    expect(run.code, run.stdout + run.stderr).toBe(0);
  });
});
