import { randomBytes, randomUUID } from 'node:crypto';
import type { SandboxOrganization } from '../sandbox-options.ts';
import type { TokenRejection } from '../outcomes.ts';

/** Who a valid bearer token speaks for. */
export interface TokenGrant {
  accessToken: string;
  clientId: string;
  organizationId: string;
  issuedAt: number;
  expiresAt: number;
}

/** The 200 body of `POST /oauth2/v1/accesstoken`, every value a string as Apigee sends it (section 2). */
export interface TokenResponseBody {
  refresh_token_expires_in: string;
  api_product_list: string;
  api_product_list_json: string[];
  organization_name: string;
  'developer.email': string;
  token_type: 'BearerToken';
  issued_at: string;
  client_id: string;
  access_token: string;
  application_name: string;
  scope: string;
  expires_in: string;
  refresh_count: string;
  status: 'approved';
}

export interface TokenIssuerOptions {
  organizations: SandboxOrganization[];
  ttlSeconds: number;
  gatewayOrganizationName: string;
  apiProduct: string;
  now: () => number;
}

export type TokenCheck = { ok: true; grant: TokenGrant } | { ok: false; reason: TokenRejection };

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Issues opaque access tokens for configured client credentials and remembers them until they expire. */
export class TokenIssuer {
  private readonly options: TokenIssuerOptions;
  private readonly clients = new Map<string, SandboxOrganization>();
  private readonly grants = new Map<string, TokenGrant>();
  /** application_name is a UUID per client on the real platform; stable for the sandbox's life. */
  private readonly applicationIds = new Map<string, string>();

  constructor(options: TokenIssuerOptions) {
    this.options = options;
    for (const org of options.organizations) this.clients.set(org.clientId, org);
  }

  /** The organisation these credentials belong to, or undefined when they do not match. */
  authenticate(clientId: string, clientSecret: string): SandboxOrganization | undefined {
    const org = this.clients.get(clientId);
    return org !== undefined && org.clientSecret === clientSecret ? org : undefined;
  }

  issue(org: SandboxOrganization): TokenResponseBody {
    const issuedAt = this.options.now();
    const accessToken = newAccessToken();
    this.grants.set(accessToken, {
      accessToken,
      clientId: org.clientId,
      organizationId: org.id,
      issuedAt,
      expiresAt: issuedAt + this.options.ttlSeconds * 1000,
    });
    return {
      refresh_token_expires_in: '0',
      api_product_list: `[${this.options.apiProduct}]`,
      api_product_list_json: [this.options.apiProduct],
      organization_name: this.options.gatewayOrganizationName,
      'developer.email': org.developerEmail,
      token_type: 'BearerToken',
      issued_at: String(issuedAt),
      client_id: org.clientId,
      access_token: accessToken,
      application_name: this.applicationName(org),
      scope: '',
      expires_in: String(this.options.ttlSeconds),
      refresh_count: '0',
      status: 'approved',
    };
  }

  check(accessToken: string | undefined): TokenCheck {
    if (!accessToken) return { ok: false, reason: 'missing' };
    const grant = this.grants.get(accessToken);
    if (grant === undefined) return { ok: false, reason: 'unknown' };
    if (this.options.now() >= grant.expiresAt) return { ok: false, reason: 'expired' };
    return { ok: true, grant };
  }

  /** Every token issued so far is expired from now on (they are still recognised, as expired). */
  expireAll(): void {
    const now = this.options.now();
    for (const grant of this.grants.values()) grant.expiresAt = Math.min(grant.expiresAt, now);
  }

  private applicationName(org: SandboxOrganization): string {
    if (org.applicationName !== undefined) return org.applicationName;
    let id = this.applicationIds.get(org.clientId);
    if (id === undefined) {
      id = randomUUID();
      this.applicationIds.set(org.clientId, id);
    }
    return id;
  }
}

/** 28 alphanumeric characters, like the documented `k8JIDROZHfXjmUcQJE62lMqQwlLU`. */
function newAccessToken(): string {
  const bytes = randomBytes(28);
  let token = '';
  for (const byte of bytes) token += TOKEN_ALPHABET[byte % TOKEN_ALPHABET.length];
  return token;
}
