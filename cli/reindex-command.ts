import { connectDatabase, migrate, reindexSearch, type ReindexProgress } from '@simpul/fhir-hub';
import type { Command } from './commands.ts';

/**
 * `simpul reindex [type]`: re-computes the search index of every stored resource (or of one type),
 * e.g. after a SearchParameter was added at run time. Progress goes to stderr.
 */
export const reindexCommand: Command = {
  name: 'reindex',
  summary: 'rebuild the search index of stored resources (all, or one type)',
  usage: 'reindex [ResourceType] [--batch N]',
  async run({ config, logger, args }) {
    const { resourceType, batchSize } = parseArgs(args);
    const sql = connectDatabase({ url: config.database.url, maxConnections: 2, applicationName: 'simpul-reindex' });
    try {
      await migrate(sql);
      const bar = new ProgressBar(process.stderr);
      const count = await reindexSearch(sql, {
        resourceType,
        batchSize,
        logger: logger.child({ part: 'reindex' }),
        onProgress: (p) => bar.update(p),
      });
      bar.finish();
      logger.info({ resourceType: resourceType ?? 'all', count }, 'search index rebuilt');
      return 0;
    } finally {
      await sql.end({ timeout: 5 });
    }
  },
};

function parseArgs(args: string[]): { resourceType?: string; batchSize?: number } {
  let resourceType: string | undefined;
  let batchSize: number | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--batch') {
      batchSize = Number(args[++i]);
      if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('--batch takes a whole number of resources per batch');
    } else if (!resourceType && /^[A-Z][A-Za-z]+$/.test(args[i])) {
      resourceType = args[i];
    } else {
      throw new Error(`unexpected argument "${args[i]}" (usage: simpul reindex [ResourceType] [--batch N])`);
    }
  }
  return { resourceType, batchSize };
}

/** One line on stderr: bar, rows done of total, rows/s and ETA; redrawn in place on a terminal. */
export class ProgressBar {
  private readonly out: NodeJS.WriteStream;
  private readonly started = Date.now();
  private lastDraw = 0;
  private last: ReindexProgress = { done: 0, total: 0 };

  constructor(out: NodeJS.WriteStream) {
    this.out = out;
  }

  update(progress: ReindexProgress): void {
    this.last = progress;
    const now = Date.now();
    if (now - this.lastDraw < (this.out.isTTY ? 200 : 5000) && progress.done < progress.total) return;
    this.lastDraw = now;
    this.draw(false);
  }

  finish(): void {
    this.draw(true);
  }

  private draw(final: boolean): void {
    const { done, total } = this.last;
    const seconds = Math.max((Date.now() - this.started) / 1000, 0.001);
    const rate = done / seconds;
    const fraction = total > 0 ? Math.min(done / total, 1) : 1;
    const width = 30;
    const filled = Math.round(fraction * width);
    const eta = rate > 0 ? Math.round((total - done) / rate) : 0;
    const line =
      `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(1)}% ` +
      `${done.toLocaleString('en')}/${total.toLocaleString('en')} rows, ${Math.round(rate).toLocaleString('en')} rows/s, ` +
      `ETA ${formatSeconds(final ? 0 : eta)}`;
    this.out.write(this.out.isTTY ? `\r${line}${final ? '\n' : ''}` : `${line}\n`);
  }
}

function formatSeconds(total: number): string {
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${h > 0 ? `${h}:` : ''}${String(m).padStart(h > 0 ? 2 : 1, '0')}:${String(s).padStart(2, '0')}`;
}
