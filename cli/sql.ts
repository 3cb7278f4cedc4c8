import { hl7Mapping, ingestWorker, sqlPoller, templateMapping, webhook } from '@simpul/adapters';
import type { SimpulConfig } from '@simpul/infra';
import type { Logger } from 'pino';
import type { Command } from './commands.ts';
import { untilSignal } from './until-signal.ts';

/** The SQL and webhook sources' mapping templates, for the ingest worker (`runIngest`). */
export function ingestTemplates(config: SimpulConfig): ingestWorker.TemplateSources {
  return templateMapping.loadTemplateSources(config);
}

export const sqlCommand: Command = {
  name: 'sql',
  summary: 'run the legacy-database pollers (sql.sources): one bus message per new or changed row',
  usage: 'sql',
  longRunning: true,
  async run({ config, logger }) {
    const running = await sqlPoller.runSql(config, logger.child({ part: 'sql' }));
    logger.info({ sources: config.sql.sources.map((s) => s.name), healthPort: running.healthPort }, 'simpul sql is up');
    return untilSignal([{ name: 'sql', close: () => running.close() }], logger);
  },
};

export const sqlTestCommand: Command = {
  name: 'sql test',
  summary: "run a source's query once: its first rows and their mapped FHIR (writes nothing)",
  usage: 'sql test <source> [--limit n]',
  async run({ config, logger, args }) {
    const name = args.find((arg) => !arg.startsWith('--'));
    const limitAt = args.indexOf('--limit');
    const limit = limitAt >= 0 ? Number(args[limitAt + 1]) : 5;
    const index = config.sql.sources.findIndex((source) => source.name === name);
    if (!name || index < 0) {
      process.stderr.write(`usage: simpul sql test <source> [--limit n]; sources: ${config.sql.sources.map((s) => s.name).join(', ') || 'none (sql.sources is empty)'}\n`);
      return 2;
    }
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      process.stderr.write('--limit must be a whole number from 1 to 1000\n');
      return 2;
    }
    const result = await sqlPoller.testSqlSource(config.sql.sources[index], { limit, translator: await translatorFor(config, logger), configKey: `sql.sources[${index}]` });
    process.stdout.write(`${JSON.stringify({ source: name, columns: result.columns, rows: result.rows }, null, 2)}\n`);
    return result.rows.some((row) => row.error) ? 1 : 0;
  },
};

export const webhookCommand: Command = {
  name: 'webhook',
  summary: 'run the webhook receiver: POST /ingest/<source> (webhook.port, default 8110)',
  usage: 'webhook',
  longRunning: true,
  async run({ config, logger }) {
    const running = await webhook.runWebhook(config, logger.child({ part: 'webhook' }));
    logger.info({ port: running.port, sources: config.webhook.sources.map((s) => s.name) }, 'simpul webhook is up');
    return untilSignal([{ name: 'webhook', close: () => running.close() }], logger);
  },
};

/** The hub's terminology when a client is configured and the hub answers (read only); the built-in v2 tables otherwise. */
async function translatorFor(config: SimpulConfig, logger: Logger): Promise<hl7Mapping.CodeTranslator> {
  const clientId = config.ingest.clientId ?? config.admin.clientId;
  const clientSecret = config.ingest.clientSecret ?? config.admin.clientSecret;
  if (clientId && clientSecret) {
    try {
      const hub = await ingestWorker.createHubClient({ baseUrl: config.hub.baseUrl, clientId, clientSecret });
      const translator = await ingestWorker.HubTerminologyTranslator.start(hub, logger, 0);
      return translator;
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'the hub is not reachable: $translate uses the built-in v2 tables only');
    }
  }
  return hl7Mapping.createV2TableTranslator();
}
