import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { request } from "node:https";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../../../packages/client/src/errors.js";
import { emulatorOptionsFromCli, parseEmulatorArgs } from "../../../packages/emulator/src/cli.js";
import { rawRequest } from "./helpers.js";

describe("parseEmulatorArgs", () => {
  it("maps options to startEmulator options", () => {
    const options = emulatorOptionsFromCli(
      parseEmulatorArgs([
        "--preset",
        "large",
        "--envs",
        "3",
        "--releases",
        "0,0,1",
        "--latency",
        "realistic",
        "--throttle",
        "8",
        "--page-size",
        "1000",
        "--fault-rate",
        "0.1",
        "--modules-forbidden",
        "--seed",
        "9",
        "--port",
        "0",
      ])!,
    );
    expect(options).toMatchObject({ preset: "large", seed: 9, port: 0 });
    expect(options.environments).toEqual([
      { name: "env1", release: 0 },
      { name: "env2", release: 0 },
      { name: "env3", release: 1 },
    ]);
    expect(options.knobs).toMatchObject({
      latency: { baseMs: 80, perMbMs: 1250 },
      throttling: { enabled: true, maxConcurrent: 8 },
      pageSize: 1000,
      faults: { installedModulesForbidden: true, error500Rate: 0.05, error503Rate: 0.05 },
    });
  });

  it("entity data options: rows per set, particular sets, the /data page size", () => {
    const options = emulatorOptionsFromCli(
      parseEmulatorArgs([
        "--rows",
        "50",
        "--rows-by-set",
        "CustomersV3=100000,VendorsV2=5",
        "--data-page-size",
        "500",
      ])!,
    );
    expect(options.data).toEqual({ rowsPerEntity: 50, rowsBySet: { CustomersV3: 100000, VendorsV2: 5 } });
    expect(options.knobs).toEqual({ dataPageSize: 500 });
    expect(emulatorOptionsFromCli(parseEmulatorArgs([])!).data).toBeUndefined();
    expect(() => parseEmulatorArgs(["--rows-by-set", "CustomersV3"])).toThrow(ConfigurationError);
    expect(() => parseEmulatorArgs(["--data-page-size", "10001"])).toThrow(ConfigurationError);
  });

  it("a fixed latency in ms", () => {
    expect(emulatorOptionsFromCli(parseEmulatorArgs(["--latency", "50"])!).knobs).toEqual({
      latency: { baseMs: 50 },
    });
  });

  it("--help shows help instead of options", () => {
    expect(parseEmulatorArgs(["--help"])).toBeUndefined();
  });

  it.each([
    [["--preset", "huge"]],
    [["--envs", "0"]],
    [["--envs", "2", "--releases", "0,1,2"]],
    [["--fault-rate", "2"]],
    [["--latency", "slow"]],
    [["--client-id", "x"]],
    [["--bogus"]],
  ])("rejects %j with a ConfigurationError", (argv) => {
    expect(() => parseEmulatorArgs(argv)).toThrow(ConfigurationError);
  });
});

describe("emulator CLI process", () => {
  it("prints one JSON line, serves, and closes cleanly on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [
        "--conditions=d365fo-source",
        "--import",
        "tsx",
        "packages/emulator/src/cli.ts",
        "--preset",
        "tiny",
        "--envs",
        "2",
        "--releases",
        "0,1",
        "--page-size",
        "2",
        "--log-level",
        "warn",
      ],
      { cwd: process.cwd(), stdio: ["ignore", "pipe", "pipe"] },
    );
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    let stdout = "";
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await new Promise<string>((resolve, reject) => {
        lines.once("line", resolve);
        child.once("exit", () => reject(new Error("emulator exited before printing")));
      });
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      const info = JSON.parse(first);
      expect(Object.keys(info).sort()).toEqual(
        [
          "adminUrl",
          "authorityHost",
          "caCertificatePath",
          "clientId",
          "clientSecret",
          "environments",
          "tenantId",
          "tokenEndpoint",
        ].sort(),
      );
      expect(info.environments).toHaveLength(2);
      expect(info.environments[1].release).toMatch(/\+u1$/);
      const ca = readFileSync(info.caCertificatePath, "utf8");
      const token = await new Promise<string>((resolve, reject) => {
        const req = request(
          info.tokenEndpoint,
          { method: "POST", ca, headers: { "content-type": "application/x-www-form-urlencoded" } },
          (res) => {
            let body = "";
            res.on("data", (d: Buffer) => {
              body += d.toString();
            });
            res.on("end", () => resolve(JSON.parse(body).access_token));
          },
        );
        req.on("error", reject);
        req.end(
          new URLSearchParams({
            grant_type: "client_credentials",
            client_id: info.clientId,
            client_secret: info.clientSecret,
            scope: `${info.environments[0].baseUrl}/.default`,
          }).toString(),
        );
      });
      const res = await rawRequest(`${info.environments[0].baseUrl}/Metadata/DataEntities?$select=Name`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      expect(res.json().value).toHaveLength(2);
      expect(res.json()["@odata.nextLink"]).toBeDefined();
      const admin = await rawRequest(`${info.adminUrl}/environments`);
      expect(admin.json().map((e: { name: string }) => e.name)).toEqual(["env1", "env2"]);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(stdout).toBe("");
      expect(existsSync(info.caCertificatePath)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
