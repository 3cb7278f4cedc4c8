import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { MedplumClient } from '@medplum/core';
import type { Patient, Practitioner, Reference } from '@medplum/fhirtypes';
import { destinationAccepts, evaluateRule, gatherRoutingFacts, matchRoutes, type RoutingFacts } from '@simpul/bots';
import type { RoutingConfig } from '@simpul/infra';
import type { Command } from './commands.ts';
import { connectToHub, HUB_CONNECTION_OPTIONS, type HubConnectionValues } from './hub-connection.ts';

type Routed = Parameters<typeof gatherRoutingFacts>[0];

/** `simpul routes test <resource>`: which rules match a study or order, and where it would go. Sends nothing. */
export const routesTestCommand: Command = {
  name: 'routes test',
  summary: 'show which routing rules match an ImagingStudy or ServiceRequest and where it would be sent (sends nothing)',
  usage: 'routes test <ImagingStudy/id | ServiceRequest/id | id | file.json> [--hub URL] [--client-id ID --client-secret SECRET]',
  async run({ config, args }) {
    let values: HubConnectionValues;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({ args, options: HUB_CONNECTION_OPTIONS, strict: true, allowPositionals: true }));
      if (positionals.length !== 1) throw new Error('name one ImagingStudy or ServiceRequest (Type/id, an ImagingStudy id, or a JSON file)');
    } catch (error) {
      process.stderr.write(`${(error as Error).message}\nusage: simpul ${this.usage}\n`);
      return 2;
    }
    const target = positionals[0];
    let resource: Routed;
    let hub: MedplumClient | undefined;
    try {
      if (target.endsWith('.json')) {
        resource = parseResource(await readFile(target, 'utf8'), target);
        hub = await connectToHub(config, values).catch(() => undefined);
      } else {
        hub = await connectToHub(config, values);
        const [type, id] = target.includes('/') ? target.split('/', 2) : ['ImagingStudy', target];
        if (type !== 'ImagingStudy' && type !== 'ServiceRequest') throw new Error(`routing takes ImagingStudy and ServiceRequest, not ${type}`);
        resource = await hub.readResource(type, id);
      }
    } catch (error) {
      process.stderr.write(`routes test: ${(error as Error).message}\n`);
      return 1;
    }
    const read = async <T extends Patient | Practitioner>(reference: Reference<T>): Promise<T | undefined> =>
      hub ? hub.readReference(reference).catch(() => undefined) : undefined;
    const facts = await gatherRoutingFacts(resource, read);
    process.stdout.write(formatRouteTest(config.routing, resource, facts));
    return 0;
  },
};

export const routesCommands: Command[] = [routesTestCommand];

function parseResource(text: string, file: string): Routed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const type = (value as { resourceType?: unknown })?.resourceType;
  if (type !== 'ImagingStudy' && type !== 'ServiceRequest') throw new Error(`${file} holds a ${String(type ?? 'non-resource')}; routing takes ImagingStudy and ServiceRequest`);
  return value as Routed;
}

export function formatRouteTest(routing: RoutingConfig, resource: Routed, facts: RoutingFacts): string {
  const lines = [`${resource.resourceType}/${resource.id ?? '(no id)'}`, 'facts:'];
  const show = (name: string, values: readonly string[]): void => {
    lines.push(`  ${name.padEnd(20)} ${values.length > 0 ? values.join(', ') : '-'}`);
  };
  show('modality', facts.modalities);
  show('callingAeTitle', facts.callingAeTitles);
  show('calledAeTitle', facts.calledAeTitles);
  show('sendingFacility', facts.sendingFacilities);
  show('patientIdentifier', facts.patientIdentifiers);
  show('referringPhysician', facts.referringPhysicians);
  show('studyDescription', facts.studyDescriptions);
  lines.push('rules:');
  if (routing.rules.length === 0) lines.push('  (none in routing.rules)');
  for (const rule of routing.rules) {
    const verdict = evaluateRule(rule, facts);
    lines.push(verdict.matched ? `  ✓ ${rule.name} → ${rule.sendTo.join(', ')}` : `  ✗ ${rule.name}: ${verdict.reason}`);
  }
  const routes = matchRoutes(routing.rules, facts);
  lines.push('would be sent to:');
  if (routes.length === 0) lines.push('  nowhere');
  for (const route of routes) {
    const destination = routing.destinations[route.destination];
    const takes = destinationAccepts(destination.type, resource.resourceType, 'update');
    const wait = route.stableSeconds > 0 && resource.resourceType === 'ImagingStudy' ? `, once stable for ${route.stableSeconds} s` : '';
    lines.push(
      takes
        ? `  ${route.destination} (${destination.type})${wait} — rules: ${route.rules.join(', ')}`
        : `  ${route.destination} (${destination.type}) — skipped: a ${destination.type} destination does not take ${resource.resourceType}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
