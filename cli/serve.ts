import { dicomScp, mllp, sqlPoller, webhook } from '@simpul/adapters';
import { lazyDeadLetterRoutes, startBotRuntime } from '@simpul/bots';
import { runHub, type RunHubOptions } from '@simpul/fhir-hub';
import { redactUrlCredentials, startAppliance } from '@simpul/infra';
import { runPreviews } from './dicom-commands.ts';
import { runIngest } from './ingest-command.ts';
import type { Command } from './commands.ts';
import { untilSignal, type Part } from './until-signal.ts';

/** The admin APIs the hub serves for other parts: dead letters of the bots and the ingest queue. */
const HUB_OPTIONS: RunHubOptions = { adminPlugins: [lazyDeadLetterRoutes] };

export const hubCommand: Command = {
  name: 'hub',
  summary: 'run the FHIR hub (HTTP on hub.port, default 8103)',
  usage: 'hub',
  longRunning: true,
  async run({ config: configured, logger }) {
    const appliance = await startAppliance(configured, logger);
    try {
      const hub = await runHub(appliance.config, logger.child({ part: 'hub' }), HUB_OPTIONS);
      return await untilSignal([{ name: 'embedded-postgres', close: () => appliance.close() }, { name: 'hub', close: () => hub.close() }], logger);
    } catch (err) {
      await appliance.close();
      throw err;
    }
  },
};

export const startCommand: Command = {
  name: 'start',
  summary: 'run every part in one process: hub, MLLP listener, ingest worker, bot runtime, DICOM receiver, previews (and the SQL pollers and webhook receiver when configured)',
  usage: 'start',
  longRunning: true,
  async run({ config: configured, logger }) {
    const parts: Part[] = [];
    try {
      // With no database.url: the embedded PostgreSQL first (closed last), and the bus on its tables unless bus.url is set.
      const appliance = await startAppliance(configured, logger);
      parts.push({ name: 'embedded-postgres', close: () => appliance.close() });
      const config = appliance.config;
      const hub = await runHub(config, logger.child({ part: 'hub' }), HUB_OPTIONS);
      parts.push({ name: 'hub', close: () => hub.close() });
      const mllpEdge = await mllp.runMllp(config, logger.child({ part: 'mllp' }));
      parts.push({ name: 'mllp', close: () => mllpEdge.close() });
      parts.push(...(await runIngest(config, logger.child({ part: 'ingest' }))));
      const bots = await startBotRuntime({ config, logger: logger.child({ part: 'bots' }) });
      parts.push({ name: 'bots', close: () => bots.close() });
      const dicom = await dicomScp.runDicom(config, logger.child({ part: 'dicom' }));
      parts.push({ name: 'dicom', close: () => dicom.close() });
      parts.push(...(await runPreviews(config, logger)));
      // The legacy-database pollers and the webhook receiver run when sources are configured for them.
      if (config.sql.sources.length > 0) {
        const pollers = await sqlPoller.runSql(config, logger.child({ part: 'sql' }));
        parts.push({ name: 'sql', close: () => pollers.close() });
      }
      if (config.webhook.sources.length > 0) {
        const receiver = await webhook.runWebhook(config, logger.child({ part: 'webhook' }));
        parts.push({ name: 'webhook', close: () => receiver.close() });
      }
      const bus = /^amqps?:/i.test(config.bus.url) ? `RabbitMQ ${redactUrlCredentials(config.bus.url)}` : 'database tables (simpul_bus schema)';
      const database = appliance.database ? `embedded PostgreSQL on 127.0.0.1:${appliance.database.port}, data in ${appliance.database.pgdata}` : redactUrlCredentials(config.database.url);
      logger.info({ fhir: `${hub.url}fhir/R4`, viewer: `${hub.url}app/`, mllpPorts: mllpEdge.ports, dicomPort: dicom.port, dicomAeTitle: config.dicom.aeTitle, database, bus }, 'simpul is up');
    } catch (err) {
      logger.error({ err }, `simpul start failed: ${(err as Error).message}; stopping what had started`);
      for (const part of parts.reverse()) {
        await part.close().catch((closeErr: unknown) => logger.error({ err: closeErr, part: part.name }, 'could not close a part cleanly'));
      }
      throw err;
    }
    return untilSignal(parts, logger);
  },
};
