/**
 * Validation of entity writes the way F&O answers them (protocol §5.5, §8.4): the OData
 * deserializer rejects unknown properties and unconvertible values with 400 (`ODataException`);
 * X++ validation (mandatory fields, fields not editable, unknown company, duplicate keys) fails
 * with 500 and the Infolog text in an `AxODataWriteException`. Pure apart from the store reads.
 */
import type { PublicEntityPropertyJson } from "d365fo-client";
import type { EmulatorRelease } from "../../model/types.js";
import { odataError } from "../responses.js";
import type { ResponseBody } from "../send.js";
import type { DataStore, StoredRow } from "./store.js";
import { COMPANY_FIELD, type EntityTable } from "./table.js";
import { convertIncoming, emptyValue, type FieldValue, isUnfilled, type Row } from "./values.js";

const WRITE_EXCEPTION = "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException";
const ODATA_EXCEPTION = "Microsoft.OData.ODataException";
const NAMESPACE = "Microsoft.Dynamics.DataEntities";

/** A write the service refuses: the HTTP status and the D365 error body. */
export class WriteRejected extends Error {
  constructor(
    readonly status: number,
    readonly body: ResponseBody,
    message: string,
  ) {
    super(message);
    this.name = "WriteRejected";
  }
}

export function badRequest(message: string): WriteRejected {
  return new WriteRejected(400, odataError(message, { message, type: ODATA_EXCEPTION }), message);
}

const STACK = {
  create:
    "   at Microsoft.Dynamics.Platform.Integration.Services.OData.Update.UpdateProcessor.CreateEntity_Save(…)",
  update:
    "   at Microsoft.Dynamics.Platform.Integration.Services.OData.Update.UpdateProcessor.UpdateEntity_Save(…)",
  delete:
    "   at Microsoft.Dynamics.Platform.Integration.Services.OData.Update.UpdateProcessor.DeleteEntity(…)",
};

function infologFailure(
  release: EmulatorRelease,
  table: EntityTable,
  kind: keyof typeof STACK,
  lines: string[],
): WriteRejected {
  const what = kind === "delete" ? "Delete" : "Write";
  const message = `${what} failed for table row of type '${dataEntityNameIn(release, table)}'. Infolog: ${lines.join("; ")}.`;
  return new WriteRejected(
    500,
    odataError("An error has occurred.", { message, type: WRITE_EXCEPTION, stacktrace: STACK[kind] }),
    message,
  );
}

const dataEntityNames = new WeakMap<EmulatorRelease, Map<string, string>>();

/** The AOT name of the entity (`CustCustomerV3Entity`), as X++ Infolog messages name it. */
function dataEntityNameIn(release: EmulatorRelease, table: EntityTable): string {
  let names = dataEntityNames.get(release);
  if (!names) {
    names = new Map();
    for (const d of release.dataEntities) if (d.PublicEntityName) names.set(d.PublicEntityName, d.Name);
    dataEntityNames.set(release, names);
  }
  return names.get(table.entity.Name) ?? `${table.entity.Name}Entity`;
}

export class WriteValidator {
  constructor(
    private readonly store: DataStore,
    private readonly release: EmulatorRelease,
  ) {}

  private label(labelId: string | null, fallback: string): string {
    if (labelId === null) return fallback;
    return this.release.labels.get("en-us")?.get(labelId) ?? fallback;
  }

  private fieldLabel(p: PublicEntityPropertyJson): string {
    return this.label(p.LabelId, p.Name);
  }

  /** The entity must accept writes at all (IsReadOnly entities do not). */
  checkWritable(table: EntityTable, operation: string): void {
    if (table.entity.IsReadOnly) {
      throw badRequest(`The entity '${table.entity.Name}' is read-only: ${operation} is not allowed.`);
    }
  }

  /** The body's properties converted to stored values (400 on unknown fields or bad literals). */
  private convert(table: EntityTable, body: unknown): Row {
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw badRequest("The request body must be a JSON object with the entity's properties.");
    }
    const out: Row = {};
    for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
      if (name === "@odata.type") {
        if (value !== `#${NAMESPACE}.${table.entity.Name}`) {
          throw badRequest(
            `A type named '${String(value)}' could not be resolved by the model for this entity set.`,
          );
        }
        continue;
      }
      if (name.startsWith("@") || name.includes("@odata.")) continue;
      const property = table.properties.get(name);
      if (!property) {
        const navigation = table.entity.NavigationProperties.some((n) => n.Name === name);
        throw badRequest(
          navigation
            ? `Deep insert and update through the navigation property '${name}' are not supported.`
            : `The property '${name}' does not exist on type '${NAMESPACE}.${table.entity.Name}'. Make sure to only use property names that are defined by the type.`,
        );
      }
      if (value === null) {
        if (property.IsKey || property.IsMandatory) {
          throw badRequest(
            `A null value was found for the property named '${name}', which has the expected type '${property.TypeName}[Nullable=False]'. The expected type '${property.TypeName}[Nullable=False]' does not allow null values.`,
          );
        }
        out[name] = emptyValue(property, table.enumMembersOf(property));
        continue;
      }
      const converted = convertIncoming(property, value, table.enumMembersOf(property));
      if (!converted.ok) throw badRequest(converted.message);
      out[name] = converted.value;
    }
    return out;
  }

  private mandatoryFailures(table: EntityTable, row: Row): string[] {
    const lines: string[] = [];
    for (const p of table.entity.Properties) {
      if (!p.IsMandatory && !p.IsKey) continue;
      const zero = table.enumMembersOf(p)?.[0];
      if (isUnfilled(p, row[p.Name] as FieldValue, zero))
        lines.push(`Warning: Field '${this.fieldLabel(p)}' must be filled in`);
    }
    return lines;
  }

  private checkCompany(table: EntityTable, row: Row, kind: "create" | "update"): void {
    if (!table.companySpecific) return;
    const company = String(row[COMPANY_FIELD]).toLowerCase();
    if (!this.store.companies.includes(company)) {
      throw infologFailure(this.release, table, kind, [
        `Error: Company '${row[COMPANY_FIELD]}' does not exist`,
      ]);
    }
    row[COMPANY_FIELD] = company;
  }

  /** The row to insert for a POST body. */
  create(table: EntityTable, body: unknown): Row {
    this.checkWritable(table, "create");
    const given = this.convert(table, body);
    const lines: string[] = [];
    for (const name of Object.keys(given)) {
      const p = table.properties.get(name) as PublicEntityPropertyJson;
      if (!p.AllowEditOnCreate && !p.IsKey) {
        lines.push(`Error: Field '${this.fieldLabel(p)}' (${p.Name}) cannot be set when a record is created`);
      }
    }
    const row: Row = {};
    for (const p of table.entity.Properties) {
      row[p.Name] = given[p.Name] ?? emptyValue(p, table.enumMembersOf(p));
    }
    // Company-specific rows default to the caller's company (protocol §1.3).
    if (table.companySpecific && (given[COMPANY_FIELD] === undefined || given[COMPANY_FIELD] === "")) {
      row[COMPANY_FIELD] = this.store.defaultCompany;
    }
    lines.push(...this.mandatoryFailures(table, row));
    if (lines.length > 0) throw infologFailure(this.release, table, "create", lines);
    this.checkCompany(table, row, "create");
    if (this.store.find(table, row) !== undefined) {
      const keyText = table.keys
        .filter((k) => k.Name !== COMPANY_FIELD)
        .map((k) => `${this.fieldLabel(k)}: ${row[k.Name]}`)
        .join(", ");
      const entityLabel = this.label(table.entity.LabelId, table.entity.Name);
      const company = table.companySpecific ? `, ${row[COMPANY_FIELD]}` : "";
      throw infologFailure(this.release, table, "create", [
        `Error: Cannot create a record in ${entityLabel} (${dataEntityNameIn(this.release, table)}). ${keyText}${company}. The record already exists`,
      ]);
    }
    return row;
  }

  /** The row after a PATCH (`replace` false) or PUT (`replace` true) of `current`. */
  update(table: EntityTable, current: StoredRow, body: unknown, replace: boolean): Row {
    this.checkWritable(table, "update");
    const given = this.convert(table, body);
    const row: Row = { ...current.values };
    const lines: string[] = [];
    for (const p of table.entity.Properties) {
      const value = given[p.Name];
      if (value === undefined) {
        // PUT resets what the body leaves out, except what cannot be edited.
        if (replace && p.AllowEdit && !p.IsKey) row[p.Name] = emptyValue(p, table.enumMembersOf(p));
        continue;
      }
      const unchanged =
        typeof value === "string" && typeof current.values[p.Name] === "string"
          ? p.IsKey
            ? value.toLowerCase() === String(current.values[p.Name]).toLowerCase()
            : value === current.values[p.Name]
          : value === current.values[p.Name];
      if (unchanged) continue;
      if (p.IsKey || !p.AllowEdit) {
        lines.push(`Error: Field '${this.fieldLabel(p)}' (${p.Name}) cannot be edited`);
        continue;
      }
      row[p.Name] = value;
    }
    lines.push(...this.mandatoryFailures(table, row));
    if (lines.length > 0) throw infologFailure(this.release, table, "update", lines);
    return row;
  }

  checkDelete(table: EntityTable): void {
    this.checkWritable(table, "delete");
  }
}
