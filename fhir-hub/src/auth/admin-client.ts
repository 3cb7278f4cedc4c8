/**
 * The first admin client (DESIGN.md, "Ports and names"): a service client with `system/*.* admin`.
 * Either configured (admin.clientId + admin.clientSecret / SIMPUL_ADMIN_CLIENT_ID +
 * SIMPUL_ADMIN_CLIENT_SECRET: created if missing, its stored hash updated if the secret changed) or,
 * on an empty database, generated once and printed to the log once: the secret is never stored in
 * clear, so that log line is the only place it ever appears. Safe for replicas starting together.
 */
import type { Logger } from 'pino';
import type { Sql } from '../db/connect.ts';
import { AuthInputError } from './auth-errors.ts';
import { createClient, findClient, setClientSecret } from './client-store.ts';
import { verifySecret } from './secret-hash.ts';
import { ADMIN_SCOPE } from './smart-scopes.ts';

export const ADMIN_CLIENT_SCOPE = `system/*.* ${ADMIN_SCOPE}`;
const ADMIN_LOCK = 7_140_202_613;

export interface AdminClientSettings {
  clientId?: string;
  clientSecret?: string;
}

export interface AdminClientResult {
  clientId: string;
  created: boolean;
  /** Only when this call generated the secret (first start without configured credentials). */
  secret?: string;
}

export async function ensureAdminClient(sql: Sql, settings: AdminClientSettings, logger: Logger): Promise<AdminClientResult> {
  if (!!settings.clientId !== !!settings.clientSecret) {
    throw new AuthInputError('admin.clientId and admin.clientSecret (SIMPUL_ADMIN_CLIENT_ID / SIMPUL_ADMIN_CLIENT_SECRET) go together: set both or neither');
  }
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${ADMIN_LOCK})`;
    if (settings.clientId && settings.clientSecret) {
      const existing = await findClient(tx, settings.clientId);
      if (!existing) {
        await createClient(tx, { name: 'Simpul admin', scope: ADMIN_CLIENT_SCOPE, clientId: settings.clientId, secret: settings.clientSecret });
        logger.info({ adminClientId: settings.clientId }, 'admin client created from configuration');
        return { clientId: settings.clientId, created: true };
      }
      if (!existing.isAdmin || existing.disabledAt) {
        throw new AuthInputError(`admin.clientId "${settings.clientId}" names a client that is not an active admin client`);
      }
      if (!existing.secretHash || !(await verifySecret(settings.clientSecret, existing.secretHash))) {
        await setClientSecret(tx, settings.clientId, settings.clientSecret);
        logger.info({ adminClientId: settings.clientId }, 'admin client secret updated from configuration');
      }
      return { clientId: settings.clientId, created: false };
    }
    const [active] = await tx<{ client_id: string }[]>`
      SELECT client_id FROM auth_client WHERE is_admin AND disabled_at IS NULL ORDER BY created_at LIMIT 1`;
    if (active) return { clientId: active.client_id, created: false };
    const { client, secret } = await createClient(tx, { name: 'Simpul admin', scope: ADMIN_CLIENT_SCOPE });
    logger.warn(
      { adminClientId: client.clientId },
      `First admin client created: client_id=${client.clientId} client_secret=${secret} ` +
        '(shown only this once: store it now, or set SIMPUL_ADMIN_CLIENT_ID and SIMPUL_ADMIN_CLIENT_SECRET to choose your own)',
    );
    return { clientId: client.clientId, created: true, secret };
  });
}
