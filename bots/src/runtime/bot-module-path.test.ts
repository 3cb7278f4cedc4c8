import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { botModuleUrl } from './bot-module-path.ts';

const botsDir = fileURLToPath(new URL('../../', import.meta.url));

describe('botModuleUrl', () => {
  test('a configured path is relative to the working directory', () => {
    expect(botModuleUrl('counter', 'src/examples/idempotent-counter/index.ts', botsDir)).toMatch(/^file:\/\/.*\/bots\/src\/examples\/idempotent-counter\/index\.ts$/);
  });
  test('a missing configured module names the path and the setting', () => {
    expect(() => botModuleUrl('x', './nope.ts', '/tmp')).toThrow(/bot "x": module \/tmp\/nope\.ts does not exist \(bots\.list\[\]\.module/);
  });
  test('without a module, the built-in bots/src/<name>/index.ts, else a message saying to set one', () => {
    expect(() => botModuleUrl('no-such-bot', undefined, '/tmp')).toThrow(/no built-in bots\/src\/no-such-bot\/index\.ts, so set bots\.list\[\]\.module/);
    // Names are plain (config checks them), and cannot climb out of bots/src either way.
    expect(() => botModuleUrl('..', undefined, '/tmp')).toThrow(/no built-in/);
  });
});
