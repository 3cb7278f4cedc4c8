import type { Logger } from 'pino';
import type { Sql } from '../db/connect.ts';
import { createClient } from './client-store.ts';

/** What the viewer asks for: the signed-in person's own FHIR access, read and search. */
export const VIEWER_SCOPE = 'openid fhirUser offline_access user/*.rs';
/** Two replicas starting together register one viewer client. */
const VIEWER_LOCK = 0x5349_4d56; // "SIMV"

/**
 * The viewer at `<baseUrl>app/` signs people in with the authorization code flow + PKCE as a public
 * client. Made at start when no active public client has that redirect URI, so a fresh install's
 * viewer works without a set-up step; the operator may disable it and register another.
 */
export async function ensureViewerClient(sql: Sql, baseUrl: string, logger: Logger): Promise<{ clientId: string; created: boolean }> {
  const redirectUri = `${baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`}app/`;
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${VIEWER_LOCK})`;
    const [existing] = await tx<{ client_id: string }[]>`
      SELECT client_id FROM auth_client
      WHERE auth_method = 'none' AND disabled_at IS NULL AND ${redirectUri} = ANY(redirect_uris)
      ORDER BY created_at LIMIT 1`;
    if (existing) return { clientId: existing.client_id, created: false };
    const { client } = await createClient(tx, { name: 'Simpul viewer', public: true, redirectUris: [redirectUri], scope: VIEWER_SCOPE });
    logger.info({ viewerClientId: client.clientId, redirectUri }, 'viewer sign-in client registered');
    return { clientId: client.clientId, created: true };
  });
}
