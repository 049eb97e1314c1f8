/**
 * `d365fo cache import [--from PATH] [--dry-run] [--json]`: imports the Python d365fo-client's
 * caches into this cache (or, with `--dry-run`, prints the plan). Without `--from`, every Python
 * cache found in the default locations is used. One JSON document with `--json`, else tables:
 * environments, versions (rows, labels, repairs, trust), warnings.
 */
import type { MigrationPlan, MigrationResult, PlannedVersion } from "d365fo-client";
import { MetadataMigrationManager } from "d365fo-client";
import type { CliContext } from "../context.js";
import { formatBytes, formatDuration, renderTable } from "../output.js";
import { openConfiguredStore } from "./cache.js";

export interface CacheImportOptions {
  from?: string;
  dryRun?: boolean;
}

interface SourceOutcome {
  path: string;
  plan: MigrationPlan;
  result?: MigrationResult;
}

const TRUST_TEXT: Record<string, string> = {
  imported: "trusted (module list confirmed at first check)",
  needsReverification: "NEEDS RE-VERIFICATION",
  legacy: "legacy v1 (unverified)",
};

function versionRow(v: PlannedVersion, result?: MigrationResult): (string | number)[] {
  const imported = result?.versions.find((i) => i.sourceVersionId === v.sourceVersionId);
  const repairs = [
    (imported?.repairs?.duplicateFixedConstraintsRemoved ?? v.repairs.duplicateFixedConstraints)
      ? `${imported?.repairs?.duplicateFixedConstraintsRemoved ?? v.repairs.duplicateFixedConstraints} duplicated constraints`
      : "",
    v.repairs.missingLabels ? `${v.repairs.missingLabels} labels missing` : "",
    v.repairs.moduleLinesRestoredAtFirstCheck ? "module lines checked live" : "",
  ].filter(Boolean);
  const action = imported ? imported.outcome : v.action;
  return [
    v.versionHash,
    v.layout === "v1"
      ? `${v.applicationVersion ?? "?"} / ${v.platformVersion ?? "?"}`
      : `${v.moduleCount} modules`,
    action,
    v.trust ? (TRUST_TEXT[v.trust] ?? v.trust) : "",
    imported ? imported.rowsWritten : v.counts.publicEntities + v.counts.dataEntities + v.counts.enumerations,
    imported ? imported.labels : v.counts.labels,
    repairs.join("; "),
    [...v.reasons, ...v.warnings].join("; "),
  ];
}

function render(outcomes: SourceOutcome[], dryRun: boolean): string {
  if (outcomes.length === 0) return "No Python d365fo-client cache found (use --from PATH).";
  const parts: string[] = [];
  for (const { path, plan, result } of outcomes) {
    parts.push(
      `${dryRun ? "Plan for" : "Imported from"} ${path} (${plan.source.layout}, ${formatBytes(plan.source.sizeBytes)})`,
    );
    parts.push(
      renderTable(
        ["environment", "action", "reason"],
        plan.environments.map((e) => [e.baseUrl, e.action, e.reason ?? ""]),
      ),
    );
    parts.push(
      renderTable(
        [
          "version",
          "modules",
          "action",
          "trust",
          dryRun ? "definitions" : "rows written",
          "labels",
          "repairs",
          "notes",
        ],
        plan.versions.map((v) => versionRow(v, result)),
      ),
    );
    for (const warning of result?.warnings ?? plan.warnings) parts.push(`warning: ${warning}`);
    parts.push(
      result
        ? `${result.message} ${result.rowsWritten} rows, ${result.labelsImported} labels in ${formatDuration(result.durationMs)}.`
        : `Would import ${plan.totals.environmentsToImport} environment(s), ${plan.totals.versionsToImport} version(s) (${plan.totals.sourceRowsToImport} rows, ${plan.totals.labelsToImport} labels); ${plan.totals.alreadyImported} already imported, ${plan.totals.skipped} skipped.`,
    );
  }
  return parts.join("\n");
}

export async function cacheImportCommand(ctx: CliContext, options: CacheImportOptions): Promise<number> {
  const dryRun = options.dryRun === true;
  const store = await openConfiguredStore(ctx);
  try {
    const manager = new MetadataMigrationManager({ store, logger: ctx.logger, locations: { env: ctx.env } });
    let paths: string[];
    if (options.from) {
      paths = [options.from];
    } else {
      const found = await manager.detectSources();
      for (const s of found.filter((s) => s.error)) {
        ctx.output.note(`d365fo: skipping ${s.path}: ${s.error?.message} [${s.error?.code}]`);
      }
      paths = found.filter((s) => !s.error).map((s) => s.path);
    }
    const outcomes: SourceOutcome[] = [];
    for (const path of paths) {
      if (dryRun) {
        outcomes.push({ path, plan: await manager.plan(path) });
      } else {
        const result = await manager.migrate(path, { signal: ctx.signal });
        outcomes.push({ path, plan: result.plan, result });
      }
    }
    ctx.output.result({ dryRun, sources: outcomes }, () => render(outcomes, dryRun));
    return 0;
  } finally {
    await store.close();
  }
}
