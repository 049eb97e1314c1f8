/** A hand-made CustomersV3-like schema for the pure tests of the data client. */
import type { EntitySchema } from "../../packages/client/src/data/schema.js";
import type { EntityProperty } from "../../packages/client/src/metadata/models.js";
import { entityProperty } from "../_fixtures/models.js";

const properties: EntityProperty[] = [
  entityProperty("dataAreaId", { isKey: true, isMandatory: true, allowEdit: false }),
  entityProperty("CustomerAccount", { isKey: true, isMandatory: true, allowEdit: false }),
  entityProperty("Name", { isMandatory: true }),
  entityProperty("PaymentTerms", {
    isMandatory: true,
    dataType: "Enum",
    typeName: "Microsoft.Dynamics.DataEntities.CustAccountStatement",
  }),
  entityProperty("CustomerGroupId"),
  entityProperty("CreditLimit", { dataType: "Real", typeName: "Edm.Decimal" }),
  entityProperty("InvoiceCopyCount", { dataType: "Int32", typeName: "Edm.Int32" }),
  entityProperty("PartyRecId", { dataType: "Int64", typeName: "Edm.Int64", allowEdit: false }),
  entityProperty("LastInvoiceDate", { dataType: "Date", typeName: "Edm.DateTimeOffset" }),
  entityProperty("ModifiedDateTime", {
    dataType: "UtcDateTime",
    typeName: "Edm.DateTimeOffset",
    allowEdit: false,
    allowEditOnCreate: false,
  }),
  entityProperty("ElectronicInvoiceGuid", { dataType: "Guid", typeName: "Edm.Guid" }),
  entityProperty("AccountStatement", {
    dataType: "Enum",
    typeName: "Microsoft.Dynamics.DataEntities.CustAccountStatement",
  }),
  entityProperty("Blocked", { dataType: "Enum", typeName: "Microsoft.Dynamics.DataEntities.NoYes" }),
  entityProperty("CustomerImage", { dataType: "Container", typeName: "Edm.Binary" }),
];

export const customers: EntitySchema = {
  entitySet: "CustomersV3",
  entityName: "CustomerV3",
  isReadOnly: false,
  properties: new Map(properties.map((p) => [p.name, p])),
  keys: ["dataAreaId", "CustomerAccount"],
  navigations: new Map([
    [
      "CustomerGroup",
      {
        name: "CustomerGroup",
        relatedEntity: "CustomerGroup",
        relatedRelationName: null,
        cardinality: "Single",
        constraints: [],
      },
    ],
  ]),
  actions: [
    {
      name: "CalculateTotals",
      bindingKind: "BoundToEntityInstance",
      fieldLookup: null,
      parameters: [{ name: "Currency", type: { typeName: "Edm.String", isCollection: false } }],
      returnType: { typeName: "Edm.Decimal", isCollection: false },
    },
    {
      name: "RecalculateAll",
      bindingKind: "BoundToEntitySet",
      fieldLookup: null,
      parameters: [],
      returnType: null,
    },
  ],
  enumMembers: new Map([
    ["CustAccountStatement", ["Always", "Quarter", "Never"]],
    ["NoYes", ["No", "Yes"]],
  ]),
  enumEmptyMembers: new Map([
    ["CustAccountStatement", "Always"],
    ["NoYes", "No"],
  ]),
};

export const readOnlyNotifications: EntitySchema = {
  entitySet: "SystemNotifications",
  entityName: "SystemNotification",
  isReadOnly: true,
  properties: new Map([
    ["Id", entityProperty("Id", { isKey: true, dataType: "Int64", typeName: "Edm.Int64" })],
  ]),
  keys: ["Id"],
  navigations: new Map(),
  actions: [],
  enumMembers: new Map(),
  enumEmptyMembers: new Map(),
};
