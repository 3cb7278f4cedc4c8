import { createServer, type Server } from 'node:http';
import type { Logger, SimpulConfig } from '@simpul/infra';
import { BackgroundIngestBus } from '../edge/background-ingest-bus.ts';
import { loadTemplateSources } from '../mapping/index.ts';
import { SqlPoller, type SqlSourceStatus } from './sql-poller.ts';
import { WatermarkStore } from './watermark-store.ts';

export interface RunningSql {
  status(): SqlSourceStatus[];
  /** The health port when `sql.healthPort` is set. */
  healthPort?: number;
  close(): Promise<void>;
}

/**
 * What `simpul sql` runs: one poller per `sql.sources` entry, publishing through a bus that
 * connects in the background (until it is up, batches fail and back off without moving the
 * watermark), watermarks in the hub's PostgreSQL, and optionally `GET /healthz` on `sql.healthPort`.
 */
export async function runSql(config: Pick<SimpulConfig, 'sql' | 'webhook' | 'bus' | 'database'>, logger: Logger): Promise<RunningSql> {
  // The templates are the ingest worker's, but a broken one should stop the poller's start too, not only surface per row.
  loadTemplateSources({ sql: config.sql, webhook: { sources: [] } });
  if (config.sql.sources.length === 0) logger.warn('sql.sources is empty: nothing to poll');
  const bus = new BackgroundIngestBus(config.bus.url, logger.child({ part: 'sql-bus' }), { connectionName: 'simpul-sql', whileDown: 'SQL batches are retried' });
  const store = new WatermarkStore(config.database.url);
  const poller = new SqlPoller({ sources: config.sql.sources, publisher: bus, store, logger });
  poller.start();
  let server: Server | undefined;
  let healthPort: number | undefined;
  if (config.sql.healthPort !== undefined) {
    server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url !== '/healthz') {
        response.writeHead(404).end();
        return;
      }
      const healthy = poller.healthy() && bus.ready;
      response.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ ok: healthy, bus: bus.ready, sources: poller.status() }));
    });
    await new Promise<void>((resolve, reject) => {
      server?.once('error', reject);
      server?.listen(config.sql.healthPort, config.sql.healthHost, resolve);
    });
    healthPort = (server.address() as { port: number }).port;
  }
  for (const source of config.sql.sources) logger.info({ source: source.name, driver: source.driver, batchSize: source.batchSize, intervalSeconds: source.intervalSeconds }, 'sql source polling');
  return {
    status: () => poller.status(),
    ...(healthPort !== undefined ? { healthPort } : {}),
    async close() {
      if (server) await new Promise((resolve) => server?.close(resolve));
      await poller.close();
      await bus.close();
      await store.close();
    },
  };
}
