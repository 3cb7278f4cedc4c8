// Configuration
export type { ConfigComponent } from './config/component.ts';
export { defineComponent } from './config/component.ts';
export { expecting } from './config/expectations.ts';
export { byteSizeSchema, hostSchema, parseByteSize, portSchema, positiveIntSchema, urlWithSchemeSchema } from './config/field-types.ts';
export type { AdminConfig } from './config/admin.ts';
export { adminConfigSchema } from './config/admin.ts';
export type { BotConfig, BotsConfig, RestHookConfig } from './config/bots.ts';
export { botsConfigSchema, REST_HOOK_QUEUE_NAME } from './config/bots.ts';
export type {
  DestinationConfig,
  PacsDestinationConfig,
  RisDestinationConfig,
  RoutingConditions,
  RoutingConfig,
  RoutingRule,
  SatusehatDestinationConfig,
  SqlDestinationConfig,
} from './config/routing.ts';
export { destinationSchema, routingConfigSchema, routingRuleSchema, STATEMENT_PARAMETER } from './config/routing.ts';
export type { BusConfig } from './config/bus.ts';
export { busConfigSchema } from './config/bus.ts';
export type { DatabaseConfig, EmbeddedDatabaseConfig } from './config/database.ts';
export { databaseConfigSchema, EMBEDDED_DATABASE_URL } from './config/database.ts';
export type { DicomConfig, DicomMappingConfig } from './config/dicom.ts';
export { aeTitleSchema, dicomConfigSchema, dicomMappingSchema } from './config/dicom.ts';
export type { HubConfig } from './config/hub.ts';
export type { IngestConfig } from './config/ingest.ts';
export { ingestConfigSchema } from './config/ingest.ts';
export { hubConfigSchema } from './config/hub.ts';
export { identityConfigSchema, type IdentityConfig, type IdentityConfigInput } from './config/identity.ts';
export type { LogConfig } from './config/log.ts';
export { LOG_LEVELS, logConfigSchema } from './config/log.ts';
export type { MllpConfig } from './config/mllp.ts';
export { mllpConfigSchema } from './config/mllp.ts';
export type { StorageConfig } from './config/storage.ts';
export { storageConfigSchema } from './config/storage.ts';
export type { TerminologyConfig } from './config/terminology.ts';
export { terminologyConfigSchema } from './config/terminology.ts';
export { SQL_COLUMN_TYPES, SQL_DRIVERS, sqlConfigSchema, type SqlColumnType, type SqlConfig, type SqlDriver, type SqlSourceConfig } from './config/sql.ts';
export { webhookConfigSchema, type WebhookConfig, type WebhookSourceConfig } from './config/webhook.ts';
export type { SimpulConfig, SimpulConfigInput } from './config/schema.ts';
export { configComponents, simpulConfigSchema } from './config/schema.ts';
export type { ConfigProblem } from './config/config-error.ts';
export { ConfigError } from './config/config-error.ts';
export type { LoadConfigOptions } from './config/load-config.ts';
export { DEFAULT_CONFIG_FILE, loadConfig } from './config/load-config.ts';
export type { ParseConfigOptions } from './config/parse-config.ts';
export { parseConfig } from './config/parse-config.ts';
export { redactConfig, redactUrlCredentials } from './config/redact.ts';

// Logging
export type { Logger, LoggerOptions } from './logging/create-logger.ts';
export { createLogger, LOG_REDACT_PATHS } from './logging/create-logger.ts';
export { newTraceId, withTrace } from './logging/trace.ts';

// Health
export type { HealthCheckOptions, HealthCheckResult, HealthReport } from './health/health-checks.ts';
export { DEFAULT_HEALTH_TIMEOUT_MS, HealthChecks } from './health/health-checks.ts';

// Bus (RabbitMQ or database tables, one contract)
export * from './bus/index.ts';

// Appliance mode: the embedded PostgreSQL
export * from './embedded-db/index.ts';

// Durable files (blob stores)
export * from './storage/index.ts';

// Metrics
export { createMetricsRegistry } from './metrics/metrics-registry.ts';

// FHIR facts shared by the edges (writers) and the bots (readers)
export { RECEIVED_FROM_EXTENSION_URL, readReceivedFrom, receivedFromExtension, withReceivedFrom, type PlainExtension, type ReceivedFrom } from './fhir/received-from.ts';
