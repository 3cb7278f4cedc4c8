import { isIP } from 'node:net';
import type { SimpulConfig } from '@simpul/infra';
import type { Logger } from 'pino';
import { connectDatabase } from './db/connect.ts';
import { migrate } from './db/migrate.ts';
import { buildHub, type Hub } from './http/build-hub.ts';
import { startOutboxRelay } from './outbox/start-relay.ts';

export interface RunningHub {
  hub: Hub;
  url: string;
  close(): Promise<void>;
}

/**
 * `simpul hub`: migrate the database, build the app and listen. Until the auth issue lands the hub
 * has no authorization, so it refuses to listen anywhere but loopback and says so in its log.
 */
export async function runHub(config: SimpulConfig, logger: Logger): Promise<RunningHub> {
  if (!isLoopback(config.hub.host)) {
    throw new Error(
      `hub.host is "${config.hub.host}": the hub has no authorization yet and only listens on loopback (127.0.0.1, ::1, localhost)`,
    );
  }
  const sql = connectDatabase({ url: config.database.url, maxConnections: config.database.maxConnections });
  try {
    const applied = await migrate(sql);
    logger.info({ applied }, applied.length ? 'database migrated' : 'database schema up to date');
    const hub = await buildHub({
      sql,
      logger,
      baseUrl: config.hub.baseUrl,
      storageDir: config.storage.dir,
      maxBodyBytes: config.hub.maxBodyBytes,
      maxBinaryBytes: config.hub.maxBinaryBytes,
      maxQueryStringLength: config.hub.maxQueryStringLength,
    });
    const relay = startOutboxRelay(sql, config.bus.url, logger.child({ part: 'outbox-relay' }));
    hub.health.register('bus', async () => {
      const bus = relay.bus();
      if (!bus) throw new Error('not connected to RabbitMQ');
      await bus.check();
    });
    await hub.app.listen({ port: config.hub.port, host: config.hub.host });
    const address = hub.app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.hub.port;
    const url = `http://${config.hub.host.includes(':') ? `[${config.hub.host}]` : config.hub.host}:${port}/`;
    logger.warn({ url }, 'FHIR hub is OPEN: no authorization is configured yet, so it listens on loopback only');
    logger.info({ fhir: `${url}fhir/R4`, health: `${url}healthz` }, 'FHIR hub ready');
    return {
      hub,
      url,
      async close() {
        await hub.app.close();
        await relay.close();
        await sql.end({ timeout: 5 });
      },
    };
  } catch (err) {
    await sql.end({ timeout: 1 });
    throw err;
  }
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}
