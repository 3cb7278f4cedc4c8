import { ClientStorage, MedplumClient } from '@medplum/core';

/** What `/app/config.json` says: the viewer's OAuth client (null when none is registered yet, with the command that makes one). */
export interface ViewerConfig {
  clientId: string | null;
  scope: string;
  redirectUri: string;
  setup?: string;
}

export function viewerRedirectUri(origin = window.location.origin): string {
  return `${origin}/app/`;
}

export async function loadViewerConfig(fetcher: typeof fetch = fetch): Promise<ViewerConfig> {
  const redirectUri = viewerRedirectUri();
  const response = await fetcher(`/app/config.json?redirect_uri=${encodeURIComponent(redirectUri)}`, { cache: 'no-store' });
  if (!response.ok) throw new Error(`The hub did not give the viewer its settings (/app/config.json answered ${response.status})`);
  return (await response.json()) as ViewerConfig;
}

/** The viewer's client: same origin as the hub, no response cache (the worklist polls). A public client: client_id goes in the token request body. */
export function createViewerClient(storage: ClientStorage, onUnauthenticated?: () => void): MedplumClient {
  return new MedplumClient({
    baseUrl: `${window.location.origin}/`,
    storage,
    cacheTime: 0,
    onUnauthenticated,
  });
}

/**
 * Finishes the authorization-code redirect when the URL carries `code`: checks `state` against the
 * one this tab sent (MedplumClient keeps it as `pkceState`), exchanges the code with the PKCE
 * verifier, and removes code and state from the address bar.
 */
export async function finishSignIn(medplum: MedplumClient, storage: ClientStorage, config: ViewerConfig): Promise<'signed-in' | 'none'> {
  const url = new URL(window.location.href);
  const code = url.searchParams.get('code');
  const error = url.searchParams.get('error');
  if (!code && !error) return 'none';
  const state = url.searchParams.get('state');
  const expected = storage.getString('pkceState');
  url.searchParams.delete('code');
  url.searchParams.delete('state');
  url.searchParams.delete('error');
  url.searchParams.delete('error_description');
  url.searchParams.delete('iss');
  const description = new URL(window.location.href).searchParams.get('error_description');
  window.history.replaceState(null, '', url.pathname + (url.search === '?' ? '' : url.search));
  if (error) throw new Error(`Sign-in was not completed: ${description ?? error}`);
  if (!expected || state !== expected) throw new Error('Sign-in answer did not match the request this tab sent (state). Start the sign-in again.');
  await medplum.processCode(code as string, { clientId: config.clientId ?? undefined, redirectUri: config.redirectUri });
  return 'signed-in';
}
