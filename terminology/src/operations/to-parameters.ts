import type { CodeSystemConceptProperty, Parameters, ParametersParameter } from '@medplum/fhirtypes';
import { TerminologyError, terminologyError } from '../errors.ts';
import type { LookupResult } from './lookup.ts';
import type { TranslateResult } from './translate.ts';
import type { ValidateCodeResult } from './validate-code.ts';

/**
 * The FHIR R4 `Parameters` output of each operation, ready for the hub to return as-is.
 * ($expand returns a ValueSet, which `expand` already produces.)
 */

/** $lookup output; a code that was not found throws SIMPUL-TERM-004/005 (404) instead. */
export function lookupToParameters(result: LookupResult): Parameters {
  if (!result.found) {
    const kind = result.reason === 'unknown-system' ? TerminologyError.UNKNOWN_CODE_SYSTEM : TerminologyError.UNKNOWN_CODE;
    throw terminologyError(kind, result.message, result.reason === 'unknown-system' ? 'system' : 'code');
  }
  const parameter: ParametersParameter[] = [{ name: 'name', valueString: result.name }];
  if (result.version) parameter.push({ name: 'version', valueString: result.version });
  // FHIR requires a display; a concept without one is shown by its code.
  parameter.push({ name: 'display', valueString: result.display ?? result.code });
  if (result.definition) parameter.push({ name: 'definition', valueString: result.definition });
  if (result.abstract) parameter.push({ name: 'abstract', valueBoolean: true });
  for (const designation of result.designations) {
    parameter.push({
      name: 'designation',
      part: [
        ...(designation.language ? [{ name: 'language', valueCode: designation.language }] : []),
        ...(designation.use ? [{ name: 'use', valueCoding: { ...designation.use } }] : []),
        { name: 'value', valueString: designation.value },
      ],
    });
  }
  for (const property of result.properties) {
    parameter.push({ name: 'property', part: [{ name: 'code', valueCode: property.code }, ...propertyValue(property)] });
  }
  return { resourceType: 'Parameters', parameter };
}

/** $validate-code output (CodeSystem and ValueSet alike). */
export function validateCodeToParameters(result: ValidateCodeResult): Parameters {
  const parameter: ParametersParameter[] = [{ name: 'result', valueBoolean: result.result }];
  if (result.message) parameter.push({ name: 'message', valueString: result.message });
  if (result.display) parameter.push({ name: 'display', valueString: result.display });
  return { resourceType: 'Parameters', parameter };
}

/** $translate output. */
export function translateToParameters(result: TranslateResult): Parameters {
  const parameter: ParametersParameter[] = [{ name: 'result', valueBoolean: result.result }];
  if (result.message) parameter.push({ name: 'message', valueString: result.message });
  for (const match of result.matches) {
    parameter.push({
      name: 'match',
      part: [
        { name: 'equivalence', valueCode: match.equivalence },
        ...(match.concept ? [{ name: 'concept', valueCoding: { ...match.concept } }] : []),
        { name: 'source', valueUri: match.source },
      ],
    });
  }
  return { resourceType: 'Parameters', parameter };
}

function propertyValue(property: CodeSystemConceptProperty): ParametersParameter[] {
  if (property.valueCode !== undefined) return [{ name: 'value', valueCode: property.valueCode }];
  if (property.valueCoding !== undefined) return [{ name: 'value', valueCoding: { ...property.valueCoding } }];
  if (property.valueString !== undefined) return [{ name: 'value', valueString: property.valueString }];
  if (property.valueInteger !== undefined) return [{ name: 'value', valueInteger: property.valueInteger }];
  if (property.valueBoolean !== undefined) return [{ name: 'value', valueBoolean: property.valueBoolean }];
  if (property.valueDateTime !== undefined) return [{ name: 'value', valueDateTime: property.valueDateTime }];
  if (property.valueDecimal !== undefined) return [{ name: 'value', valueDecimal: property.valueDecimal }];
  return [];
}
