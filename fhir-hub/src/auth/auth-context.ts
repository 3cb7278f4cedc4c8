import type { SmartScope } from './smart-scopes.ts';

/** Who is calling and what the verified access token lets them do; one per request. */
export interface AuthContext {
  /** `user`: a person signed in through an app; `client`: a service with client credentials. */
  kind: 'user' | 'client';
  clientId: string;
  /** The token's `sub`: the user id for user tokens, the client id for client tokens. */
  subject: string;
  /** Relative reference of the person (`Practitioner/123`, `Patient/9`), user tokens only. */
  fhirUser?: string;
  /** The patient a `patient/` scope is confined to (launch context or the signed-in Patient). */
  patientId?: string;
  /** The token's scope claim as issued. */
  scope: string;
  smartScopes: SmartScope[];
  /** Holds the hub's admin scope. */
  admin: boolean;
  tokenId: string;
  /** The grant id (user tokens): what MedplumClient calls login_id and revocation works on. */
  loginId?: string;
  issuedAt: number;
  expiresAt: number;
}

/** Where the request came from, for the audit trail. */
export interface RequestOrigin {
  ip: string;
  method: string;
  path: string;
  traceId: string;
}
