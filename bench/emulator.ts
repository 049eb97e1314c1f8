/**
 * Measures serving the full `/Metadata/PublicEntities` of a preset at latency 0: the emulator runs
 * in its own process (the CLI), a client in this one downloads the collection with identity and
 * with gzip (body discarded), and the server's RSS is sampled from /proc while it serves.
 *
 *   npm run bench -- emulator [--preset large] [--rounds 3] [--json]
 *
 * Generation time and memory of a preset are measured by `npx tsx test/emulator/model/measure-large.ts`.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { Agent, request } from "undici";
import type { BenchArgs, BenchResult } from "./run.js";

function rssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

export async function run(args: BenchArgs): Promise<BenchResult> {
  const preset = String(args.flags.preset ?? "large");
  const rounds = Number(args.flags.rounds ?? 3);
  const child = spawn(
    process.execPath,
    [
      "--conditions=d365fo-source",
      "--import",
      "tsx",
      "packages/emulator/src/cli.ts",
      "--preset",
      preset,
      "--log-level",
      "warn",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once("line", resolve);
      child.once("exit", () => reject(new Error("emulator exited early")));
    });
    const info = JSON.parse(line);
    const pid = child.pid!;
    const rssAfterStart = rssMb(pid);
    const ca = readFileSync(info.caCertificatePath, "utf8");
    const tokenResponse = await request(info.tokenEndpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: info.clientId,
        client_secret: info.clientSecret,
        scope: `${info.environments[0].baseUrl}/.default`,
      }).toString(),
      dispatcher: new Agent({ connect: { ca } }),
    });
    const { access_token: token } = (await tokenResponse.body.json()) as { access_token: string };
    const url = `${info.environments[0].baseUrl}/Metadata/PublicEntities`;
    const figures: Record<string, unknown> = { preset, rssAfterStartMb: Math.round(rssAfterStart) };
    let peak = rssAfterStart;
    for (const encoding of ["identity", "gzip"]) {
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < rounds + 1; i++) {
        const sampler = setInterval(() => {
          peak = Math.max(peak, rssMb(pid));
        }, 10);
        const started = performance.now();
        const res = await request(url, {
          headers: { authorization: `Bearer ${token}`, "accept-encoding": encoding },
        });
        bytes = 0;
        for await (const chunk of res.body) bytes += (chunk as Buffer).length;
        const ms = performance.now() - started;
        clearInterval(sampler);
        // The first request of the process also serialises each item once; report it apart.
        if (i === 0 && encoding === "identity") figures.firstRequestMs = Math.round(ms);
        else times.push(ms);
        args.log(`${encoding} #${i}: ${bytes} bytes in ${ms.toFixed(0)} ms`);
      }
      times.sort((a, b) => a - b);
      figures[`${encoding}Bytes`] = bytes;
      figures[`${encoding}MedianMs`] = Math.round(times[Math.floor(times.length / 2)]);
    }
    figures.serverPeakRssMb = Math.round(peak);
    return {
      figures,
      rows: Object.entries(figures).map(([metric, value]) => ({ metric, value: value as string | number })),
    };
  } finally {
    child.kill("SIGTERM");
  }
}
