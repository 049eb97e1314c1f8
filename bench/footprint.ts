/**
 * `npm run bench -- footprint [--ref <commit>] [--only library,cli,emulator,postgres] [--keep] [--json]`
 *
 * What installing the packages costs a user: each package is packed (`npm pack`, as published) and
 * installed alone into a fresh project in the temp directory (`npm install --prefer-offline`,
 * better-sqlite3's install script approved). Per row: the packages installed (distinct package
 * directories under node_modules, and npm's own "added N"), the bytes of every file under
 * node_modules, and the install time.
 *
 * Rows: `d365fo-client` alone (the library), and `@d365fo/cli`, `@d365fo/emulator` and
 * `@d365fo/postgres`, each with the library tarball beside it (it is their dependency or peer, and
 * not taken from the registry).
 *
 * With `--ref <commit>`, the single package of a commit from before the split (e.g. 859d93f) instead:
 * the commit is extracted with `git archive`, its devDependencies installed with `npm ci
 * --ignore-scripts`, built with its own tsc and packed, and that tarball installed alone.
 *
 * Without access to GitHub, better-sqlite3's prebuilt binary cannot be downloaded and it compiles
 * from source: that dominates the install time, and the compiler's intermediate files stay in
 * `better-sqlite3/build` (reported as `nativeBuildBytes`; a prebuilt install leaves ~2 MB there).
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  npmInstall,
  type Packed,
  pack,
  ROOT,
  succeeds,
  WORKSPACES,
  workspacePath,
  writeProjectManifest,
} from "../test/_support/fresh-project.js";
import { round } from "./_stats.js";
import type { BenchArgs, BenchResult, BenchRow } from "./run.js";

/** Every installed package directory (`node_modules/<name>`, `node_modules/@scope/<name>`, nested too). */
function packageDirectories(nodeModules: string): string[] {
  if (!existsSync(nodeModules)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    const candidates = entry.name.startsWith("@")
      ? readdirSync(join(nodeModules, entry.name)).map((name) => join(nodeModules, entry.name, name))
      : [join(nodeModules, entry.name)];
    for (const dir of candidates) {
      if (!existsSync(join(dir, "package.json"))) continue;
      found.push(dir);
      found.push(...packageDirectories(join(dir, "node_modules")));
    }
  }
  return found;
}

/** Sum of file sizes under `dir` (symlinks not followed), and the blocks allocated for them. */
function bytesUnder(dir: string): { bytes: number; allocated: number; files: number } {
  const total = { bytes: 0, allocated: 0, files: 0 };
  if (!existsSync(dir)) return total;
  const stack = [dir];
  while (stack.length > 0) {
    const current = stack.pop() as string;
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) stack.push(path);
      else if (entry.isFile()) {
        const stat = lstatSync(path);
        total.bytes += stat.size;
        total.allocated += stat.blocks * 512;
        total.files++;
      }
    }
  }
  return total;
}

interface Measured {
  label: string;
  tarballs: string[];
  packages: number;
  npmAdded: number | null;
  bytes: number;
  allocatedBytes: number;
  files: number;
  nativeBuildBytes: number;
  installSeconds: number;
}

async function installAlone(
  work: string,
  key: string,
  label: string,
  tarballs: string[],
  log: (m: string) => void,
): Promise<Measured> {
  const project = join(work, `project-${key}`);
  mkdirSync(project);
  writeProjectManifest(project, `footprint-${key}`);
  log(`installing ${label} into ${project}`);
  const run = await npmInstall(project, tarballs);
  const nodeModules = join(project, "node_modules");
  const size = bytesUnder(nodeModules);
  const added = /added (\d+) packages?/.exec(run.stdout);
  const measured: Measured = {
    label,
    tarballs: tarballs.map((t) => t.slice(work.length + 1)),
    packages: new Set(packageDirectories(nodeModules)).size,
    npmAdded: added ? Number(added[1]) : null,
    bytes: size.bytes,
    allocatedBytes: size.allocated,
    files: size.files,
    nativeBuildBytes: bytesUnder(join(nodeModules, "better-sqlite3", "build")).bytes,
    installSeconds: round(run.seconds, 1),
  };
  log(
    `  ${measured.packages} packages, ${mb(measured.bytes)} MB, ${measured.installSeconds} s (npm: ${run.stdout.trim().split("\n").at(-1)})`,
  );
  return measured;
}

const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);

/** The pre-split single package of `ref`, built and packed in a temp copy of that commit. */
async function packRef(ref: string, work: string, log: (m: string) => void): Promise<Packed> {
  const source = join(work, "ref-source");
  mkdirSync(source);
  log(`extracting ${ref} (git archive) into ${source}`);
  const archive = join(work, "ref-source.tar");
  await succeeds("git", ["archive", "--format=tar", "--output", archive, ref], { cwd: ROOT });
  await succeeds("tar", ["-x", "-f", archive, "-C", source], { cwd: work });
  const manifest = JSON.parse(readFileSync(join(source, "package.json"), "utf8")) as {
    name?: string;
    private?: boolean;
    workspaces?: unknown;
  };
  if (manifest.private || manifest.workspaces) {
    throw new Error(
      `${ref}'s root package.json is ${manifest.name ?? "unnamed"} (private or a workspace root): --ref expects a commit from before the split (e.g. 859d93f)`,
    );
  }
  log(`npm ci --ignore-scripts in ${source} (its devDependencies, to build it)`);
  await succeeds("npm", ["ci", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund"], {
    cwd: source,
  });
  log("building it with its own tsc");
  await succeeds(
    process.execPath,
    [join(source, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"],
    { cwd: source },
  );
  // Built already: --ignore-scripts skips the `prepare` that would build it again.
  return pack(source, join(work, "tarballs"), { ignoreScripts: true });
}

export async function run({ flags, log }: BenchArgs): Promise<BenchResult> {
  const ref = typeof flags.ref === "string" ? flags.ref : undefined;
  if (flags.ref === true) throw new Error("--ref needs a commit, e.g. --ref 859d93f");
  const only =
    typeof flags.only === "string"
      ? flags.only.split(",").map((s) => s.trim())
      : WORKSPACES.map((w) => w.key);
  for (const key of only) {
    if (!WORKSPACES.some((w) => w.key === key))
      throw new Error(`--only: unknown row ${key} (${WORKSPACES.map((w) => w.key).join(", ")})`);
  }
  const work = mkdtempSync(join(tmpdir(), "d365fo-footprint-"));
  mkdirSync(join(work, "tarballs"));
  const npmVersion = (await succeeds("npm", ["--version"], { cwd: work })).stdout.trim();
  const measured: Record<string, Measured & { tarballBytes: number; unpackedBytes: number }> = {};
  try {
    if (ref) {
      const commit = (
        await succeeds("git", ["rev-parse", "--short", `${ref}^{commit}`], { cwd: ROOT })
      ).stdout.trim();
      const packed = await packRef(commit, work, log);
      const label = `${packed.name}@${packed.version} (${commit}, before the split)`;
      measured.library = {
        ...(await installAlone(work, "library", label, [packed.tarball], log)),
        tarballBytes: packed.size,
        unpackedBytes: packed.unpackedSize,
      };
    } else {
      const missing = WORKSPACES.filter((w) => !existsSync(join(workspacePath(w), "dist")));
      if (missing.length > 0) {
        throw new Error(
          `packages/{${missing.map((w) => w.dir).join(",")}}/dist missing: run 'npm run build' first`,
        );
      }
      const packed = new Map<string, Packed>();
      for (const w of WORKSPACES) {
        packed.set(w.key, await pack(workspacePath(w), join(work, "tarballs")));
      }
      const library = packed.get("library")!;
      for (const key of only) {
        const own = packed.get(key)!;
        const tarballs = key === "library" ? [library.tarball] : [own.tarball, library.tarball];
        const label = key === "library" ? `${own.name}@${own.version}` : `${own.name} + d365fo-client`;
        measured[key] = {
          ...(await installAlone(work, key, label, tarballs, log)),
          tarballBytes: own.size,
          unpackedBytes: own.unpackedSize,
        };
      }
    }
  } finally {
    if (flags.keep === true) log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }

  const rows: BenchRow[] = [];
  for (const m of Object.values(measured)) {
    rows.push(
      { metric: `${m.label}: packages`, value: m.packages, note: `npm: added ${m.npmAdded ?? "?"}` },
      {
        metric: `${m.label}: bytes`,
        value: `${mb(m.bytes)} MB`,
        note: `${m.bytes.toLocaleString("en-US")} B in ${m.files.toLocaleString("en-US")} files; better-sqlite3/build ${mb(m.nativeBuildBytes)} MB`,
      },
      {
        metric: `${m.label}: install`,
        value: `${m.installSeconds} s`,
        note: m.nativeBuildBytes > 5 * 1024 * 1024 ? "better-sqlite3 compiled from source" : "",
      },
      {
        metric: `${m.label}: tarball`,
        value: `${round(m.tarballBytes / 1024, 1)} kB`,
        note: `${round(m.unpackedBytes / 1024, 1)} kB unpacked`,
      },
    );
  }
  rows.push({ metric: "npm / node", value: `${npmVersion} / ${process.version}`, note: "--prefer-offline" });
  return {
    figures: {
      ref: ref ?? null,
      npm: npmVersion,
      node: process.version,
      rows: measured,
    },
    rows,
  };
}
