import { ClientStorage, MedplumClient, MemoryStorage } from '@medplum/core';
import { useMedplum } from '@medplum/react-hooks';
import { createContext, useContext, useMemo, useState, type ReactNode } from 'react';
import { AdminApi } from './lib/admin-api.ts';

interface AdminAccess {
  api: AdminApi;
  /** True when an admin client is signed in for this tab (held in memory only). */
  elevated: boolean;
  /** Uses an admin client's access token (client credentials, obtained outside the browser) for this tab. */
  signIn: (accessToken: string) => Promise<void>;
  signOut: () => void;
}

const AdminContext = createContext<AdminAccess | undefined>(undefined);

/**
 * The admin API needs a token with the hub's `admin` scope, which the hub gives only to service
 * clients (client credentials), never to a person's sign-in; and the hub's authorization server
 * refuses a client-credentials request from a browser origin. So the integration monitor tries the
 * person's token first and, on 403, takes an admin client's access token for this tab: a second
 * MedplumClient holding it in memory only (gone on reload; such tokens live 5 minutes).
 */
export function AdminAccessProvider({ children }: { children: ReactNode }): ReactNode {
  const medplum = useMedplum();
  const [adminClient, setAdminClient] = useState<MedplumClient>();
  const value = useMemo<AdminAccess>(
    () => ({
      api: new AdminApi(adminClient ?? medplum),
      elevated: !!adminClient,
      async signIn(accessToken) {
        if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(accessToken)) throw new Error('That is not an access token (a JWT such as eyJ...)');
        const client = new MedplumClient({ baseUrl: medplum.getBaseUrl(), storage: new ClientStorage(new MemoryStorage()), cacheTime: 0 });
        client.setAccessToken(accessToken);
        await new AdminApi(client).stats(1);
        setAdminClient(client);
      },
      signOut() {
        adminClient?.clearActiveLogin();
        setAdminClient(undefined);
      },
    }),
    [medplum, adminClient],
  );
  return <AdminContext.Provider value={value}>{children}</AdminContext.Provider>;
}

export function useAdminAccess(): AdminAccess {
  const value = useContext(AdminContext);
  if (!value) throw new Error('useAdminAccess() outside <AdminAccessProvider>');
  return value;
}
