/** Model builders shared by tests of every layer: one place that knows every field of a model. */
import type { EntityProperty } from "../../packages/client/src/metadata/models.js";

/** A plain editable string property; `overrides` set what a test cares about. */
export function entityProperty(name: string, overrides: Partial<EntityProperty> = {}): EntityProperty {
  return {
    name,
    typeName: "Edm.String",
    dataType: "String",
    labelId: null,
    isKey: false,
    isMandatory: false,
    configurationEnabled: true,
    allowEdit: true,
    allowEditOnCreate: true,
    isDimension: false,
    dimensionRelation: null,
    isDynamicDimension: false,
    dimensionLegalEntityProperty: null,
    dimensionTypeProperty: null,
    ...overrides,
  };
}
