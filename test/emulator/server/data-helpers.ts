/** Helpers for the `/data` tests: an emulator on the generated `tiny` release and typed requests. */

import { silentLogger } from "../../../packages/client/src/logging.js";
import type {
  PublicEntityJson,
  PublicEntityPropertyJson,
} from "../../../packages/client/src/metadata/wire.js";
import type { DataOptions, KnobsPatch, RunningEmulator } from "../../../packages/emulator/src/api.js";
import { startEmulator } from "../../../packages/emulator/src/index.js";
import { call, type RawResponse } from "./helpers.js";

export function startDataEmulator(options: { data?: DataOptions; knobs?: KnobsPatch; seed?: number } = {}) {
  return startEmulator({ logger: silentLogger, preset: "tiny", ...options });
}

export function entity(emulator: RunningEmulator, set: string): PublicEntityJson {
  const found = emulator.environments[0].release.publicEntities.find((e) => e.EntitySetName === set);
  if (!found) throw new Error(`no entity set ${set} in the tiny release`);
  return found;
}

/** GET a path (query text encoded like a client would) and parse the JSON body. */
export function get(
  emulator: RunningEmulator,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return call(emulator, encodePath(path), { headers });
}

export function send(
  emulator: RunningEmulator,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return call(emulator, encodePath(path), {
    method,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    headers: { "content-type": "application/json", ...headers },
  });
}

/** Encodes spaces, quotes and the like in a readable path (`?$filter=A eq 'x'`). */
export function encodePath(path: string): string {
  return encodeURI(path).replace(/'/g, "%27");
}

/** A value a client would send for a property of this DataType (not empty, so mandatory checks pass). */
export function sampleValue(p: PublicEntityPropertyJson, emulator: RunningEmulator, n = 1): unknown {
  switch (p.DataType) {
    case "String":
      return `T-${n}`.slice(0, 4);
    case "Int32":
    case "Time":
      return 7 + n;
    case "Int64":
      return 5637144576 + n;
    case "Real":
      return 12.5 + n;
    case "Date":
      return "2026-03-01T12:00:00Z";
    case "UtcDateTime":
      return "2026-03-01T08:30:00Z";
    case "Guid":
      return "0f8fad5b-d9cb-469f-a165-70867728950e";
    case "Enum": {
      const name = p.TypeName.split(".").pop();
      const members =
        emulator.environments[0].release.enumerations.find((e) => e.Name === name)?.Members ?? [];
      return (members.find((m) => m.Value !== 0) ?? members[0])?.Name;
    }
    default:
      return "";
  }
}

/** A valid create body: every key (except dataAreaId) and every mandatory field. */
export function validCreateBody(
  emulator: RunningEmulator,
  set: string,
  account: string,
): Record<string, unknown> {
  const e = entity(emulator, set);
  const body: Record<string, unknown> = {};
  for (const p of e.Properties) {
    if (p.Name === "dataAreaId") continue;
    if (p.IsKey) body[p.Name] = account;
    else if (p.IsMandatory) body[p.Name] = sampleValue(p, emulator);
  }
  return body;
}
