/** URLs and systems the viewer reads; they mirror what the ingest and the routing bots write (DESIGN.md). */
export const PREVIEW_EXTENSION_URL = 'https://simpul.dev/fhir/StructureDefinition/preview';
export const THUMBNAIL_EXTENSION_URL = 'https://simpul.dev/fhir/StructureDefinition/thumbnail';
export const NIK_SYSTEM = 'https://fhir.kemkes.go.id/id/nik';
export const IHS_SYSTEM = 'https://fhir.kemkes.go.id/id/ihs-number';
export const DICOM_UID_SYSTEM = 'urn:dicom:uid';
export const ACSN_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v2-0203';
export const TASK_CODE_SYSTEM = 'https://simpul.dev/fhir/CodeSystem/task-code';
export const DELIVER_TASK_CODE = 'deliver';
export const DELIVERY_STATUS_SYSTEM = 'https://simpul.dev/fhir/CodeSystem/delivery-status';
export const DELIVERY_OUTPUT_SYSTEM = 'https://simpul.dev/fhir/CodeSystem/delivery-output';
export const DELIVERY_ATTEMPTS_EXTENSION_URL = 'https://simpul.dev/fhir/StructureDefinition/delivery-attempts';
export const DELIVERY_STATES = ['waiting-stable', 'sending', 'retrying', 'delivered', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];
/** The route bot of a destination is `route-<destination>`; its dead letters wait in `bot.route-<destination>.dead`. */
export function deadLetterQueueOf(destination: string): string {
  return `bot.route-${destination}.dead`;
}
