import type { Patient, Task, TaskInput } from '@medplum/fhirtypes';
import type { PairScore } from './score.ts';

export const TASK_CODE_SYSTEM = 'https://simpul.dev/fhir/CodeSystem/task-code';
export const IDENTITY_REVIEW_CODE = 'identity-review';
export const IDENTITY_INPUT_SYSTEM = 'https://simpul.dev/fhir/CodeSystem/identity-review-input';

/** What a reviewer writes in `Task.output` (type code `decision`, valueCode). */
export const DECISIONS = ['merge', 'link', 'distinct'] as const;
export type Decision = (typeof DECISIONS)[number];

const input = (code: string, value: Omit<TaskInput, 'type'>): TaskInput => ({
  type: { coding: [{ system: IDENTITY_INPUT_SYSTEM, code }], text: code },
  ...value,
} as TaskInput);

/**
 * A review Task for a pair between the `possible` and `match` thresholds. `focus` is the record that
 * was written (on a merge decision it is merged into the candidate), `for` the existing candidate.
 */
export function buildReviewTask(patient: Patient, candidate: Patient, score: PairScore): Task {
  const b = score.breakdown;
  return {
    resourceType: 'Task',
    status: 'requested',
    intent: 'proposal',
    priority: 'routine',
    code: { coding: [{ system: TASK_CODE_SYSTEM, code: IDENTITY_REVIEW_CODE, display: 'Patient identity review' }] },
    description: `Are Patient/${patient.id} and Patient/${candidate.id} the same person? Score ${score.total} (${score.grade}). Complete with output "decision": merge | link | distinct.`,
    focus: { reference: `Patient/${patient.id}` },
    for: { reference: `Patient/${candidate.id}` },
    authoredOn: new Date().toISOString(),
    input: [
      input('patient', { valueReference: { reference: `Patient/${patient.id}` } }),
      input('candidate', { valueReference: { reference: `Patient/${candidate.id}` } }),
      input('score', { valueDecimal: score.total }),
      input('grade', { valueCode: score.grade }),
      input('name', { valueDecimal: b.name }),
      input('birthDate', { valueDecimal: b.birthDate }),
      input('sex', { valueDecimal: b.sex }),
      input('phone', { valueDecimal: b.phone }),
      input('address', { valueDecimal: b.address }),
      ...(score.sameIdentifier ? [input('sameIdentifier', { valueString: score.sameIdentifier })] : []),
      ...(score.conflictingIdentifier ? [input('conflictingIdentifier', { valueString: score.conflictingIdentifier })] : []),
    ],
  };
}

export function isIdentityReviewTask(task: Task): boolean {
  return !!task.code?.coding?.some((c) => c.system === TASK_CODE_SYSTEM && c.code === IDENTITY_REVIEW_CODE);
}

/** The reviewer's decision in Task.output, or a message naming what is wrong. */
export function readDecision(task: Task): { decision: Decision; survivor?: string } | { problem: string } {
  const outputs = task.output ?? [];
  const named = (code: string) => outputs.find((o) => o.type?.text === code || o.type?.coding?.some((c) => c.code === code));
  const decision = named('decision');
  const value = decision?.valueCode ?? decision?.valueString;
  if (!value) return { problem: `a completed identity-review Task needs Task.output "decision" with valueCode ${DECISIONS.join(' | ')}` };
  if (!(DECISIONS as readonly string[]).includes(value)) {
    return { problem: `Task.output "decision" must be one of ${DECISIONS.join(' | ')}, found "${value.slice(0, 40)}"` };
  }
  const survivor = named('survivor')?.valueReference?.reference;
  return { decision: value as Decision, ...(survivor ? { survivor } : undefined) };
}

export function taskPair(task: Task): { patient: string; candidate: string } | undefined {
  const ref = (code: string) =>
    task.input?.find((i) => i.type?.text === code || i.type?.coding?.some((c) => c.code === code))?.valueReference?.reference;
  const patient = ref('patient')?.replace(/^Patient\//, '');
  const candidate = ref('candidate')?.replace(/^Patient\//, '');
  return patient && candidate ? { patient, candidate } : undefined;
}
