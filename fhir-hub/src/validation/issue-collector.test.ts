import { describe, expect, it } from 'vitest';
import { errorIssue, IssueCollector } from './issue-collector.ts';

describe('IssueCollector', () => {
  it('keeps identical issues once', () => {
    const issues = new IssueCollector();
    issues.add(errorIssue('code-invalid', 'bad', 'Patient.gender'));
    issues.add(errorIssue('code-invalid', 'bad', 'Patient.gender'));
    issues.add(errorIssue('code-invalid', 'bad', 'Patient.name[0].use'));
    expect(issues.issues).toHaveLength(2);
  });

  it('drops core issues at replaced paths, and below replaced subtrees, and keeps the rest', () => {
    const issues = new IssueCollector();
    issues.replaceCoreIssuesAt('Patient.foo');
    issues.replaceCoreIssuesUnder('Observation.code');
    issues.addCoreIssues(
      [
        errorIssue('structure', 'additional property', 'Patient.foo'),
        errorIssue('structure', 'under foo', 'Patient.foo.bar'),
        errorIssue('structure', 'char 0', 'Observation.code.0'),
        errorIssue('structure', 'index', 'Observation.code[0]'),
        errorIssue('structure', 'itself', 'Observation.code'),
        errorIssue('structure', 'sibling with a longer name', 'Observation.codeX'),
      ],
      'Patient'
    );
    expect(issues.issues.map((issue) => issue.details?.text)).toEqual(['under foo', 'sibling with a longer name']);
  });

  it('places an expressionless core issue at the root, unless our own issues already explain the failure', () => {
    const alone = new IssueCollector();
    alone.addCoreIssues([errorIssue('invalid', 'Unknown data type: Foo')], 'Patient');
    expect(alone.issues).toEqual([errorIssue('invalid', 'Unknown data type: Foo', 'Patient')]);

    const explained = new IssueCollector();
    explained.add(errorIssue('structure', 'Unknown resource type "Foo"', 'Patient.contained[0].resourceType'));
    explained.addCoreIssues([errorIssue('invalid', 'Unknown data type: Foo')], 'Patient');
    expect(explained.issues).toHaveLength(1);
  });

  it('stays fast with many replaced subtrees', () => {
    const issues = new IssueCollector();
    const core = [];
    for (let i = 0; i < 50_000; i++) {
      issues.replaceCoreIssuesUnder(`Patient.identifier[${i}]`);
      core.push(errorIssue('structure', 'x', `Patient.identifier[${i}].0`));
    }
    const started = performance.now();
    issues.addCoreIssues(core, 'Patient');
    expect(issues.issues).toHaveLength(0);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
