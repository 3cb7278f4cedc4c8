import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { FhirJson } from '../fhir/fhir-json.ts';
import type { FaultController, FaultSpec } from '../faults/fault-controller.ts';
import { FaultSpecError } from '../faults/fault-controller.ts';
import type { ReceivedInstance } from '../dicom/instance-store.ts';
import type { ReceivedRequest } from '../inspection/request-log.ts';
import { badRequest, notFound } from '../sandbox-error.ts';
import { sandboxPatientSchema, sandboxPractitionerSchema, type SandboxPerson } from '../sandbox-options.ts';

/** What the control API reaches into; the sandbox hands it its own parts. */
export interface ControlTarget {
  resources(type?: string): FhirJson[];
  instances(): ReceivedInstance[];
  requests(): ReceivedRequest[];
  faults: FaultController;
  seed(people: { patients?: SandboxPerson[]; practitioners?: SandboxPerson[] }): void;
  reset(): void;
}

const seedSchema = z.strictObject({
  patients: z.array(sandboxPatientSchema).optional(),
  practitioners: z.array(sandboxPractitionerSchema).optional(),
});

/**
 * `/_sandbox/...`: inspection and fault control over HTTP, for a sandbox running on its own
 * (`simpul sandbox satusehat`). No authentication: it is a test double, listening on loopback by
 * default. Never faulted and never recorded.
 */
export async function controlRoutes(app: FastifyInstance, target: ControlTarget): Promise<void> {
  app.get('/requests', async () => ({ requests: target.requests() }));
  app.get('/resources', async () => ({ resources: target.resources() }));
  app.get<{ Params: { type: string } }>('/resources/:type', async (request) => ({ resources: target.resources(request.params.type) }));
  app.get('/instances', async () => ({
    // The bytes stay in the process; their size and identity are what a remote test needs.
    instances: target.instances().map(({ bytes, ...instance }) => ({ ...instance, size: bytes.length })),
  }));

  app.get('/faults', async () => ({ faults: target.faults.active() }));
  app.post('/faults', async (request, reply) => {
    try {
      return reply.code(201).send(target.faults.inject((request.body ?? {}) as FaultSpec));
    } catch (error) {
      if (error instanceof FaultSpecError) throw badRequest('value', `invalid fault: ${error.message}`);
      throw error;
    }
  });
  app.delete('/faults', async (_request, reply) => {
    target.faults.clear();
    return reply.code(204).send();
  });
  app.delete<{ Params: { id: string } }>('/faults/:id', async (request, reply) => {
    if (!target.faults.remove(request.params.id)) throw notFound(`no armed fault ${request.params.id}`);
    return reply.code(204).send();
  });

  app.post('/tokens/expire', async (_request, reply) => {
    target.faults.expireAllTokens();
    return reply.code(204).send();
  });
  app.post('/seed', async (request, reply) => {
    const parsed = seedSchema.safeParse(request.body ?? {});
    if (!parsed.success) throw badRequest('value', `invalid seed data: ${z.prettifyError(parsed.error)}`);
    target.seed(parsed.data);
    return reply.code(204).send();
  });
  app.post('/reset', async (_request, reply) => {
    target.reset();
    return reply.code(204).send();
  });
}
