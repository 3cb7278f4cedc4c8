import { BatchProcessor, type FhirRepository, type FhirRequest, type FhirRouter } from '@medplum/fhir-router';
import type { Bundle } from '@medplum/fhirtypes';

/**
 * `@medplum/fhir-router` refuses a transaction with conditional writes and more than 8 entries, or
 * more than 50 updates: limits of Medplum's own server. One HL7 ADT with next of kin, allergies and
 * diagnoses is already past 8 conditional entries, and a message must be one transaction, so the
 * hub lifts those limits and provides the isolation itself: the whole Bundle runs in one database
 * transaction, serializable when it has conditional writes, retried from a fresh copy of the Bundle
 * when PostgreSQL aborts it for a serialization failure.
 */
class UnlimitedBatchProcessor extends BatchProcessor {}

interface PreprocessInfo {
  requiresStrongTransaction: boolean;
  updates: number;
}
const basePreprocessBundle = (BatchProcessor.prototype as unknown as { preprocessBundle: () => Promise<PreprocessInfo> })
  .preprocessBundle;
// preprocessBundle is private in the typings; its result only feeds the limits and the isolation level.
(UnlimitedBatchProcessor.prototype as unknown as { preprocessBundle: () => Promise<PreprocessInfo> }).preprocessBundle =
  async function preprocessBundle(this: BatchProcessor): Promise<PreprocessInfo> {
    const info = await basePreprocessBundle.call(this);
    return { ...info, requiresStrongTransaction: false, updates: 0 };
  };

/** True when the Bundle has a conditional create, update or delete (its outcome depends on a search). */
export function needsSerializableIsolation(bundle: Bundle): boolean {
  return (bundle.entry ?? []).some((entry) => {
    const request = entry.request;
    if (!request) return false;
    if (request.method === 'POST' && request.ifNoneExist) return true;
    return (request.method === 'PUT' || request.method === 'DELETE' || request.method === 'PATCH') && request.url?.includes('?');
  });
}

export async function processTransactionBundle(
  router: FhirRouter,
  repo: FhirRepository,
  bundle: Bundle,
  request: FhirRequest,
): Promise<Bundle> {
  return repo.withTransaction(
    (txRepo) => new UnlimitedBatchProcessor(router, txRepo, structuredClone(bundle), request).run(),
    { serializable: needsSerializableIsolation(bundle), resourceTypes: [] },
  );
}
