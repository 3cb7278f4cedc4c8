import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { SimpulConfig } from '../config/schema.ts';
import type { EmbeddedPostgres } from './embedded-postgres.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';

export interface Appliance {
  /** The configuration with the embedded server's URL in `database.url` (and `bus.url` when the bus follows the database). */
  config: SimpulConfig;
  /** The embedded server, when this process started one. */
  database?: EmbeddedPostgres;
  /** Stops the embedded server (call after every part using it has closed). */
  close(): Promise<void>;
}

/**
 * Appliance mode: with no `database.url` configured, start the embedded PostgreSQL under
 * `database.embedded.dir` and point the database (and a bus without `bus.url`) at it. With no
 * `admin.clientId` either, the first admin client is generated once, printed, and kept in
 * `<dir>/admin-client.json` (0600): the in-process parts (ingest, bots) use it, on every restart
 * too, since the hub stores only a hash of the secret. With a configured URL this changes nothing.
 */
export async function startAppliance(config: SimpulConfig, logger: Logger): Promise<Appliance> {
  const embedded = config.database.embedded;
  if (!embedded) return { config, close: async () => undefined };
  const database = await startEmbeddedPostgres({ dir: embedded.dir, port: embedded.port, logger: logger.child({ part: 'embedded-postgres' }) });
  let admin: SimpulConfig['admin'];
  try {
    admin = config.admin.clientId ? config.admin : await applianceAdminClient(path.resolve(embedded.dir, 'admin-client.json'), logger);
  } catch (error) {
    await database.stop();
    throw error;
  }
  const busFollows = config.bus.url === config.database.url;
  return {
    config: {
      ...config,
      admin,
      database: { ...config.database, url: database.url },
      bus: busFollows ? { ...config.bus, url: database.url } : config.bus,
    },
    database,
    close: () => database.stop(),
  };
}

async function applianceAdminClient(file: string, logger: Logger): Promise<SimpulConfig['admin']> {
  if (existsSync(file)) {
    const stored = JSON.parse(await readFile(file, 'utf8')) as { clientId?: unknown; clientSecret?: unknown };
    if (typeof stored.clientId !== 'string' || typeof stored.clientSecret !== 'string') {
      throw new Error(`${file} must hold {"clientId": "...", "clientSecret": "..."}; restore it, or set admin.clientId and admin.clientSecret`);
    }
    logger.info({ adminClientId: stored.clientId, file }, 'appliance admin client read from the data folder');
    return { clientId: stored.clientId, clientSecret: stored.clientSecret };
  }
  const clientId = `admin-${randomBytes(6).toString('hex')}`;
  const clientSecret = randomBytes(32).toString('base64url');
  await writeFile(file, `${JSON.stringify({ clientId, clientSecret })}\n`, { mode: 0o600, flag: 'wx' });
  logger.warn(
    { adminClientId: clientId, file },
    `First admin client created: client_id=${clientId} client_secret=${clientSecret} (kept in ${file}, readable by this user only)`,
  );
  return { clientId, clientSecret };
}
