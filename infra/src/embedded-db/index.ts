export { startAppliance, type Appliance } from './appliance.ts';
export { findPostgresBinaries, hydrateSymlinks, type PostgresBinaries } from './binaries.ts';
export { startEmbeddedPostgres, type EmbeddedPostgres, type EmbeddedPostgresOptions } from './embedded-postgres.ts';
export { clearStaleServer, readPostmasterPid, type PostmasterFacts, type StaleLockOutcome } from './postmaster-pid.ts';
