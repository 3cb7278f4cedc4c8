export { connectDatabase, type Sql } from './db/connect.ts';
export { migrate } from './db/migrate.ts';
export { HubError } from './errors.ts';
export { buildHub, type Hub, type HubOptions } from './http/build-hub.ts';
export {
  generatePopulation,
  IdentityMatcher,
  IdentityService,
  indexIdentityBatch,
  patientFeatures,
  type RebuildProgress,
  type RebuildResult,
} from './identity/index.ts';
export { PostgresRepository } from './repo/postgres-repository.ts';
export type { WriteEvent, WriteListener } from './repo/write-events.ts';
export { runHub, type RunHubOptions, type RunningHub } from './run-hub.ts';
// Authorization: what the CLI's admin verbs (`simpul client ...`, `simpul user ...`, `simpul keys rotate`) use.
export {
  addUser,
  AuthInputError,
  createClient,
  DEFAULT_AUTH_OPTIONS,
  disableClient,
  disableUser,
  ensureAdminClient,
  listClients,
  listUsers,
  maxAccessTokenTtl,
  MIN_PASSWORD_LENGTH,
  rotateSigningKeys,
  type ClientRecord,
  type NewClient,
  type UserRecord,
} from './auth/index.ts';
export {
  extractSearchIndexRows,
  parseSearchQuery,
  reindexSearch,
  searchBundle,
  writeIndexRows,
  type ReindexProgress,
} from './search/index.ts';
