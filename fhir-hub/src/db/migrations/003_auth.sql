-- Authorization server (fhir-hub/src/auth/): clients, users, signing keys, oidc-provider state and
-- the revocation list the resource server consults. Every secret is stored hashed (scrypt) or sealed.

-- OAuth clients, managed by `simpul client ...`. secret_hash is a scrypt hash; the secret itself is
-- shown once at creation. scope holds every scope the client may ask for (OIDC and SMART forms).
CREATE TABLE auth_client (
  client_id     text        PRIMARY KEY,
  name          text        NOT NULL,
  auth_method   text        NOT NULL CHECK (auth_method IN ('client_secret_basic', 'private_key_jwt', 'none')),
  secret_hash   text,
  grant_types   text[]      NOT NULL,
  redirect_uris text[]      NOT NULL DEFAULT '{}',
  scope         text        NOT NULL,
  jwks          jsonb,
  jwks_uri      text,
  is_admin      boolean     NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  disabled_at   timestamptz,
  CHECK (auth_method <> 'client_secret_basic' OR secret_hash IS NOT NULL),
  CHECK (auth_method <> 'private_key_jwt' OR jwks IS NOT NULL OR jwks_uri IS NOT NULL)
);

-- People who sign in on the hub's page; each is linked to the Practitioner or Patient they are.
CREATE TABLE auth_user (
  id            text        PRIMARY KEY,
  username      text        NOT NULL UNIQUE,
  password_hash text        NOT NULL,
  fhir_user     text        NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  disabled_at   timestamptz
);

-- JWS signing keys. The newest unretired key of each algorithm signs; retired keys stay published in
-- the JWKS until expires_at so tokens they signed still verify. private_jwk may be sealed (AES-GCM).
CREATE TABLE auth_signing_key (
  kid          text        PRIMARY KEY,
  alg          text        NOT NULL,
  private_jwk  text        NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  retired_at   timestamptz,
  expires_at   timestamptz
);

-- Small shared secrets every replica needs (cookie signing keys).
CREATE TABLE auth_secret (
  name       text        PRIMARY KEY,
  value      text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- oidc-provider's models (sessions, interactions, grants, codes, refresh tokens, replay detection),
-- one row per (model, id) with its expiry. grant_id/uid/user_code are the adapter's lookup keys.
CREATE TABLE auth_oidc_model (
  model       text        NOT NULL,
  id          text        NOT NULL,
  payload     jsonb       NOT NULL,
  grant_id    text,
  uid         text,
  user_code   text,
  expires_at  timestamptz,
  PRIMARY KEY (model, id)
);
CREATE INDEX auth_oidc_model_grant_idx ON auth_oidc_model (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX auth_oidc_model_uid_idx ON auth_oidc_model (uid) WHERE uid IS NOT NULL;
CREATE INDEX auth_oidc_model_user_code_idx ON auth_oidc_model (user_code) WHERE user_code IS NOT NULL;
CREATE INDEX auth_oidc_model_expires_idx ON auth_oidc_model (expires_at) WHERE expires_at IS NOT NULL;

-- SMART launch context chosen at sign-in, per grant (the grant id is the token's login_id).
CREATE TABLE auth_launch_context (
  grant_id    text        PRIMARY KEY,
  patient_id  text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- What the resource server refuses although the JWT verifies: a revoked token (jti), a revoked grant
-- (login_id), a disabled client or user (tokens issued before revoked_at). Replicas poll new rows by id.
CREATE TABLE auth_revocation (
  id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind        text        NOT NULL CHECK (kind IN ('jti', 'grant', 'client', 'user')),
  value       text        NOT NULL,
  revoked_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  UNIQUE (kind, value)
);
CREATE INDEX auth_revocation_expires_idx ON auth_revocation (expires_at);
