import { ClientStorage, MedplumClient, MemoryStorage } from '@medplum/core';
import type { SimpulConfig } from '@simpul/infra';

/** The hub options admin verbs take: `--hub`, `--client-id`, `--client-secret`. */
export const HUB_CONNECTION_OPTIONS = {
  hub: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
} as const;

export interface HubConnectionValues {
  hub?: string;
  'client-id'?: string;
  'client-secret'?: string;
}

/** A client signed in with the options, else SIMPUL_CLIENT_ID/SECRET, else the configured admin client. */
export async function connectToHub(config: SimpulConfig, values: HubConnectionValues): Promise<MedplumClient> {
  const clientId = values['client-id'] ?? process.env.SIMPUL_CLIENT_ID ?? config.admin.clientId;
  const clientSecret = values['client-secret'] ?? process.env.SIMPUL_CLIENT_SECRET ?? config.admin.clientSecret;
  const client = new MedplumClient({
    baseUrl: values.hub ?? config.hub.baseUrl,
    storage: new ClientStorage(new MemoryStorage()),
    cacheTime: 0,
    refreshGracePeriod: 30_000,
  });
  if (clientId && clientSecret) await client.startClientLogin(clientId, clientSecret);
  return client;
}
