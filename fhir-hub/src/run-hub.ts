import type { Bus, SimpulConfig } from '@simpul/infra';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { ensureAdminClient, ensureViewerClient, requireAdminScope, requireBearerToken } from './auth/index.ts';
import { connectDatabase } from './db/connect.ts';
import { migrate } from './db/migrate.ts';
import { buildHub, type Hub } from './http/build-hub.ts';
import { startOutboxRelay } from './outbox/start-relay.ts';

export interface RunHubOptions {
  /**
   * Admin APIs other packages own (the dead-letter API of the bots), mounted behind the same bearer
   * token and admin scope as the hub's own; each is given the hub's bus connection, absent until connected.
   */
  adminPlugins?: readonly ((bus: () => Bus | undefined) => FastifyPluginAsync)[];
}

export interface RunningHub {
  hub: Hub;
  url: string;
  close(): Promise<void>;
}

/**
 * `simpul hub`: migrate the database, make sure the first admin client exists (printed once on an
 * empty database), build the app and listen. Every FHIR and admin request needs an access token.
 */
export async function runHub(config: SimpulConfig, logger: Logger, options: RunHubOptions = {}): Promise<RunningHub> {
  const sql = connectDatabase({ url: config.database.url, maxConnections: config.database.maxConnections });
  try {
    const applied = await migrate(sql);
    logger.info({ applied }, applied.length ? 'database migrated' : 'database schema up to date');
    await ensureAdminClient(sql, { clientId: config.admin.clientId, clientSecret: config.admin.clientSecret }, logger.child({ part: 'auth' }));
    await ensureViewerClient(sql, config.hub.baseUrl, logger.child({ part: 'auth' }));
    const hub = await buildHub({
      sql,
      logger,
      baseUrl: config.hub.baseUrl,
      storageDir: config.storage.dir,
      maxBodyBytes: config.hub.maxBodyBytes,
      maxBinaryBytes: config.hub.maxBinaryBytes,
      maxQueryStringLength: config.hub.maxQueryStringLength,
      terminology: config.terminology,
      identity: config.identity,
    });
    const relay = startOutboxRelay(sql, config.bus.url, logger.child({ part: 'outbox-relay' }));
    hub.health.register('bus', async () => {
      const bus = relay.bus();
      if (!bus) throw new Error('not connected to the bus');
      await bus.check();
    });
    const adminPlugins = options.adminPlugins ?? [];
    if (adminPlugins.length > 0) {
      await hub.app.register(async (admin) => {
        requireBearerToken(admin, hub.auth);
        requireAdminScope(admin);
        for (const plugin of adminPlugins) await admin.register(plugin(() => relay.bus()));
      });
    }
    await hub.app.listen({ port: config.hub.port, host: config.hub.host });
    const address = hub.app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.hub.port;
    const url = `http://${config.hub.host.includes(':') ? `[${config.hub.host}]` : config.hub.host}:${port}/`;
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
