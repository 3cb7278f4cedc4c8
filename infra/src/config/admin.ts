import { z } from 'zod';
import { defineComponent } from './component.ts';
import { expecting } from './expectations.ts';

/** The first admin client; when absent the hub creates one at first start and prints it once. */
export const adminConfigSchema = z
  .strictObject({
    clientId: expecting(z.string().trim().min(1), 'a non-empty client id').optional(),
    clientSecret: expecting(z.string().min(1), 'a non-empty client secret').optional(),
  })
  .prefault({});

export type AdminConfig = z.output<typeof adminConfigSchema>;

export const adminComponent = defineComponent('admin', adminConfigSchema, {
  clientId: 'SIMPUL_ADMIN_CLIENT_ID',
  clientSecret: 'SIMPUL_ADMIN_CLIENT_SECRET',
});
