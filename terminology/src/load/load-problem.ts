import { OperationOutcomeError } from '@medplum/core';
import { TerminologyError, terminologyIssue, terminologyOutcome } from '../errors.ts';

/** One thing wrong with a terminology file, worded for the person who has to fix it. */
export interface LoadProblem {
  /** The file (or the name the caller gave the text). */
  source: string;
  /** 1-based line in the file, when known (CSV rows, JSON/YAML syntax errors). */
  line?: number;
  /** Element path inside the resource (`entry[2].resource.concept[5].code`), when known. */
  path?: string;
  message: string;
}

/** Issues carried in the OperationOutcome; `problems` always keeps them all. */
const MAX_OUTCOME_ISSUES = 100;

/**
 * A file or directory could not be loaded. Every problem found is listed (not just the first),
 * each with its file and line or element path, so one round of fixes is enough.
 */
export class TerminologyLoadError extends OperationOutcomeError {
  readonly problems: readonly LoadProblem[];

  constructor(problems: readonly LoadProblem[], options?: ErrorOptions) {
    const shown = problems.slice(0, MAX_OUTCOME_ISSUES).map((problem) =>
      terminologyIssue(TerminologyError.LOAD_FAILED, formatLoadProblem(problem), problem.path),
    );
    if (problems.length > MAX_OUTCOME_ISSUES) {
      shown.push(
        terminologyIssue(TerminologyError.LOAD_FAILED, `... and ${problems.length - MAX_OUTCOME_ISSUES} more problems`),
      );
    }
    super(terminologyOutcome(TerminologyError.LOAD_FAILED, shown), options);
    this.name = 'TerminologyLoadError';
    this.problems = problems;
  }

  /** One line per problem: `maps/sex.csv:12: unknown equivalence "same" (expected one of ...)`. */
  format(): string {
    return this.problems.map(formatLoadProblem).join('\n');
  }
}

export function formatLoadProblem(problem: LoadProblem): string {
  const where = problem.line !== undefined ? `${problem.source}:${problem.line}` : problem.source;
  return problem.path ? `${where}: ${problem.path}: ${problem.message}` : `${where}: ${problem.message}`;
}
