import { buildHub, connectDatabase, migrate, type RebuildProgress } from '@simpul/fhir-hub';
import type { Command } from './commands.ts';
import { ProgressBar } from './reindex-command.ts';

/**
 * `simpul identity rebuild`: re-runs patient matching over every stored Patient after a change to the
 * `identity` rules (features and blocking keys recomputed, then candidates scored: new links and
 * review Tasks). Existing links, merges and decisions stay. Progress goes to stderr.
 */
export const identityRebuildCommand: Command = {
  name: 'identity rebuild',
  summary: 're-run patient matching over stored Patients (after an identity rule change)',
  usage: 'identity rebuild',
  async run({ config, logger, args }) {
    if (args.length > 0) throw new Error(`unexpected argument "${args[0]}" (usage: simpul identity rebuild)`);
    if (!config.identity.enabled) throw new Error('identity.enabled is false in the configuration: nothing to rebuild');
    const sql = connectDatabase({ url: config.database.url, maxConnections: 4, applicationName: 'simpul-identity-rebuild' });
    try {
      await migrate(sql);
      const hub = await buildHub({
        sql,
        logger: logger.child({ part: 'hub' }),
        baseUrl: config.hub.baseUrl,
        storageDir: config.storage.dir,
        maxBodyBytes: config.hub.maxBodyBytes,
        maxBinaryBytes: config.hub.maxBinaryBytes,
        maxQueryStringLength: config.hub.maxQueryStringLength,
        terminology: config.terminology,
        // This process drains the queue itself; running replicas keep polling theirs.
        identity: { ...config.identity, pollIntervalMs: 0 },
      });
      try {
        let bar: ProgressBar | undefined;
        let phase: RebuildProgress['phase'] | undefined;
        const result = await hub.identity?.rebuild((progress) => {
          if (progress.phase !== phase) {
            bar?.finish();
            phase = progress.phase;
            process.stderr.write(`${phase === 'index' ? 'indexing patients' : 'matching patients'}\n`);
            bar = new ProgressBar(process.stderr);
          }
          bar?.update(progress);
        });
        bar?.finish();
        logger.info({ ...result }, 'identity rebuild done');
      } finally {
        await hub.app.close();
      }
      return 0;
    } finally {
      await sql.end({ timeout: 5 });
    }
  },
};
