import { hl7Mapping, ingestWorker } from '@simpul/adapters';
import { Bus, ConfigError, type SimpulConfig } from '@simpul/infra';
import type { Logger } from 'pino';
import type { Command } from './commands.ts';
import { ingestTemplates } from './sql.ts';
import { untilSignal, type Part } from './until-signal.ts';

/** Each `ingest.hl7Sources` entry validated by the HL7 mapper's schema, errors reported like any config error. */
export function parseHl7Sources(config: SimpulConfig): Record<string, hl7Mapping.Hl7SourceMapping> {
  const sources: Record<string, hl7Mapping.Hl7SourceMapping> = {};
  const problems: ConstructorParameters<typeof ConfigError>[0] = [];
  for (const [name, input] of Object.entries(config.ingest.hl7Sources)) {
    const parsed = hl7Mapping.hl7SourceMappingSchema.safeParse(input);
    if (parsed.success) {
      sources[name] = parsed.data;
      continue;
    }
    for (const issue of parsed.error.issues) {
      const path = ['ingest', 'hl7Sources', name, ...issue.path.map(String)].join('.');
      problems.push({ file: 'config', path, expected: issue.message, found: JSON.stringify((issue as { input?: unknown }).input ?? null), message: `${path}: ${issue.message}` });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return sources;
}

/** DICOM mapping when `dicom.mapping` names the systems; without it DICOM messages are refused with the reason. */
function dicomSettings(config: SimpulConfig, logger: Logger): ingestWorker.DicomIngestSettings | undefined {
  try {
    return ingestWorker.resolveDicomIngestSettings(config.dicom.mapping, config.hub.baseUrl, config.storage.dir);
  } catch (err) {
    logger.warn({ reason: (err as Error).message }, 'DICOM ingest is off until dicom.mapping is configured');
    return undefined;
  }
}

export async function runIngest(config: SimpulConfig, logger: Logger): Promise<Part[]> {
  const hl7Sources = parseHl7Sources(config);
  if (Object.keys(hl7Sources).length === 0) {
    logger.warn('ingest.hl7Sources is empty: HL7 messages will be recorded as errors until a source mapping is configured');
  }
  const hub = await ingestWorker.createHubClient({
    baseUrl: config.hub.baseUrl,
    clientId: config.ingest.clientId ?? config.admin.clientId,
    clientSecret: config.ingest.clientSecret ?? config.admin.clientSecret,
  });
  const translator = await ingestWorker.HubTerminologyTranslator.start(hub, logger);
  const dicom = dicomSettings(config, logger);
  const bus = await Bus.connect(config.bus.url, { logger, connectionName: 'simpul-ingest' });
  const worker = await ingestWorker.startIngestWorker({
    bus,
    hub,
    logger,
    hl7Sources,
    translator,
    prefetch: config.ingest.prefetch,
    maxAttempts: config.ingest.maxAttempts,
    duplicateWindowMs: config.ingest.duplicateWindowSeconds * 1000,
    ...(dicom ? { dicom } : {}),
    templates: ingestTemplates(config),
  });
  return [
    { name: 'bus', close: () => bus.close() },
    { name: 'terminology', close: async () => translator.stop() },
    { name: 'ingest worker', close: () => worker.close() },
  ];
}

export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'run the ingest worker: map edge messages to FHIR and write them to the hub',
  usage: 'ingest',
  longRunning: true,
  async run({ config, logger }) {
    const parts = await runIngest(config, logger.child({ part: 'ingest' }));
    return untilSignal(parts, logger);
  },
};
