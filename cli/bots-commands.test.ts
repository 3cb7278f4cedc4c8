import { describe, expect, test } from 'vitest';
import { botsCommand, formatDeadLetters, parseReplayArgs, replayCommand } from './bots-commands.ts';

describe('simpul replay arguments', () => {
  test('a queue alone lists; --id (repeatable) or --all replays; the work queue name means its .dead', () => {
    expect(parseReplayArgs(['--queue', 'bot.pacs.dead'])).toEqual({ queue: 'bot.pacs.dead', all: false, limit: 100 });
    expect(parseReplayArgs(['--queue', 'bot.pacs', '--id', 'a', '--id', 'b'])).toEqual({ queue: 'bot.pacs.dead', ids: ['a', 'b'], all: false, limit: 100 });
    expect(parseReplayArgs(['--queue=bot.rest-hook.dead', '--all'])).toEqual({ queue: 'bot.rest-hook.dead', all: true, limit: 100 });
    expect(parseReplayArgs(['--queue', 'ingest', '--limit', '5'])).toMatchObject({ queue: 'ingest.dead', limit: 5 });
  });

  test.each([
    [[], /--queue is required/],
    [['--queue', 'amq.rabbitmq.trace'], /not a delivery queue/],
    [['--queue', 'bot.pacs', '--all', '--id', 'x'], /not both/],
    [['--queue', 'bot.pacs', '--limit', '0'], /--limit/],
    [['--queue', 'bot.pacs', '--limit', 'many'], /--limit/],
    [['--queue', 'bot.pacs', '--bogus'], /Unknown option '--bogus'/],
    [['--queue', 'bot.pacs', 'extra'], /positional/],
    [['--queue', 'bot.pacs', '--id', ''], /envelope id/],
  ])('%j is refused: %s', (args, expected) => {
    expect(parseReplayArgs(args)).toMatch(expected);
  });
});

describe('the commands the lead registers', () => {
  test('names, usage and long-running flag', () => {
    expect(botsCommand).toMatchObject({ name: 'bots', longRunning: true });
    expect(replayCommand.name).toBe('replay');
    expect(replayCommand.usage).toContain('--queue bot.<name>');
  });

  test('dead letters print one line each with id, reason, attempts and the error', () => {
    const text = formatDeadLetters('bot.pacs.dead', [
      { id: 'k1', reason: 'exhausted', lastError: 'PACS\nrefused', attempts: 5, deadAt: '2025-01-01T00:00:00.000Z', queue: 'bot.pacs', replays: 1 },
    ]);
    expect(text).toContain('k1  2025-01-01T00:00:00.000Z  exhausted  attempts=5 replays=1  PACS refused');
    expect(text).toContain('1 in bot.pacs.dead');
    expect(formatDeadLetters('bot.pacs.dead', [])).toBe('bot.pacs.dead is empty\n');
  });
});
