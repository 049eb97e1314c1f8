import { describe, expect, it } from "vitest";
import { ProtocolError } from "../../packages/client/src/errors.js";
import {
  parseDataEntity,
  parseEnumeration,
  parseLabel,
  parsePublicEntity,
  unwrapActionValue,
} from "../../packages/client/src/metadata/parse.js";

const customerV3 = {
  "@odata.etag": 'W/"x"',
  Name: "CustomerV3",
  EntitySetName: "CustomersV3",
  LabelId: "@AccountsReceivable:CustCustomerV3EntityLabel",
  IsReadOnly: false,
  ConfigurationEnabled: true,
  FutureField: { anything: 1 },
  Properties: [
    {
      Name: "AccountStatement",
      TypeName: "Microsoft.Dynamics.DataEntities.CustAccountStatement",
      DataType: "Enum",
      LabelId: "@SYS14680",
      IsKey: false,
      IsMandatory: false,
      ConfigurationEnabled: true,
      AllowEdit: true,
      AllowEditOnCreate: true,
      IsDimension: false,
      DimensionRelation: null,
      IsDynamicDimension: false,
      DimensionLegalEntityProperty: null,
      DimensionTypeProperty: null,
    },
    { Name: "dataAreaId", TypeName: "Edm.String", DataType: "String", IsKey: true },
  ],
  NavigationProperties: [
    {
      Name: "CustomerGroup",
      RelatedEntity: "CustomerGroup",
      RelatedRelationName: "Customers",
      Cardinality: "Single",
      Constraints: [
        {
          "@odata.type": "#Microsoft.Dynamics.Metadata.ReferentialConstraint",
          Property: "CustomerGroupId",
          ReferencedProperty: "CustomerGroupId",
        },
        {
          "@odata.type": "#Microsoft.Dynamics.Metadata.FixedConstraint",
          Property: "Type",
          Value: 2,
          ValueStr: "Customer",
        },
        {
          "@odata.type": "#Microsoft.Dynamics.Metadata.RelatedFixedConstraint",
          RelatedProperty: "Kind",
          Value: null,
          ValueStr: "Org",
        },
      ],
    },
  ],
  PropertyGroups: [{ Name: "Overview", Properties: ["AccountStatement", "dataAreaId"] }],
  Actions: [
    {
      Name: "Validate",
      BindingKind: "BoundToEntityInstance",
      FieldLookup: null,
      Parameters: [{ Name: "strict", Type: { TypeName: "Edm.Boolean", IsCollection: false } }],
      ReturnType: { TypeName: "Edm.String", IsCollection: true },
    },
  ],
};

describe("parsePublicEntity", () => {
  it("maps every field, the three constraint kinds and defaults, ignoring unknown fields", () => {
    const entity = parsePublicEntity(customerV3);
    expect(entity.name).toBe("CustomerV3");
    expect(entity.entitySetName).toBe("CustomersV3");
    expect(entity.properties[0]).toMatchObject({
      name: "AccountStatement",
      dataType: "Enum",
      labelId: "@SYS14680",
      allowEdit: true,
    });
    expect(entity.properties[1]).toMatchObject({
      name: "dataAreaId",
      isKey: true,
      labelId: null,
      configurationEnabled: true,
      isDimension: false,
    });
    expect(entity.navigationProperties[0].constraints).toEqual([
      { kind: "Referential", property: "CustomerGroupId", referencedProperty: "CustomerGroupId" },
      { kind: "Fixed", property: "Type", value: 2, valueStr: "Customer" },
      { kind: "RelatedFixed", relatedProperty: "Kind", value: null, valueStr: "Org" },
    ]);
    expect(entity.propertyGroups).toEqual([
      { name: "Overview", properties: ["AccountStatement", "dataAreaId"] },
    ]);
    expect(entity.actions[0]).toEqual({
      name: "Validate",
      bindingKind: "BoundToEntityInstance",
      fieldLookup: null,
      parameters: [{ name: "strict", type: { typeName: "Edm.Boolean", isCollection: false } }],
      returnType: { typeName: "Edm.String", isCollection: true },
    });
    expect(entity).not.toHaveProperty("FutureField");
  });

  it("infers the constraint kind from its fields when @odata.type is absent", () => {
    const entity = parsePublicEntity({
      Name: "E",
      EntitySetName: "Es",
      NavigationProperties: [
        { Name: "N", RelatedEntity: "R", Constraints: [{ Property: "A", ReferencedProperty: "B" }] },
      ],
    });
    expect(entity.navigationProperties[0].constraints[0].kind).toBe("Referential");
  });

  it("names the item, its position and the field when a required field is missing", () => {
    const bad = { ...customerV3, Properties: [...customerV3.Properties, {}, { Name: "X" }] };
    expect(() => parsePublicEntity(bad, { collection: "PublicEntities", index: 12 })).toThrow(
      new ProtocolError('PublicEntities item #12 "CustomerV3": Properties[2] missing "Name"'),
    );
  });

  it("rejects wrong types and unknown constraint types", () => {
    expect(() => parsePublicEntity({ Name: "E", EntitySetName: "Es", Properties: "nope" })).toThrow(
      /"Properties" is not an array/,
    );
    expect(() => parsePublicEntity({ Name: "E", EntitySetName: "Es", IsReadOnly: "no" })).toThrow(
      /"IsReadOnly" is not a boolean/,
    );
    expect(() =>
      parsePublicEntity({
        Name: "E",
        EntitySetName: "Es",
        NavigationProperties: [
          { Name: "N", RelatedEntity: "R", Constraints: [{ "@odata.type": "#X.Weird" }] },
        ],
      }),
    ).toThrow(/NavigationProperties\[0\]\.Constraints\[0\] has an unknown constraint type/);
    expect(() => parsePublicEntity(null, { collection: "PublicEntities", index: 0 })).toThrow(
      /item #0: item is not an object/,
    );
  });
});

describe("other parsers", () => {
  it("parses a DataEntity", () => {
    expect(
      parseDataEntity({
        Name: "CustCustomerV3Entity",
        PublicEntityName: "CustomerV3",
        PublicCollectionName: "CustomersV3",
        LabelId: "@AccountsReceivable:CustCustomerV3EntityLabel",
        DataServiceEnabled: true,
        DataManagementEnabled: true,
        EntityCategory: "Master",
        IsReadOnly: false,
      }),
    ).toEqual({
      name: "CustCustomerV3Entity",
      publicEntityName: "CustomerV3",
      publicCollectionName: "CustomersV3",
      labelId: "@AccountsReceivable:CustCustomerV3EntityLabel",
      dataServiceEnabled: true,
      dataManagementEnabled: true,
      entityCategory: "Master",
      isReadOnly: false,
    });
    expect(() =>
      parseDataEntity({ PublicEntityName: "x" }, { collection: "DataEntities", index: 3 }),
    ).toThrow('DataEntities item #3: missing "Name"');
  });

  it("parses an enumeration and requires member values", () => {
    const e = parseEnumeration({
      Name: "NoYes",
      LabelId: null,
      Members: [
        { Name: "No", LabelId: "@sys2048", Value: 0, ConfigurationEnabled: true },
        { Name: "Yes", Value: 1 },
      ],
    });
    expect(e.members).toEqual([
      { name: "No", value: 0, labelId: "@sys2048", configurationEnabled: true },
      { name: "Yes", value: 1, labelId: null, configurationEnabled: true },
    ]);
    expect(() =>
      parseEnumeration(
        { Name: "E", Members: [{ Name: "A" }] },
        { collection: "PublicEnumerations", index: 1 },
      ),
    ).toThrow('PublicEnumerations item #1 "E": Members[0] missing "Value"');
  });

  it("parses a label, falling back to the requested id and language", () => {
    expect(parseLabel({ Value: "Customers V3" }, { id: "@X:Y", language: "en-us" })).toEqual({
      id: "@X:Y",
      language: "en-us",
      value: "Customers V3",
    });
    expect(
      parseLabel({ Id: "@SYS1", Language: "de-DE", Value: "" }, { id: "@SYS1", language: "de-de" }).language,
    ).toBe("de-DE");
    expect(() => parseLabel({ Id: "@SYS1" }, { id: "@SYS1", language: "en-us" })).toThrow(/missing "Value"/);
  });

  it("unwraps action values, nested or not", () => {
    expect(unwrapActionValue({ "@odata.context": "x", value: "10.0.43" })).toBe("10.0.43");
    expect(unwrapActionValue({ value: { value: "v" } })).toBe("v");
    expect(unwrapActionValue({ value: ["a", "b"] })).toEqual(["a", "b"]);
    expect(unwrapActionValue("bare")).toBe("bare");
  });
});
