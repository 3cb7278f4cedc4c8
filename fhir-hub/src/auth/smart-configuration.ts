/**
 * `/.well-known/smart-configuration` (SMART App Launch 2.0, section "Conformance"): only capabilities
 * the hub really has. Not claimed: EHR launch (`launch-ehr`, `context-ehr-*`), `context-banner`,
 * `context-style`, `permission-online`, `authorize-post`, dynamic registration.
 */
import { OIDC_SCOPES } from './smart-scopes.ts';

export function smartConfiguration(baseUrl: string): Record<string, unknown> {
  return {
    issuer: baseUrl,
    jwks_uri: `${baseUrl}oauth2/jwks`,
    authorization_endpoint: `${baseUrl}oauth2/authorize`,
    token_endpoint: `${baseUrl}oauth2/token`,
    introspection_endpoint: `${baseUrl}oauth2/introspect`,
    revocation_endpoint: `${baseUrl}oauth2/revoke`,
    userinfo_endpoint: `${baseUrl}oauth2/userinfo`,
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types_supported: ['code'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS256', 'RS384', 'ES256', 'ES384'],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: [
      ...OIDC_SCOPES,
      'patient/*.rs',
      'patient/*.cruds',
      'user/*.rs',
      'user/*.cruds',
      'system/*.rs',
      'system/*.cruds',
      'patient/*.read',
      'user/*.read',
      'system/*.read',
      'patient/*.*',
      'user/*.*',
      'system/*.*',
    ],
    capabilities: [
      'launch-standalone',
      'client-public',
      'client-confidential-symmetric',
      'client-confidential-asymmetric',
      'context-standalone-patient',
      'sso-openid-connect',
      'permission-offline',
      'permission-patient',
      'permission-user',
      'permission-v1',
      'permission-v2',
    ],
  };
}
