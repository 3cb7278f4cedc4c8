import { randomUUID } from 'node:crypto';
import type { FhirJson } from './fhir-json.ts';

export interface StoredResource {
  resource: FhirJson;
  /** The Organization whose token wrote it; undefined for seed data (Patient, Practitioner, Organization). */
  owner?: string;
  seeded: boolean;
  /** How many versions the resource has had (1 after the create). */
  versions: number;
  /** Order of the last write, to sort writes within the same millisecond. */
  writeSequence: number;
}

/**
 * The sandbox's FHIR data, in memory: seed data it serves and everything clients wrote. Everything
 * handed out is a copy, so neither a route nor a test can change what is stored by accident.
 */
export class ResourceStore {
  private readonly now: () => number;
  private readonly byType = new Map<string, Map<string, StoredResource>>();
  private versionSequence = 0;

  constructor(now: () => number) {
    this.now = now;
  }

  seed(resource: FhirJson & { id: string }): void {
    const stamped = this.stamp(structuredClone(resource));
    this.typeMap(resource.resourceType).set(resource.id, { resource: stamped, seeded: true, versions: 1, writeSequence: this.versionSequence });
  }

  create(resource: FhirJson, owner: string): FhirJson {
    const id = randomUUID();
    const stored = this.stamp({ ...structuredClone(resource), id });
    this.typeMap(resource.resourceType).set(id, { resource: stored, owner, seeded: false, versions: 1, writeSequence: this.versionSequence });
    return structuredClone(stored);
  }

  /** Replaces an existing resource (the caller has checked that it exists and who owns it). */
  update(resource: FhirJson & { id: string }): FhirJson {
    const current = this.byType.get(resource.resourceType)?.get(resource.id);
    if (current === undefined) throw new Error(`${resource.resourceType}/${resource.id} does not exist`);
    current.resource = this.stamp(structuredClone(resource));
    current.versions += 1;
    current.writeSequence = this.versionSequence;
    return structuredClone(current.resource);
  }

  has(type: string, id: string): boolean {
    return this.byType.get(type)?.has(id) ?? false;
  }

  read(type: string, id: string): StoredResource | undefined {
    const stored = this.byType.get(type)?.get(id);
    return stored === undefined ? undefined : { ...stored, resource: structuredClone(stored.resource) };
  }

  /** Resources of a type that satisfy `keep`, most recently written first (what `_sort=-_lastUpdated` asks for). */
  find(type: string, keep: (stored: StoredResource) => boolean): FhirJson[] {
    const found = [...(this.byType.get(type)?.values() ?? [])].filter(keep);
    found.sort((a, b) => b.writeSequence - a.writeSequence);
    return found.map((stored) => structuredClone(stored.resource));
  }

  /** All resources of a type, or of every type when none is given. */
  all(type?: string): FhirJson[] {
    const maps = type === undefined ? [...this.byType.values()] : [this.byType.get(type) ?? new Map<string, StoredResource>()];
    return maps.flatMap((map) => [...map.values()].map((stored) => structuredClone(stored.resource)));
  }

  /** Forgets everything clients wrote; seed data stays. */
  resetWritten(): void {
    for (const map of this.byType.values()) {
      for (const [id, stored] of map) if (!stored.seeded) map.delete(id);
    }
  }

  private typeMap(type: string): Map<string, StoredResource> {
    let map = this.byType.get(type);
    if (map === undefined) {
      map = new Map();
      this.byType.set(type, map);
    }
    return map;
  }

  /** Sets `meta.versionId` (opaque base64, like the platform's) and `meta.lastUpdated` (UTC, `+00:00`). */
  private stamp(resource: FhirJson): FhirJson {
    const now = this.now();
    this.versionSequence += 1;
    const versionId = Buffer.from(`${now}${String(this.versionSequence).padStart(6, '0')}`).toString('base64');
    const meta = typeof resource.meta === 'object' && resource.meta !== null ? resource.meta : {};
    resource.meta = { ...meta, versionId, lastUpdated: new Date(now).toISOString().replace('Z', '+00:00') };
    return resource;
  }
}
