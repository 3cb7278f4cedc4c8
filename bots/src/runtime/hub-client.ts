import { MedplumClient } from '@medplum/core';
import type { HubClientSettings } from './worker-protocol.ts';

/**
 * Shorter than MedplumClient's 5-minute default: the hub issues client-credentials tokens for 5
 * minutes (SMART Backend Services), so with the default every token already counts as expiring
 * and the client signs in again (a ~200 ms secret check) before every request.
 */
const REFRESH_GRACE_MS = 30_000;

/**
 * A `MedplumClient` for the hub, signed in with its own client credentials when it has them
 * (OAuth2 client credentials, sent in the Authorization header; MedplumClient signs in again by
 * itself when the token expires or a request gets 401), unauthenticated otherwise. Resource
 * caching is off: a bot must see the current version of what it reads.
 */
export class HubClient {
  readonly medplum: MedplumClient;
  readonly #settings: HubClientSettings;
  #signingIn: Promise<void> | undefined;
  #signedIn = false;

  constructor(settings: HubClientSettings) {
    this.#settings = settings;
    this.medplum = new MedplumClient({
      baseUrl: settings.baseUrl,
      fhirUrlPath: 'fhir/R4/',
      cacheTime: 0,
      refreshGracePeriod: REFRESH_GRACE_MS,
      authCredentialsMethod: 'header',
      ...(settings.clientId ? { clientId: settings.clientId, clientSecret: settings.clientSecret } : undefined),
    });
  }

  /** Signs in once (single flight); a failed sign-in is tried again by the next caller. */
  async ready(): Promise<MedplumClient> {
    const { clientId, clientSecret } = this.#settings;
    if (this.#signedIn || !clientId || !clientSecret) return this.medplum;
    this.#signingIn ??= this.medplum
      .startClientLogin(clientId, clientSecret)
      .then(() => {
        this.#signedIn = true;
      })
      .finally(() => {
        this.#signingIn = undefined;
      });
    await this.#signingIn;
    return this.medplum;
  }
}
