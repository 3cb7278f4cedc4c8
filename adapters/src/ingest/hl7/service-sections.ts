import type { CodeableConcept } from '@medplum/fhirtypes';
import { v2Table } from './v2-code-tables.ts';

/** OBR-24 diagnostic service sections (table 0074) that are imaging, and those that are laboratory. */
const IMAGING_SECTIONS = new Set(['RAD', 'RX', 'CT', 'MR', 'NMR', 'US', 'NMS', 'VUS', 'XRC', 'CUS', 'OUS', 'RT', 'CTH']);
const LABORATORY_SECTIONS = new Set(['LAB', 'CH', 'HM', 'MB', 'MCB', 'MYC', 'SR', 'SP', 'BG', 'BLB', 'CP', 'IMM', 'SE', 'TX', 'URN', 'VR', 'PAR', 'HEM']);

export type ServiceKind = 'imaging' | 'laboratory' | 'other';

export function serviceKind(section: string, hasImagingSegments: boolean): ServiceKind {
  const code = section.toUpperCase();
  if (hasImagingSegments || IMAGING_SECTIONS.has(code)) {
    return 'imaging';
  }
  return LABORATORY_SECTIONS.has(code) ? 'laboratory' : 'other';
}

const SNOMED = 'http://snomed.info/sct';

/** ServiceRequest.category: SNOMED imaging/laboratory (what SATUSEHAT expects) plus the v2-0074 section. */
export function serviceRequestCategory(kind: ServiceKind, section: string): CodeableConcept[] | undefined {
  const coding = [];
  if (kind === 'imaging') {
    coding.push({ system: SNOMED, code: '363679005', display: 'Imaging' });
  } else if (kind === 'laboratory') {
    coding.push({ system: SNOMED, code: '108252007', display: 'Laboratory procedure' });
  }
  if (section) {
    coding.push({ system: v2Table('0074'), code: section.toUpperCase() });
  }
  return coding.length > 0 ? [{ coding }] : undefined;
}

/**
 * DiagnosticReport.category: the v2-0074 section (`RAD` for imaging, as SATUSEHAT expects); none
 * when the sender names no section and nothing says what kind of report it is.
 */
export function reportCategory(kind: ServiceKind, section: string): CodeableConcept[] | undefined {
  const code = section ? section.toUpperCase() : kind === 'imaging' ? 'RAD' : kind === 'laboratory' ? 'LAB' : undefined;
  return code ? [{ coding: [{ system: v2Table('0074'), code }] }] : undefined;
}

const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';

export function observationCategory(kind: ServiceKind): CodeableConcept[] | undefined {
  if (kind === 'other') {
    return undefined;
  }
  return [{ coding: [{ system: OBSERVATION_CATEGORY, code: kind, display: kind === 'imaging' ? 'Imaging' : 'Laboratory' }] }];
}
