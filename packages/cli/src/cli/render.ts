/**
 * Human-readable views of command results. Pure: data in, text out (the JSON form of the same
 * results is the data itself).
 */
import type {
  CacheCleanupResult,
  CacheStatistics,
  EnumerationView,
  EnvironmentComparison,
  EnvironmentVersionInfo,
  PublicEntityView,
  SearchResultPage,
  SyncResult,
} from "d365fo-client";
import { formatBytes, formatDuration, formatPercent, renderKeyValues, renderTable } from "./output.js";
import type { ProfileSummary } from "./profiles.js";

export function renderProfiles(profiles: ProfileSummary[]): string {
  if (profiles.length === 0)
    return "No profiles. Add one with 'd365fo profile add <name> --base-url <url> …'.";
  return renderTable(
    ["default", "name", "base URL", "tenant", "client", "secret"],
    profiles.map((p) => [
      p.default ? "*" : "",
      p.name,
      p.baseUrl,
      p.tenantId ?? "",
      p.clientId ?? "",
      p.secret === "env" && p.clientSecretEnv ? `env (${p.clientSecretEnv})` : p.secret,
    ]),
  );
}

export interface VersionReport {
  baseUrl: string;
  moduleCount: number;
  modulesHash: string;
  versionHash: string;
  applicationVersion: string | null;
  applicationBuildVersion: string | null;
  platformVersion: string | null;
  computedAt: string;
  /** How far the stored version is trusted (`--cached`); absent for a live detection. */
  trust?: string;
  /** False while the version is served schema first (label texts still being fetched); `--cached` only. */
  labelsComplete?: boolean;
  modules?: { moduleId: string; name: string; version: string; publisher: string; displayName: string }[];
}

export function versionReport(
  baseUrl: string,
  info: EnvironmentVersionInfo,
  withModules: boolean,
): VersionReport {
  const report: VersionReport = {
    baseUrl,
    moduleCount: info.modules.length,
    modulesHash: info.modulesHash,
    versionHash: info.versionHash,
    applicationVersion: info.applicationVersion,
    applicationBuildVersion: info.applicationBuildVersion,
    platformVersion: info.platformVersion,
    computedAt: info.computedAt.toISOString(),
    ...(info.trust === undefined ? {} : { trust: info.trust }),
    ...(info.labelsComplete === undefined ? {} : { labelsComplete: info.labelsComplete }),
  };
  if (withModules) {
    report.modules = [...info.modules]
      .sort((a, b) => (a.moduleId < b.moduleId ? -1 : a.moduleId > b.moduleId ? 1 : 0))
      .map((m) => ({
        moduleId: m.moduleId,
        name: m.name,
        version: m.version,
        publisher: m.publisher,
        displayName: m.displayName,
      }));
  }
  return report;
}

export function renderVersion(report: VersionReport): string {
  const head = renderKeyValues([
    ["Environment", report.baseUrl],
    ["Modules", report.moduleCount],
    ["Modules hash", report.modulesHash],
    ["Version hash", report.versionHash],
    ["Application", report.applicationVersion],
    ["Application build", report.applicationBuildVersion],
    ["Platform", report.platformVersion],
    ...(report.trust && report.trust !== "verified"
      ? ([["Trust", `${report.trust} (imported from the Python d365fo-client cache)`]] as [string, string][])
      : []),
    ...(report.labelsComplete === false
      ? ([["Labels", "still being fetched (schema first: label texts show as their ids)"]] as [
          string,
          string,
        ][])
      : []),
  ]);
  if (!report.modules) return head;
  const table = renderTable(
    ["module", "name", "display name", "version", "publisher"],
    report.modules.map((m) => [m.moduleId, m.name, m.displayName, m.version, m.publisher]),
  );
  return `${head}\n\n${table}`;
}

export function renderSyncResult(baseUrl: string, result: SyncResult): string {
  const pairs: [string, string | number | boolean | null | undefined][] = [
    ["Environment", baseUrl],
    ["Outcome", result.outcome + (result.shared ? " (metadata shared with another environment)" : "")],
    ["Strategy", result.strategy],
    ["Version hash", result.versionHash],
    ["Requests", result.requests],
    ["Received", formatBytes(result.bytesReceived)],
    ["Rows written", result.metadataRowsWritten],
    ["Labels fetched", result.labelsFetched],
  ];
  if (result.skippedPhases.length) pairs.push(["Skipped phases", result.skippedPhases.join(", ")]);
  if (result.differences) {
    const d = result.differences;
    pairs.push([
      "Differences",
      `${d.dataEntities} data entities, ${d.publicEntities} public entities, ${d.enumerations} enumerations, ${d.labels} labels`,
    ]);
  }
  if (result.labelsUnresolved > 0) {
    pairs.push([
      "Unresolved labels",
      `${result.labelsUnresolved} (HTTP 500 each time; asked again next sync)`,
    ]);
  }
  if (result.waitedMs > 0) pairs.push(["Waited for another sync", formatDuration(result.waitedMs)]);
  pairs.push(["Duration", formatDuration(result.durationMs)]);
  return renderKeyValues(pairs);
}

export function renderSearch(page: SearchResultPage): string {
  if (page.hits.length === 0) {
    return page.terms.length === 0
      ? "Nothing to search for."
      : `No matches for ${JSON.stringify(page.query)}.`;
  }
  const table = renderTable(
    ["kind", "name", "label", "why"],
    page.hits.map((hit) => [
      hit.kind,
      hit.memberName ? `${hit.name}.${hit.memberName}` : hit.name,
      hit.labelText ?? hit.labelId ?? "",
      hit.reason,
    ]),
  );
  const shown = `${page.offset + 1}-${page.offset + page.hits.length}`;
  return `${table}\n${shown} of ${page.total} matches`;
}

function typeRef(ref: { typeName: string; isCollection: boolean } | null): string {
  if (!ref) return "void";
  return ref.isCollection ? `Collection(${ref.typeName})` : ref.typeName;
}

export function renderEntity(entity: PublicEntityView): string {
  const keys = entity.properties.filter((p) => p.isKey).map((p) => p.name);
  const head = renderKeyValues([
    ["Entity", entity.name],
    ["Entity set", entity.entitySetName],
    ["Label", entity.labelText ? `${entity.labelText} (${entity.labelId})` : entity.labelId],
    ["Read-only", entity.isReadOnly],
    ["Keys", keys.join(", ") || "-"],
  ]);
  const sections = [head];
  sections.push(
    `Properties (${entity.properties.length})\n${renderTable(
      ["name", "type", "label", "key", "mandatory", "editable"],
      entity.properties.map((p) => [
        p.name,
        p.dataType === "Enum"
          ? `Enum ${p.typeName}`
          : p.typeName === p.dataType
            ? p.dataType
            : `${p.typeName} (${p.dataType})`,
        p.labelText ?? p.labelId ?? "",
        p.isKey ? "yes" : "",
        p.isMandatory ? "yes" : "",
        p.allowEdit ? "yes" : "",
      ]),
    )}`,
  );
  const enums = [
    ...new Set(entity.properties.filter((p) => p.dataType === "Enum").map((p) => p.typeName)),
  ].sort();
  if (enums.length) sections.push(`Enum types: ${enums.join(", ")}`);
  if (entity.navigationProperties.length) {
    sections.push(
      `Navigation (${entity.navigationProperties.length})\n${renderTable(
        ["name", "related entity", "cardinality", "constraints"],
        entity.navigationProperties.map((n) => [
          n.name,
          n.relatedEntity,
          n.cardinality,
          n.constraints
            .map((c) =>
              c.kind === "Referential"
                ? `${c.property} = ${c.referencedProperty}`
                : c.kind === "Fixed"
                  ? `${c.property} = ${c.valueStr ?? c.value}`
                  : `related ${c.relatedProperty} = ${c.valueStr ?? c.value}`,
            )
            .join("; "),
        ]),
      )}`,
    );
  }
  if (entity.actions.length) {
    sections.push(
      `Actions (${entity.actions.length})\n${renderTable(
        ["name", "binding", "parameters", "returns"],
        entity.actions.map((a) => [
          a.name,
          a.bindingKind,
          a.parameters.map((p) => `${p.name}: ${typeRef(p.type)}`).join(", "),
          typeRef(a.returnType),
        ]),
      )}`,
    );
  }
  return sections.join("\n\n");
}

export function renderEnumeration(enumeration: EnumerationView): string {
  const head = renderKeyValues([
    ["Enumeration", enumeration.name],
    [
      "Label",
      enumeration.labelText ? `${enumeration.labelText} (${enumeration.labelId})` : enumeration.labelId,
    ],
  ]);
  // A member whose configuration key is off exists in metadata but cannot be used in this
  // environment; say so instead of listing it like the others.
  const disabled = enumeration.members.filter((m) => m.configurationEnabled === false).length;
  const table = renderTable(
    ["value", "name", "label"],
    enumeration.members.map((m) => [
      m.value,
      m.configurationEnabled === false ? `${m.name} (disabled)` : m.name,
      m.labelText ?? m.labelId ?? "",
    ]),
  );
  const note = disabled
    ? `\n\n${disabled} member(s) marked (disabled): their configuration key is off in this environment`
    : "";
  return `${head}\n\n${table}${note}`;
}

export function renderComparison(
  nameA: string,
  nameB: string,
  comparison: EnvironmentComparison,
  limits: { rows?: number; names?: number; moreHint?: string } = {},
): string {
  const moreHint = limits.moreHint ?? " (use --json for all)";
  const maxRows = limits.rows ?? 50;
  const maxNames = limits.names ?? 20;
  const side = (s: EnvironmentComparison["a"]) =>
    `${s.versionHash} (${s.moduleCount} modules, application ${s.applicationVersion ?? "?"}, platform ${s.platformVersion ?? "?"})`;
  const lines = [
    renderKeyValues([
      [nameA, `${comparison.a.baseUrl} ${side(comparison.a)}`],
      [nameB, `${comparison.b.baseUrl} ${side(comparison.b)}`],
      ["Same version", comparison.sameVersion],
    ]),
  ];
  const m = comparison.modules;
  lines.push(
    `Modules: ${m.added.length} added, ${m.removed.length} removed, ${m.changed.length} changed, ${m.unchangedCount} unchanged`,
  );
  if (m.changed.length) {
    lines.push(
      renderTable(
        ["module", nameA, nameB, "change"],
        m.changed
          .slice(0, maxRows)
          // One module can ship several models (ApplicationSuite ships Foundation too): name the model.
          .map((c) => [
            c.name && c.name !== c.moduleId ? `${c.moduleId} (${c.name})` : c.moduleId,
            c.fromVersion,
            c.toVersion,
            c.direction,
          ]),
      ) + (m.changed.length > maxRows ? `\n… and ${m.changed.length - maxRows} more${moreHint}` : ""),
    );
  }
  if (m.added.length) lines.push(`Modules only in ${nameB}: ${m.added.map((x) => x.moduleId).join(", ")}`);
  if (m.removed.length)
    lines.push(`Modules only in ${nameA}: ${m.removed.map((x) => x.moduleId).join(", ")}`);
  const e = comparison.publicEntities;
  lines.push(
    `Public entities: ${e.added.length} added, ${e.removed.length} removed, ${e.changed.length} changed, ${e.unchangedCount} unchanged`,
  );
  const list = (title: string, names: string[]) => {
    if (names.length === 0) return;
    const shown = names.slice(0, maxNames).join(", ");
    lines.push(`${title}: ${shown}${names.length > maxNames ? `, … (${names.length - maxNames} more)` : ""}`);
  };
  list(`Entities only in ${nameB}`, e.added);
  list(`Entities only in ${nameA}`, e.removed);
  if (e.changed.length) {
    lines.push(
      renderTable(
        ["entity", "properties +", "properties -", "properties changed", "other"],
        e.changed
          .slice(0, maxRows)
          .map((c) => [
            c.name,
            c.propertiesAdded.join(", "),
            c.propertiesRemoved.join(", "),
            c.propertiesChanged.map((p) => `${p.name} (${p.fields.join(", ")})`).join(", "),
            [
              ...c.fieldsChanged,
              ...c.navigationPropertiesAdded.map((n) => `+nav ${n}`),
              ...c.navigationPropertiesRemoved.map((n) => `-nav ${n}`),
              ...c.actionsAdded.map((a) => `+action ${a}`),
              ...c.actionsRemoved.map((a) => `-action ${a}`),
            ].join(", "),
          ]),
      ) + (e.changed.length > maxRows ? `\n… and ${e.changed.length - maxRows} more${moreHint}` : ""),
    );
  }
  return lines.join("\n\n");
}

export function renderStatistics(stats: CacheStatistics, location: string | undefined): string {
  const pairs: [string, string | number | null][] = [];
  if (location) pairs.push(["Cache", location]);
  pairs.push(
    ["Environments", stats.totalEnvironments],
    ["Versions in use", stats.uniqueVersions],
    ["Versions shared", `${stats.sharedVersions} (serving more than one environment)`],
    ["Versions stored", stats.storedVersions],
    ["Metadata stored once", formatBytes(stats.storage.metadataBytes)],
    ["One copy per environment", formatBytes(stats.storage.perEnvironmentCopyBytes)],
    ["Saved by sharing", formatPercent(stats.storageEfficiency)],
    ["Database size", formatBytes(stats.storage.totalBytes)],
  );
  const imported = (["imported", "needsReverification", "legacy"] as const).filter(
    (t) => stats.versionsByTrust?.[t],
  );
  if (imported.length) {
    pairs.push([
      "Imported (Python cache)",
      imported.map((t) => `${stats.versionsByTrust[t]} ${t}`).join(", "),
    ]);
  }
  if (stats.versionsNeedingReverification?.length) {
    pairs.push([
      "Needs re-verification",
      `${stats.versionsNeedingReverification.join(", ")} (the next sync re-verifies)`,
    ]);
  }
  if (stats.versionsWithLabelsPending?.length) {
    pairs.push([
      "Labels being fetched",
      `${stats.versionsWithLabelsPending.join(", ")} (served schema first: label texts show as their ids)`,
    ]);
  }
  const versions = Object.entries(stats.versionDistribution);
  const syncs = Object.entries(stats.lastSyncTimes);
  const sections = [renderKeyValues(pairs)];
  if (versions.length) {
    sections.push(
      renderTable(
        ["version", "environments"],
        versions.map(([hash, count]) => [hash, count]),
      ),
    );
  }
  if (syncs.length) {
    sections.push(
      renderTable(
        ["environment", "last sync"],
        syncs.map(([url, at]) => [url, at ? new Date(at).toISOString() : "never"]),
      ),
    );
  }
  return sections.join("\n\n");
}

export function renderCleanup(result: CacheCleanupResult): string {
  const verb = result.dryRun ? "Would remove" : "Removed";
  const versions = result.versionHashes.length ? `: ${result.versionHashes.join(", ")}` : "";
  return [
    `${verb} ${result.versionHashes.length} unused version(s) last used before ${result.cutoff.toISOString()}${versions}`,
    `${verb} ${result.definitionsDeleted} definition(s) and ${result.labelsDeleted} label text(s)`,
  ].join("\n");
}
