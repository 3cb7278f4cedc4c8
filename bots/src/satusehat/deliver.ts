import type { ImagingStudy, ServiceRequest } from '@medplum/fhirtypes';
import type { SatusehatDestinationConfig } from '@simpul/infra';
import { PermanentError } from '@simpul/infra';
import type { DeliveryContext, DeliveryResult, DestinationDriver } from '../routing/destination-driver.ts';
import { buildImagingStudy, studyInstances } from './build-imaging-study.ts';
import { accessionOf, accessionSystem, remoteIdSystem } from './identifier-systems.ts';
import { readReferenced, writeBackIdentifier } from './local-hub.ts';
import { resolvePatient, resolvePractitioner, type MasterDataDeps } from './master-data.ts';
import { SatusehatClient } from './satusehat-client.ts';
import { ensureServiceRequest } from './service-request-step.ts';
import { SatusehatTokenCache } from './token-cache.ts';
import { uploadInstances, type UploadOutcome } from './upload-instances.ts';

/**
 * The SATUSEHAT destination driver: an order or a study of the hub, delivered to the national
 * platform the way its official DICOM router does it (shared/SATUSEHAT.md §7), by configuration alone.
 *
 * - ServiceRequest: found by accession number; created when missing and `createServiceRequest` is set.
 * - ImagingStudy: Patient (by NIK → IHS number) and ServiceRequest first, then the study, searched by
 *   accession number and PUT to the id found, else POSTed; then each instance not yet delivered.
 *
 * Every step looks before it writes, so a retry, a replay or a crash midway repeats nothing: the study
 * is updated in place, and instances already stored answer "Instance already exists". What SATUSEHAT
 * gave back (IHS numbers, resource ids) is written onto the local resources (`identifier-systems.ts`)
 * and recorded as `remoteIds`.
 */

export interface SatusehatDriverOptions {
  /** Tokens shared by the deliveries of this driver; default: one cache per driver. */
  tokens?: SatusehatTokenCache;
}

export function createSatusehatDriver(options: SatusehatDriverOptions = {}): DestinationDriver<SatusehatDestinationConfig> {
  const tokens = options.tokens ?? new SatusehatTokenCache();
  return (context) => deliver(context, tokens);
}

type Context = DeliveryContext<SatusehatDestinationConfig>;

async function deliver(context: Context, tokens: SatusehatTokenCache): Promise<DeliveryResult> {
  const { resource } = context;
  const name = `${resource.resourceType}/${resource.id ?? '(no id)'}`;
  if (context.interaction === 'delete') {
    return { notApplicable: true, summary: `SATUSEHAT has no delete: ${name} was deleted here and is left as it is there` };
  }
  const warnings: string[] = [];
  const client = new SatusehatClient({ destination: context.destination, tokens, signal: context.signal, logger: context.logger });
  const deps: MasterDataDeps = { medplum: context.medplum, client, warnings };
  const result = resource.resourceType === 'ServiceRequest' ? await deliverOrder(context, deps, resource) : await deliverStudy(context, deps, resource);
  for (const warning of warnings) context.logger.warn({ destination: context.destinationName, resource: name }, warning);
  return { ...result, ...(warnings.length > 0 ? { warnings } : {}) };
}

async function deliverOrder(context: Context, deps: MasterDataDeps, order: ServiceRequest): Promise<DeliveryResult> {
  const owner = `ServiceRequest/${order.id}`;
  const accession = accessionOf(order);
  if (accession === undefined) throw new PermanentError(`${owner} has no accession number (an identifier of type ACSN); SATUSEHAT keys orders by it`);
  const remote = await ensureServiceRequest(deps, {
    destinationName: context.destinationName,
    destination: context.destination,
    accession,
    local: order,
    owner,
    patientIhs: () => resolvePatient(deps, order.subject?.reference, owner),
  });
  const remoteIds = { ...context.progress.remoteIds, ServiceRequest: remote.id };
  await context.checkpoint({ remoteIds: { ServiceRequest: remote.id } });
  await writeBackIdentifier(context.medplum, 'ServiceRequest', order.id as string, { system: remoteIdSystem('ServiceRequest'), value: remote.id });
  context.logger.info({ destination: context.destinationName, resource: owner, remoteId: remote.id, created: remote.created }, 'ServiceRequest delivered to SATUSEHAT');
  return {
    summary: `ServiceRequest ${remote.id} ${remote.created ? 'created on' : 'already on'} SATUSEHAT (accession ${accession})`,
    remoteIds,
  };
}

async function deliverStudy(context: Context, deps: MasterDataDeps, study: ImagingStudy): Promise<DeliveryResult> {
  const { destination } = context;
  const owner = `ImagingStudy/${study.id}`;
  // Checked before anything is sent: UIDs become file paths, and a study without instances is not ready.
  const instances = studyInstances(study);
  const orderReference = study.basedOn?.find((reference) => reference.reference?.startsWith('ServiceRequest/'))?.reference;
  const localOrder = orderReference === undefined ? undefined : await readReferenced<ServiceRequest>(context.medplum, orderReference, 'ServiceRequest', owner, 'basedOn');
  const accession = accessionOf(study) ?? (localOrder ? accessionOf(localOrder) : undefined);
  if (accession === undefined) {
    throw new PermanentError(`${owner} has no accession number (an identifier of type ACSN, on the study or its ServiceRequest); SATUSEHAT keys studies by it`);
  }

  const patientIhs = await resolvePatient(deps, study.subject?.reference, owner);
  const modalities = [...new Set((study.series ?? []).map((series) => series.modality?.code).filter((code): code is string => !!code))];
  const order = await ensureServiceRequest(deps, {
    destinationName: context.destinationName,
    destination,
    accession,
    local: localOrder,
    owner,
    patientIhs: async () => patientIhs,
    studyModalities: modalities,
  });
  const referrerIhs = await resolvePractitioner(deps, study.referrer, owner, 'referrer');
  const body = buildImagingStudy({
    local: study,
    organizationId: destination.organizationId,
    accession,
    patientIhs,
    serviceRequestId: order.id,
    ...(referrerIhs ? { referrerIhs } : {}),
  });
  const existing = await deps.client.findByIdentifier('ImagingStudy', accessionSystem(destination.organizationId), accession, `the search of the ImagingStudy with accession ${accession}`);
  const stored = await deps.client.write(body, existing?.id, `the ${existing ? 'update' : 'creation'} of the ImagingStudy with accession ${accession}`);

  const found = { Patient: patientIhs, ServiceRequest: order.id, ImagingStudy: stored.id };
  await context.checkpoint({ remoteIds: found });
  if (localOrder !== undefined) {
    await writeBackIdentifier(context.medplum, 'ServiceRequest', localOrder.id as string, { system: remoteIdSystem('ServiceRequest'), value: order.id });
  }
  await writeBackIdentifier(context.medplum, 'ImagingStudy', study.id as string, { system: remoteIdSystem('ImagingStudy'), value: stored.id });
  context.logger.info(
    { destination: context.destinationName, resource: owner, remoteId: stored.id, updated: existing !== undefined, serviceRequestCreated: order.created },
    'ImagingStudy delivered to SATUSEHAT',
  );

  let upload: UploadOutcome | undefined;
  if (destination.dicomUrl !== undefined) {
    upload = await uploadInstances(
      { client: deps.client, storageDir: context.storageDir, alreadyDelivered: context.progress.deliveredInstances, checkpoint: context.checkpoint, logger: context.logger },
      instances,
      stored.id,
    );
  }
  const delivered = upload ? [...new Set([...context.progress.deliveredInstances, ...upload.uploaded, ...upload.alreadyThere])] : [];
  const studyPart = `ImagingStudy ${stored.id} ${existing ? 'updated' : 'created'} on SATUSEHAT (Patient ${patientIhs}, ServiceRequest ${order.id}${order.created ? ' created' : ''})`;
  const instancePart = upload
    ? `; instances: ${upload.uploaded.length} uploaded, ${upload.alreadyThere.length} already there, ${upload.skipped.length} delivered before`
    : '; no dicomUrl, so no instances uploaded';
  return {
    summary: studyPart + instancePart,
    remoteIds: { ...context.progress.remoteIds, ...found },
    ...(upload ? { deliveredInstances: delivered } : {}),
  };
}
