/** The webhook receiver (`simpul webhook`): POST /ingest/<source>. */
export { hubTokenVerifier, secretMatches } from './authenticate.ts';
export { compileBodyCheck } from './check-body.ts';
export { runWebhook, type RunningWebhook } from './run-webhook.ts';
export { startWebhookServer, type WebhookServer, type WebhookServerOptions } from './webhook-server.ts';
