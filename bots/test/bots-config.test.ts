import { ConfigError, parseConfig, redactConfig } from '@simpul/infra';
import { describe, expect, test } from 'vitest';

function problems(input: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(input, { env, source: 'simpul.yaml' });
  } catch (error) {
    if (error instanceof ConfigError) return error.format().split('\n');
    throw error;
  }
  return [];
}

describe('bots: configuration', () => {
  test('defaults: no bots, rest-hook delivery on, exponential retry delays', () => {
    const { bots } = parseConfig({});
    expect(bots.list).toEqual([]);
    expect(bots).toMatchObject({ timeoutMs: 30_000, maxAttempts: 5, retryDelaysMs: [1000, 10_000, 60_000, 300_000] });
    expect(bots.restHook).toMatchObject({ enabled: true, timeoutMs: 10_000, maxAttempts: 5, subscriptionCacheMs: 5000 });
  });

  test('a bot with criteria as text or with interactions, numbers from ${ENV}, secrets from ${ENV}', () => {
    const { bots } = parseConfig(
      {
        bots: {
          list: [
            {
              name: 'pacs',
              module: './bots/pacs.ts',
              subscriptions: ['ImagingStudy?status=available', { criteria: 'ServiceRequest', interactions: ['create', 'delete'] }],
              clientId: 'pacs-bot',
              clientSecret: '${PACS_SECRET}',
              timeoutMs: '${PACS_TIMEOUT}',
              retryDelaysMs: ['500', 5000],
              secrets: { AE_TITLE: 'PACS1', TOKEN: '${PACS_TOKEN}' },
            },
          ],
        },
      },
      { env: { PACS_SECRET: 's3cret', PACS_TIMEOUT: '12000', PACS_TOKEN: 'tok' } },
    );
    expect(bots.list[0]).toMatchObject({
      name: 'pacs',
      subscriptions: [{ criteria: 'ImagingStudy?status=available' }, { criteria: 'ServiceRequest', interactions: ['create', 'delete'] }],
      clientSecret: 's3cret',
      timeoutMs: 12_000,
      retryDelaysMs: [500, 5000],
      secrets: { AE_TITLE: 'PACS1', TOKEN: 'tok' },
    });
    const shown = JSON.stringify(redactConfig(parseConfig({ bots: { list: [{ name: 'x', clientId: 'a', clientSecret: 'hidden-1', secrets: { K: 'hidden-2' } }] } })));
    expect(shown).not.toContain('hidden-1');
    expect(shown).not.toContain('hidden-2');
  });

  test('the runtime client comes from the environment too', () => {
    const { bots } = parseConfig({}, { env: { SIMPUL_BOTS_CLIENT_ID: 'bots', SIMPUL_BOTS_CLIENT_SECRET: 'x', SIMPUL_BOTS_HUB_URL: 'http://hub:8103' } });
    expect(bots).toMatchObject({ clientId: 'bots', clientSecret: 'x', hubUrl: 'http://hub:8103' });
  });

  test.each([
    [{ list: [{ name: 'rest-hook' }] }, 'bots.list[0].name: expected a bot name'],
    [{ list: [{ name: 'a b' }] }, 'bots.list[0].name: expected a bot name'],
    [{ list: [{ name: 'x', subscriptions: ['patient'] }] }, 'bots.list[0].subscriptions[0]: expected a FHIR search'],
    [{ list: [{ name: 'x', subscriptions: [{ criteria: 'Patient', interactions: ['read'] }] }] }, 'bots.list[0].subscriptions[0]: expected a FHIR search'],
    [{ list: [{ name: 'x', retryDelaysMs: [] }] }, 'bots.list[0].retryDelaysMs: expected a list of 1 to 20 delays'],
    [{ list: [{ name: 'x', retryDelaysMs: [0] }] }, 'bots.list[0].retryDelaysMs'],
    [{ list: [{ name: 'x', timeoutMs: -1 }] }, 'bots.list[0].timeoutMs: expected a whole number of milliseconds'],
    [{ list: [{ name: 'x', secrets: { 'bad name': 'v' } }] }, 'bots.list[0].secrets'],
    [{ list: [{ name: 'x', modul: 'y.ts' }] }, 'unknown key "modul" (did you mean "module"?)'],
    [{ list: [{ name: 'x' }, { name: 'x' }] }, 'bots.list[1]: expected a name no other bot has ("x" is listed twice)'],
    [{ list: [{ name: 'x', clientId: 'id' }] }, 'bots.list[0].clientSecret: expected a non-empty client secret'],
    [{ clientSecret: 'only-secret' }, 'bots.clientId: expected a non-empty client id'],
    [{ hubUrl: 'ftp://hub' }, 'bots.hubUrl: expected a URL starting with http:// or https://'],
    [{ restHook: { maxAttempts: 0 } }, 'bots.restHook.maxAttempts'],
  ])('%j is refused with the key path and what was expected', (bots, expected) => {
    const lines = problems({ bots });
    expect(lines.some((line) => line.includes(expected)), lines.join('\n')).toBe(true);
    expect(lines.join('\n')).not.toContain('only-secret');
  });
});
