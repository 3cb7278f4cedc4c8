import { PermanentError } from '@simpul/infra';
import { describe, expect, test } from 'vitest';
import { RetryableDeliveryError } from '../routing/destination-driver.ts';
import { describeErrorBody, responseError } from './response-errors.ts';

describe('describeErrorBody', () => {
  test('lists every OperationOutcome issue with its code and expression', () => {
    const body = JSON.stringify({
      resourceType: 'OperationOutcome',
      issue: [
        { severity: 'error', code: 'value', details: { text: 'basedOn is required' }, expression: ['ImagingStudy.basedOn'] },
        { severity: 'error', code: 'business-rule', details: { text: 'resource cannot be accessed due to business rule' } },
      ],
    });
    expect(describeErrorBody(body)).toBe('[value] basedOn is required (at ImagingStudy.basedOn); [business-rule] resource cannot be accessed due to business rule');
  });

  test('reads the documented credentials error (severity "invalid") and Apigee faults', () => {
    expect(describeErrorBody('{"resourceType":"OperationOutcome","issue":[{"severity":"invalid","code":"value","details":{"text":"bad client"}}]}')).toBe('[value] bad client');
    expect(describeErrorBody('{"fault":{"faultstring":"Spike arrest violation","detail":{"errorcode":"policies.ratelimit.SpikeArrestViolation"}}}')).toBe(
      'Spike arrest violation (policies.ratelimit.SpikeArrestViolation)',
    );
  });

  test('quotes plain text on one line and caps hostile lengths', () => {
    expect(describeErrorBody('Gateway\n  Timeout ')).toBe('"Gateway Timeout"');
    expect(describeErrorBody('x'.repeat(10_000)).length).toBeLessThanOrEqual(502);
    expect(describeErrorBody('')).toBe('');
    expect(describeErrorBody('{"resourceType":"OperationOutcome","issue":[null, 5]}')).toBe('(no text); (no text)');
    expect(describeErrorBody('[1,2]')).toBe('"[1,2]"');
  });
});

describe('responseError', () => {
  test('5xx, 408 and 429 are retryable; other 4xx permanent', () => {
    expect(responseError({ what: 'x', status: 502, body: 'Bad Gateway' })).toBeInstanceOf(RetryableDeliveryError);
    expect(responseError({ what: 'x', status: 408, body: '' })).toBeInstanceOf(RetryableDeliveryError);
    const limited = responseError({ what: 'x', status: 429, body: '', retryAfterMs: 5000 });
    expect((limited as RetryableDeliveryError).retryAfterMs).toBe(5000);
    const refused = responseError({ what: 'the creation of the ImagingStudy', status: 400, body: '{"resourceType":"OperationOutcome","issue":[{"code":"duplicate","details":{"text":"exists"}}]}' });
    expect(refused).toBeInstanceOf(PermanentError);
    expect(refused.message).toBe('SATUSEHAT answered HTTP 400 to the creation of the ImagingStudy: [duplicate] exists');
  });
});
