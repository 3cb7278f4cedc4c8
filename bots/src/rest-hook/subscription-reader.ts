import { OperationOutcomeError, isGone, isNotFound, normalizeErrorString } from '@medplum/core';
import type { Subscription } from '@medplum/fhirtypes';
import type { HubClient } from '../runtime/hub-client.ts';

interface CacheEntry {
  at: number;
  /** undefined: the Subscription no longer exists. */
  subscription: Subscription | undefined;
}

/**
 * Reads rest-hook Subscriptions from the hub for the deliverer, and writes back their delivery
 * status. A Subscription is reused for `cacheMs` (endpoint, header and secret changes take effect
 * within that time) so a busy Subscription costs one read per interval, not one per delivery.
 */
export class SubscriptionReader {
  readonly #hub: HubClient;
  readonly #cacheMs: number;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #reading = new Map<string, Promise<Subscription | undefined>>();

  constructor(hub: HubClient, cacheMs: number) {
    this.#hub = hub;
    this.#cacheMs = cacheMs;
  }

  /** The Subscription, or undefined when it was deleted. Network and hub errors reject (the delivery is retried). */
  async read(id: string): Promise<Subscription | undefined> {
    const cached = this.#cache.get(id);
    if (cached && Date.now() - cached.at < this.#cacheMs) return cached.subscription;
    const inFlight = this.#reading.get(id);
    if (inFlight) return inFlight;
    const reading = this.#fetch(id).finally(() => this.#reading.delete(id));
    this.#reading.set(id, reading);
    return reading;
  }

  /** FHIR R4: `status: error` with the reason in `error`, after a delivery failed for good. */
  async markError(id: string, reason: string): Promise<void> {
    await this.#patch(id, [
      { op: 'replace', path: '/status', value: 'error' },
      { op: 'add', path: '/error', value: reason },
    ]);
  }

  /** A delivery got through again (a replay after the endpoint healed): `error` goes back to `active`. */
  async markActive(id: string): Promise<void> {
    const medplum = await this.#hub.ready();
    const current = await medplum.readResource('Subscription', id);
    if (current.status !== 'error') return;
    const { error: _reason, ...rest } = current;
    const updated = await medplum.updateResource<Subscription>({ ...rest, status: 'active' });
    this.#cache.set(id, { at: Date.now(), subscription: updated });
  }

  async #patch(id: string, operations: { op: 'add' | 'replace'; path: string; value: unknown }[]): Promise<void> {
    const medplum = await this.#hub.ready();
    const updated = await medplum.patchResource('Subscription', id, operations as never);
    this.#cache.set(id, { at: Date.now(), subscription: updated });
  }

  async #fetch(id: string): Promise<Subscription | undefined> {
    const medplum = await this.#hub.ready();
    let subscription: Subscription | undefined;
    try {
      subscription = await medplum.readResource('Subscription', id);
    } catch (error) {
      if (!(error instanceof OperationOutcomeError && (isNotFound(error.outcome) || isGone(error.outcome)))) {
        throw new Error(`could not read Subscription/${id} from the hub: ${normalizeErrorString(error)}`, { cause: error });
      }
    }
    this.#cache.set(id, { at: Date.now(), subscription });
    return subscription;
  }
}
