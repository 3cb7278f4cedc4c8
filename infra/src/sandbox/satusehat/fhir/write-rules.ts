import { outcomeIssue, type OutcomeIssue } from '../outcomes.ts';
import { businessRuleViolation, outcomeError } from '../sandbox-error.ts';
import type { SandboxBehaviour } from '../sandbox-options.ts';
import { datesBefore } from './date-floor.ts';
import { findDuplicate } from './duplicate-rules.ts';
import type { FhirJson } from './fhir-json.ts';
import { imagingStudyProblems } from './imaging-study-rules.ts';
import { belongsOnlyTo } from './organization-ownership.ts';
import type { ResourceStore } from './resource-store.ts';

/**
 * Everything checked before a create, update or patch is stored, in the platform's order: whose
 * data it is (business rule), then the content (400 with every problem found), then duplicates.
 * Throws the answer to send; returns when the write may go ahead.
 */
export function checkWrite(
  resource: FhirJson,
  writer: { organizationId: string; selfId?: string },
  store: ResourceStore,
  behaviour: SandboxBehaviour,
): void {
  if (!belongsOnlyTo(resource, writer.organizationId)) throw businessRuleViolation(behaviour.businessRuleStatus);

  const issues: OutcomeIssue[] = datesBefore(resource, behaviour.minimumDate, resource.resourceType).map((early) =>
    outcomeIssue('value', `${early.value} is before ${behaviour.minimumDate}, the earliest date SATUSEHAT accepts`, early.expression),
  );
  if (resource.resourceType === 'ImagingStudy') {
    issues.push(
      ...imagingStudyProblems(resource, {
        patientExists: (id) => store.has('Patient', id),
        serviceRequestExists: (id) => store.has('ServiceRequest', id),
      }),
    );
  }
  if (issues.length > 0) throw outcomeError(400, issues);

  const duplicate = findDuplicate(
    resource,
    store,
    { imagingStudy: behaviour.rejectDuplicateImagingStudy, encounter: behaviour.rejectDuplicateEncounter },
    writer.selfId,
  );
  if (duplicate) throw outcomeError(behaviour.duplicateStatus, [outcomeIssue('duplicate', duplicate.text, duplicate.expression)]);
}
