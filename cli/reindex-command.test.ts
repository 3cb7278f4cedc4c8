import { describe, expect, it } from 'vitest';
import { ProgressBar, reindexCommand } from './reindex-command.ts';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = { isTTY, write: (chunk: string) => written.push(chunk) } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

describe('simpul reindex', () => {
  it('draws a bar with rows, rows/s and ETA, in place on a terminal', () => {
    const { stream, written } = fakeStream(true);
    const bar = new ProgressBar(stream);
    bar.update({ done: 0, total: 2000 });
    bar.update({ done: 2000, total: 2000 });
    bar.finish();
    expect(written[0]).toMatch(/^\r\[-{30}\] 0\.0% 0\/2,000 rows, 0 rows\/s, ETA /);
    expect(written.at(-1)).toMatch(/^\r\[#{30}\] 100\.0% 2,000\/2,000 rows, [\d,]+ rows\/s, ETA 0:00\n$/);
  });

  it('writes whole lines when stderr is not a terminal', () => {
    const { stream, written } = fakeStream(false);
    const bar = new ProgressBar(stream);
    bar.update({ done: 10, total: 10 });
    expect(written.every((line) => line.endsWith('\n') && !line.startsWith('\r'))).toBe(true);
  });

  it('rejects arguments it does not understand before touching the database', async () => {
    const context = { config: { database: { url: 'postgres://nowhere.invalid/x' } }, logger: {}, args: ['Patient', '--batch', 'many'] };
    await expect(reindexCommand.run(context as never)).rejects.toThrow('--batch takes a whole number');
    await expect(reindexCommand.run({ ...context, args: ['patients'] } as never)).rejects.toThrow('unexpected argument "patients"');
  });
});
