import { parseConfig } from '@simpul/infra';
import { describe, expect, it } from 'vitest';
import { SUPPORTED_MESSAGE_TYPES } from '../ingest/hl7/index.ts';

describe('the listener accepts by default exactly what the ingest worker maps', () => {
  it('mllp.messageTypes defaults to the mapper list', () => {
    expect([...parseConfig({}).mllp.messageTypes].sort()).toEqual([...SUPPORTED_MESSAGE_TYPES].sort());
  });
});
