import { z } from 'zod';
import { adminComponent } from './admin.ts';
import { botsComponent } from './bots.ts';
import { busComponent } from './bus.ts';
import type { ConfigComponent } from './component.ts';
import { databaseComponent } from './database.ts';
import { dicomComponent } from './dicom.ts';
import { hubComponent } from './hub.ts';
import { identityComponent } from './identity.ts';
import { ingestComponent } from './ingest.ts';
import { logComponent } from './log.ts';
import { mllpComponent } from './mllp.ts';
import { routingComponent } from './routing.ts';
import { sqlComponent } from './sql.ts';
import { storageComponent } from './storage.ts';
import { terminologyComponent } from './terminology.ts';
import { webhookComponent } from './webhook.ts';

/**
 * Every top-level section of `simpul.yaml`. To add one: write `<name>.ts` exporting its schema,
 * type and `defineComponent(...)`, then list it here.
 */
export const configComponents = [
  hubComponent,
  databaseComponent,
  busComponent,
  storageComponent,
  mllpComponent,
  dicomComponent,
  logComponent,
  adminComponent,
  botsComponent,
  terminologyComponent,
  ingestComponent,
  routingComponent,
  identityComponent,
  sqlComponent,
  webhookComponent,
] as const;

type ComponentShape<Components extends readonly ConfigComponent[]> = {
  [Component in Components[number] as Component['key']]: Component['schema'];
};

const shape = Object.fromEntries(configComponents.map((component) => [component.key, component.schema])) as ComponentShape<
  typeof configComponents
>;

/** With no `bus.url`, the bus runs on durable tables in the hub's own database (`database.url`). */
export const simpulConfigSchema = z
  .strictObject(shape)
  .transform((config) => ({ ...config, bus: { ...config.bus, url: config.bus.url ?? config.database.url } }));

/** The validated configuration, every default filled in. */
export type SimpulConfig = z.output<typeof simpulConfigSchema>;
/** What a config file (or a test) may write: every setting optional. */
export type SimpulConfigInput = z.input<typeof simpulConfigSchema>;
