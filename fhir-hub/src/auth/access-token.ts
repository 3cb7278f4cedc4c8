/**
 * The resource server's token check: a bearer token is an RS256/ES256 JWT (`typ: at+jwt`) signed by
 * one of the hub's own keys, issued by this hub, for the FHIR base audience, not expired, and not on
 * the revocation list. All of it in memory (keys and revocations are cached), so a FHIR request costs
 * no extra database round trip.
 */
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { AuthContext } from './auth-context.ts';
import type { RevocationList } from './revocations.ts';
import type { KeyRing } from './signing-keys.ts';
import { ADMIN_SCOPE, parseSmartScopes, splitScope } from './smart-scopes.ts';

export class InvalidAccessToken extends Error {
  override name = 'InvalidAccessToken';
}

interface HubClaims extends JWTPayload {
  client_id?: string;
  scope?: string;
  login_id?: string;
  fhirUser?: string;
  patient?: string;
}

const CLOCK_TOLERANCE_SECONDS = 5;

export class AccessTokenVerifier {
  private readonly keyRing: KeyRing;
  private readonly revocations: RevocationList;
  readonly issuerUrl: string;
  readonly audienceUrl: string;

  constructor(keyRing: KeyRing, revocations: RevocationList, issuer: string, audience: string) {
    this.keyRing = keyRing;
    this.revocations = revocations;
    this.issuerUrl = issuer;
    this.audienceUrl = audience;
  }

  /** The caller's AuthContext; throws InvalidAccessToken with a reason safe to show the client. */
  async verify(token: string): Promise<AuthContext> {
    let payload: HubClaims;
    try {
      const result = await jwtVerify<HubClaims>(
        token,
        async (header) => {
          const key = await this.keyRing.verificationKey(header.kid, header.alg);
          if (!key) throw new InvalidAccessToken('the token is not signed by a key of this hub');
          return key;
        },
        {
          issuer: this.issuerUrl,
          audience: this.audienceUrl,
          typ: 'at+jwt',
          algorithms: ['RS256', 'ES256'],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['exp', 'iat', 'jti', 'sub', 'client_id'],
        },
      );
      payload = result.payload;
    } catch (err) {
      throw new InvalidAccessToken(reason(err), { cause: err });
    }
    const clientId = String(payload.client_id);
    const loginId = typeof payload.login_id === 'string' ? payload.login_id : undefined;
    const kind = loginId ? 'user' : 'client';
    const identity = {
      jti: String(payload.jti),
      loginId,
      clientId,
      userId: kind === 'user' ? payload.sub : undefined,
      issuedAt: Number(payload.iat),
    };
    if (this.revocations.isRevoked(identity)) throw new InvalidAccessToken('the token has been revoked');
    const scope = typeof payload.scope === 'string' ? payload.scope : '';
    return {
      kind,
      clientId,
      subject: String(payload.sub),
      fhirUser: relativeFhirUser(payload.fhirUser, this.audienceUrl),
      patientId: typeof payload.patient === 'string' ? payload.patient : undefined,
      scope,
      smartScopes: parseSmartScopes(scope),
      admin: kind === 'client' && splitScope(scope).includes(ADMIN_SCOPE),
      tokenId: identity.jti,
      loginId,
      issuedAt: identity.issuedAt,
      expiresAt: Number(payload.exp),
    };
  }
}

function reason(err: unknown): string {
  if (err instanceof InvalidAccessToken) return err.message;
  if (err instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `the token's ${err.claim} claim is not valid here`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature does not verify';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'the token is signed with an algorithm this hub does not accept';
  return 'the token is not a valid access token of this hub';
}

/** `https://hub/fhir/R4/Practitioner/1` → `Practitioner/1`; anything not on this hub is dropped. */
function relativeFhirUser(value: unknown, fhirBase: string): string | undefined {
  if (typeof value !== 'string') return undefined;
  const relative = value.startsWith(`${fhirBase}/`) ? value.slice(fhirBase.length + 1) : value;
  return /^(Practitioner|Patient|RelatedPerson|Person)\/[A-Za-z0-9\-.]{1,64}$/.test(relative) ? relative : undefined;
}
