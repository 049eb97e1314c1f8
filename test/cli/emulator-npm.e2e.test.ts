/**
 * `npm run --silent emulator` (what the docs recommend) prints the emulator's JSON line as the
 * very first thing on stdout, so `| head -1 | jq` works; plain `npm run` would prefix npm's banner.
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { cleanEnv, ROOT } from "./spawn.js";

describe("npm run --silent emulator", () => {
  it("starts with the emulator's JSON line on stdout", async () => {
    const child = spawn("npm", ["run", "--silent", "emulator", "--", "--preset", "tiny", "--envs", "1"], {
      cwd: ROOT,
      env: cleanEnv({}),
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group: npm does not pass SIGTERM on to tsx, so the group is signalled.
      detached: true,
    });
    const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
    let stdout = "";
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          stdout += chunk.toString("utf8");
          if (stdout.includes("\n")) resolve();
        });
        child.on("error", reject);
        child.on("exit", (code) => reject(new Error(`emulator exited early (${code})`)));
      });
    } finally {
      child.removeAllListeners("exit");
      if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
      await exited;
    }
    const first = stdout.split("\n")[0];
    expect(first.startsWith("{"), first.slice(0, 80)).toBe(true);
    expect(JSON.parse(first)).toHaveProperty("environments");
  });
});
