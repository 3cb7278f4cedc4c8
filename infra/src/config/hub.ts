import { z } from 'zod';
import { defineComponent } from './component.ts';
import { expecting } from './expectations.ts';
import { byteSizeSchema, hostSchema, portSchema, positiveIntSchema } from './field-types.ts';

const MiB = 1024 * 1024;

export const hubConfigSchema = z
  .strictObject({
    port: portSchema.default(8103),
    host: hostSchema.default('127.0.0.1'),
    /** The public URL clients reach the hub at; links the hub writes (fullUrl, Location) start with it. */
    baseUrl: expecting(
      z.url({ protocol: /^https?$/ }),
      'an http:// or https:// URL such as https://hub.example.org/',
    ).optional(),
    maxBodyBytes: byteSizeSchema().default(16 * MiB),
    maxQueryStringLength: positiveIntSchema().default(8192),
    maxBinaryBytes: byteSizeSchema().default(512 * MiB),
  })
  .transform((hub) => ({ ...hub, baseUrl: withTrailingSlash(hub.baseUrl ?? `http://${hostForUrl(hub.host)}:${hub.port}/`) }))
  .prefault({});

export type HubConfig = z.output<typeof hubConfigSchema>;

export const hubComponent = defineComponent('hub', hubConfigSchema, { port: 'SIMPUL_HUB_PORT' });

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
