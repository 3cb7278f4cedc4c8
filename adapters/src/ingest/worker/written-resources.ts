import type { Bundle } from '@medplum/fhirtypes';

/** `Type/id` of everything a transaction response says was written, for the message store. */
export function writtenResources(response: Bundle): string[] {
  return (response.entry ?? [])
    .map((entry) => entry.response?.location ?? (entry.resource ? `${entry.resource.resourceType}/${entry.resource.id}` : undefined))
    .filter((location): location is string => Boolean(location))
    .map((location) => location.split('/_history/')[0].split('/').slice(-2).join('/'));
}
