/**
 * SMART on FHIR authorization for the hub: the authorization server (oidc-provider), the resource
 * server checks (scopes, patient compartment), the audit trail and the admin operations the CLI uses.
 * See README.md beside this file.
 */
export { AccessPolicy, type Interaction, type SearchPlan } from './access-policy.ts';
export { ensureViewerClient, VIEWER_SCOPE } from './viewer-client.ts';
export { ADMIN_CLIENT_SCOPE, ensureAdminClient, type AdminClientResult, type AdminClientSettings } from './admin-client.ts';
export type { AuthContext } from './auth-context.ts';
export { AuthError, AuthInputError } from './auth-errors.ts';
export { authMeRoute } from './auth-me.ts';
export { DEFAULT_AUTH_OPTIONS, maxAccessTokenTtl, type AuthOptions } from './auth-options.ts';
export { AuthServer, type AuthServerConfig } from './auth-server.ts';
export type { AuthCounters } from './audit-writer.ts';
export { requestRepository, requireAdminScope, requireBearerToken } from './bearer-auth.ts';
export { createClient, disableClient, listClients, type ClientRecord, type CreatedClient, type NewClient } from './client-store.ts';
export { oauthRoutes } from './oauth-routes.ts';
export { ScopedRepository, type HubRepository } from './scoped-repository.ts';
export { rotateSigningKeys } from './signing-keys.ts';
export { addUser, disableUser, listUsers, MIN_PASSWORD_LENGTH, type NewUser, type UserRecord } from './user-store.ts';
