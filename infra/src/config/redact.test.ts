import { describe, expect, it } from 'vitest';
import { parseConfig } from './parse-config.ts';
import { redactConfig, redactUrlCredentials } from './redact.ts';

describe('redactConfig', () => {
  it('hides the admin secret and URL passwords of a loaded config, keeping the rest', () => {
    const config = parseConfig(
      { database: { url: 'postgres://simpul:pg-pass@db:5432/simpul' }, admin: { clientId: 'admin', clientSecret: 'top-secret' } },
      {},
    );
    const redacted = redactConfig(config);
    expect(redacted.admin).toEqual({ clientId: 'admin', clientSecret: '***' });
    expect(redacted.database.url).toBe('postgres://simpul:***@db:5432/simpul');
    expect(redacted.bus.url).toBe('postgres://simpul:***@db:5432/simpul'); // the bus follows the database
    expect(redacted.hub).toEqual(config.hub);
    expect(JSON.stringify(redacted)).not.toMatch(/pg-pass|top-secret/);
  });

  it('does not change the original', () => {
    const config = { admin: { clientSecret: 'x' } };
    redactConfig(config);
    expect(config.admin.clientSecret).toBe('x');
  });

  it('hides anything named secret, password or token at any depth, in lists too', () => {
    const redacted = redactConfig({
      satusehat: { clientSecret: 'a', auth: { refreshToken: 'b', apiKey: 'c' } },
      sources: [{ name: 'his', password: 'd', DB_PASSWORD: 'e' }],
      bots: { secret: { nested: 'f' } },
      unset: { password: null },
    });
    expect(redacted).toEqual({
      satusehat: { clientSecret: '***', auth: { refreshToken: '***', apiKey: '***' } },
      sources: [{ name: 'his', password: '***', DB_PASSWORD: '***' }],
      bots: { secret: { nested: '***' } },
      unset: { password: null },
    });
  });

  it('keeps addresses named after tokens but strips their credentials', () => {
    const redacted = redactConfig({ tokenUrl: 'https://client:pw@auth.example/oauth2/token' });
    expect(redacted.tokenUrl).toBe('https://client:***@auth.example/oauth2/token');
  });

  it('survives a cycle', () => {
    const config: Record<string, unknown> = { password: 'x' };
    config.self = config;
    const redacted = redactConfig(config);
    expect(redacted.password).toBe('***');
    expect(redacted.self).toBe(redacted);
  });
});

describe('redactUrlCredentials', () => {
  it.each([
    ['postgres://u:pw@h/db', 'postgres://u:***@h/db'],
    ['postgres://u:p@ss@h:5432/db', 'postgres://u:***@h:5432/db'],
    ['amqps://user:pa%40ss@mq/vhost', 'amqps://user:***@mq/vhost'],
    ['postgres://u@h/db', 'postgres://u@h/db'],
    ['postgres://h/db?user=u&password=pw&sslmode=require', 'postgres://h/db?user=u&password=***&sslmode=require'],
    ['https://api.example/x?access_token=abc#frag', 'https://api.example/x?access_token=***#frag'],
    ['https://h/path?q=a@b:c', 'https://h/path?q=a@b:c'],
    ['not a url: user:pw@host', 'not a url: user:pw@host'],
    ['', ''],
  ])('%s → %s', (input, expected) => {
    expect(redactUrlCredentials(input)).toBe(expected);
  });
});
