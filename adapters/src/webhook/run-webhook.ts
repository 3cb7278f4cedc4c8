import type { Logger, SimpulConfig } from '@simpul/infra';
import { BackgroundIngestBus } from '../edge/background-ingest-bus.ts';
import { loadTemplateSources } from '../mapping/index.ts';
import { hubTokenVerifier } from './authenticate.ts';
import { startWebhookServer } from './webhook-server.ts';

export interface RunningWebhook {
  port: number;
  close(): Promise<void>;
}

/** What `simpul webhook` runs: the receiver on `webhook.host:port`, publishing through a bus that connects in the background (503 until it is up). */
export async function runWebhook(config: Pick<SimpulConfig, 'webhook' | 'bus' | 'hub'>, logger: Logger): Promise<RunningWebhook> {
  // The templates are the ingest worker's; compiling them here stops a broken config at start.
  loadTemplateSources({ sql: { sources: [] }, webhook: config.webhook });
  const bus = new BackgroundIngestBus(config.bus.url, logger.child({ part: 'webhook-bus' }), { connectionName: 'simpul-webhook', whileDown: 'webhook senders get 503' });
  try {
    const server = await startWebhookServer({
      sources: config.webhook.sources,
      publisher: bus,
      logger,
      host: config.webhook.host,
      port: config.webhook.port,
      verifyHubToken: hubTokenVerifier(config.hub.baseUrl),
    });
    return {
      port: server.port,
      async close() {
        await server.close();
        await bus.close();
      },
    };
  } catch (err) {
    await bus.close();
    throw err;
  }
}
