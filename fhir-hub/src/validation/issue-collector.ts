import type { OperationOutcomeIssue } from '@medplum/fhirtypes';

export type IssueType = OperationOutcomeIssue['code'];

/** One error issue with a human readable text and, where there is one, the element path. */
export function errorIssue(code: IssueType, text: string, expression?: string): OperationOutcomeIssue {
  return {
    severity: 'error',
    code,
    details: { text },
    ...(expression ? { expression: [expression] } : undefined),
  };
}

/**
 * Gathers issues from our own checks and from @medplum/core's validator into one list with one
 * issue per problem: identical issues are kept once, and core issues that only restate a problem
 * our checks already named more precisely are dropped.
 */
export class IssueCollector {
  readonly #issues: OperationOutcomeIssue[] = [];
  readonly #keys = new Set<string>();
  readonly #replacedPaths = new Set<string>();
  readonly #replacedSubtrees = new Set<string>();

  get issues(): readonly OperationOutcomeIssue[] {
    return this.#issues;
  }

  add(issue: OperationOutcomeIssue): void {
    const key = `${issue.code}\u0000${issue.expression?.join(',') ?? ''}\u0000${issue.details?.text ?? ''}`;
    if (!this.#keys.has(key)) {
      this.#keys.add(key);
      this.#issues.push(issue);
    }
  }

  /** Core issues at exactly `path` restate ours (e.g. an unknown property). */
  replaceCoreIssuesAt(path: string): void {
    this.#replacedPaths.add(path);
  }

  /** Core issues at `path` or below restate ours (e.g. a string where an object belongs: core reports each character). */
  replaceCoreIssuesUnder(path: string): void {
    this.#replacedSubtrees.add(path);
  }

  /**
   * Adds core's issues, which must already carry expressions where core gave one. An issue without
   * an expression means core aborted (e.g. on an unknown contained resource type); it is dropped
   * when our own checks already explain the failure, and otherwise placed at `rootPath`.
   */
  addCoreIssues(issues: readonly OperationOutcomeIssue[], rootPath: string): void {
    const hadOwnIssues = this.#issues.length > 0;
    for (const issue of issues) {
      const path = issue.expression?.[0];
      if (path === undefined) {
        if (!hadOwnIssues) {
          this.add({ ...issue, expression: [rootPath] });
        }
      } else if (!this.#isReplaced(path)) {
        this.add(issue);
      }
    }
  }

  #isReplaced(path: string): boolean {
    if (this.#replacedPaths.has(path) || this.#replacedSubtrees.has(path)) {
      return true;
    }
    if (this.#replacedSubtrees.size === 0) {
      return false;
    }
    // Check each ancestor ("A.b[0].c" -> "A", "A.b", "A.b[0]") so cost stays linear in the path length.
    for (let i = 1; i < path.length; i++) {
      if ((path[i] === '.' || path[i] === '[') && this.#replacedSubtrees.has(path.slice(0, i))) {
        return true;
      }
    }
    return false;
  }
}
