/**
 * Per-environment behaviour knobs: defaults (everything off, for tests), the "realistic" profile of
 * protocol §5.6, and validated merging of patches (patches arrive from the admin route as JSON).
 */

import { ConfigurationError } from "d365fo-client";
import { z } from "zod";
import type { DataOptions, EnvironmentKnobs, KnobsPatch } from "../api.js";

/** All latency zero, no throttling, no faults, one page per collection. */
export const DEFAULT_KNOBS: Readonly<EnvironmentKnobs> = Object.freeze({
  latency: Object.freeze({ baseMs: 0, jitterMs: 0, perMbMs: 0, actionMs: 0, firstRequestMs: 0, writeMs: 0 }),
  throttling: Object.freeze({
    enabled: false,
    maxConcurrent: 0,
    ratePerSecond: 0,
    burst: 0,
    retryAfterSeconds: 1,
    retryAfterGrowth: 2,
    maxRetryAfterSeconds: 60,
    omitRetryAfter: false,
    randomRate: 0,
  }),
  faults: Object.freeze({
    error500Rate: 0,
    error503Rate: 0,
    resetRate: 0,
    truncateRate: 0,
    stallRate: 0,
    stallMs: 0,
    installedModulesForbidden: false,
  }),
  pageSize: 0,
  dataPageSize: 10_000,
  honourMaxPageSize: false,
}) as Readonly<EnvironmentKnobs>;

/**
 * A sandbox-like profile (protocol §5.6, §5.1): 80–300 ms per small GET, actions 0.5–1.5 s
 * (GetInstalledModules ~1 s), ~1.25 s per MiB of payload (the ~46 MiB `large` PublicEntities takes
 * ~1 min, as reported for a real tenant), a 3 s warm-up on the first request, and resource-based
 * throttling with a growing Retry-After.
 *
 * Resource-based throttling (the only kind since 10.0.36, §5.1) reacts to the web server's
 * utilisation, not to a per-user quota; a single bulk client raises utilisation by the requests it
 * keeps in flight, so it is modelled as a concurrency ceiling. `strictUserLimits` adds the historic
 * per-user limits of §5.2 (52 concurrent, 6,000 requests per 300 s = 20/s), which clients still size
 * themselves against; with them a `large` label sync (~27,000 requests) takes over 20 minutes.
 */
export function realisticKnobs(options: { strictUserLimits?: boolean } = {}): KnobsPatch {
  const strict = options.strictUserLimits === true;
  return {
    latency: { baseMs: 80, jitterMs: 220, perMbMs: 1250, actionMs: 900, firstRequestMs: 3000, writeMs: 40 },
    throttling: {
      enabled: true,
      maxConcurrent: strict ? 52 : 24,
      ratePerSecond: strict ? 20 : 0,
      burst: strict ? 60 : 0,
      retryAfterSeconds: 5,
      retryAfterGrowth: 2,
      maxRetryAfterSeconds: 120,
      omitRetryAfter: false,
      // Resource-based 429s follow load, not chance: random storms are a fault knob for tests.
      randomRate: 0,
    },
  };
}

const rate = z.number().min(0).max(1);
const nonNegative = z.number().min(0).finite();

const knobsPatchSchema = z
  .object({
    latency: z
      .object({
        baseMs: nonNegative,
        jitterMs: nonNegative,
        perMbMs: nonNegative,
        actionMs: nonNegative,
        firstRequestMs: nonNegative,
        writeMs: nonNegative,
      })
      .partial()
      .strict()
      .optional(),
    throttling: z
      .object({
        enabled: z.boolean(),
        maxConcurrent: z.number().int().min(0),
        ratePerSecond: nonNegative,
        burst: nonNegative,
        retryAfterSeconds: nonNegative,
        retryAfterGrowth: z.number().min(1).finite(),
        maxRetryAfterSeconds: nonNegative,
        omitRetryAfter: z.boolean(),
        randomRate: rate,
      })
      .partial()
      .strict()
      .optional(),
    faults: z
      .object({
        error500Rate: rate,
        error503Rate: rate,
        resetRate: rate,
        truncateRate: rate,
        stallRate: rate,
        stallMs: nonNegative,
        installedModulesForbidden: z.boolean(),
        pathPattern: z
          .string()
          .refine(
            (source) => {
              try {
                new RegExp(source);
                return true;
              } catch {
                return false;
              }
            },
            { message: "not a valid regular expression" },
          )
          .optional(),
      })
      .partial()
      .strict()
      .optional(),
    pageSize: z.number().int().min(0).optional(),
    dataPageSize: z.number().int().min(1).max(10_000).optional(),
    honourMaxPageSize: z.boolean().optional(),
  })
  .strict();

/** Validates untrusted input (admin route, CLI) as a KnobsPatch; throws ConfigurationError. */
export function parseKnobsPatch(input: unknown): KnobsPatch {
  const result = knobsPatchSchema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map(
      (issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
    throw new ConfigurationError(`Invalid emulator knobs: ${issues.join("; ")}`);
  }
  return result.data as KnobsPatch;
}

export function cloneKnobs(knobs: Readonly<EnvironmentKnobs>): EnvironmentKnobs {
  return {
    latency: { ...knobs.latency },
    throttling: { ...knobs.throttling },
    faults: { ...knobs.faults },
    pageSize: knobs.pageSize,
    dataPageSize: knobs.dataPageSize ?? 10_000,
    honourMaxPageSize: knobs.honourMaxPageSize ?? false,
  };
}

/** Returns a new knobs object: `base` with `patch` applied (patch validated first). */
export function applyKnobsPatch(
  base: Readonly<EnvironmentKnobs>,
  patch: KnobsPatch | undefined,
): EnvironmentKnobs {
  const knobs = cloneKnobs(base);
  if (!patch) return knobs;
  const valid = parseKnobsPatch(patch);
  Object.assign(knobs.latency, valid.latency);
  Object.assign(knobs.throttling, valid.throttling);
  Object.assign(knobs.faults, valid.faults);
  if (valid.pageSize !== undefined) knobs.pageSize = valid.pageSize;
  if (valid.dataPageSize !== undefined) knobs.dataPageSize = valid.dataPageSize;
  if (valid.honourMaxPageSize !== undefined) knobs.honourMaxPageSize = valid.honourMaxPageSize;
  return knobs;
}

const dataOptionsSchema = z
  .object({
    rowsPerEntity: z.number().int().min(0),
    rowsBySet: z.record(z.string(), z.number().int().min(0)),
    companies: z.array(z.string().regex(/^[A-Za-z0-9]{1,4}$/)).min(1),
    defaultCompany: z.string().regex(/^[A-Za-z0-9]{1,4}$/),
  })
  .partial()
  .strict();

/** Validates untrusted input (admin route, CLI) as DataOptions; `{}` keeps the current ones. */
export function parseDataOptions(input: unknown): DataOptions | undefined {
  const result = dataOptionsSchema.safeParse(input ?? {});
  if (!result.success) {
    const issues = result.error.issues.map(
      (issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
    throw new ConfigurationError(`Invalid emulator data options: ${issues.join("; ")}`);
  }
  return Object.keys(result.data).length === 0 ? undefined : result.data;
}
