import { OperationOutcomeError, badRequest } from '@medplum/core';

export type MappingTemplateErrorReason =
  /** The template itself is wrong (structure, an expression that does not compile): found when it is loaded. */
  | 'invalid-template'
  /** An expression failed on this row/body (a JSONata error, `$ref` to an unknown entry, an empty business identifier). */
  | 'expression-failed'
  /** The expressions ran but what they produced cannot be written (no resourceType, a key without value). */
  | 'invalid-result';

/**
 * A template problem, always naming where: `path` is the place in the template
 * (`resources[1].resource.subject.reference`), `expression` the JSONata text, `rowKey` the row
 * (SQL: the tie-breaker key) or body (webhook: message id) it was evaluated on. Permanent:
 * retrying the same input with the same template fails the same way.
 */
export class MappingTemplateError extends OperationOutcomeError {
  readonly reason: MappingTemplateErrorReason;
  readonly path: string;
  readonly expression?: string;
  readonly rowKey?: string;
  readonly template: string;
  readonly permanent = true;

  constructor(options: { reason: MappingTemplateErrorReason; template: string; path: string; message: string; expression?: string; rowKey?: string; cause?: unknown }) {
    const where = [`template ${options.template}`, `at ${options.path || '(root)'}`, options.expression ? `expression "${options.expression}"` : undefined, options.rowKey !== undefined ? `row key ${options.rowKey}` : undefined]
      .filter(Boolean)
      .join(', ');
    const text = `${where}: ${options.message}`;
    super(badRequest(text, options.path), { cause: options.cause });
    this.name = 'MappingTemplateError';
    this.message = text;
    this.reason = options.reason;
    this.path = options.path;
    this.expression = options.expression;
    this.rowKey = options.rowKey;
    this.template = options.template;
  }
}
