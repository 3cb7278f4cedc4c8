/**
 * The SATUSEHAT destination driver (routing destinations of `type: satusehat`). See `deliver.ts`
 * for the flow and `identifier-systems.ts` for what is written back onto local resources.
 */
import { createSatusehatDriver } from './deliver.ts';

export { createSatusehatDriver, type SatusehatDriverOptions } from './deliver.ts';
export { SatusehatTokenCache } from './token-cache.ts';
export { IHS_NUMBER_SYSTEM, NIK_SYSTEM, REMOTE_ID_SYSTEM_BASE, remoteIdSystem } from './identifier-systems.ts';

/** The driver, with one token cache for the process (tokens are per (authUrl, clientId)). */
export const deliverToSatusehat = createSatusehatDriver();
