/**
 * `GET /auth/me`: the signed-in profile in the shape MedplumClient (5.2) reads after sign-in
 * ({ user, profile, project, membership, config }), so `@medplum/react` shows who is signed in.
 * The hub has one project; the profile is the person's own Practitioner/Patient resource (read
 * without scope checks: everyone may see who they are), or the client for service tokens.
 */
import type { FastifyInstance } from 'fastify';
import type { Resource } from '@medplum/fhirtypes';
import type { AuthContext } from './auth-context.ts';
import type { AuthServer } from './auth-server.ts';
import { findUserById } from './user-store.ts';

const PROJECT = { resourceType: 'Project', id: 'simpul', name: 'Simpul' };

export function authMeRoute(app: FastifyInstance, auth: AuthServer): void {
  app.get('/auth/me', async (request, reply) => {
    const context = request.simpulAuth as AuthContext;
    reply.header('cache-control', 'no-store');
    return context.kind === 'user' ? userProfile(auth, context) : clientProfile(context);
  });
}

async function userProfile(auth: AuthServer, context: AuthContext): Promise<Record<string, unknown>> {
  const user = await findUserById(auth.sql, context.subject);
  const fhirUser = context.fhirUser ?? user?.fhirUser ?? `Practitioner/${context.subject}`;
  const [resourceType, id] = fhirUser.split('/');
  let profile: Resource;
  try {
    profile = await auth.repo.readResource(resourceType, id);
  } catch {
    profile = { resourceType, id } as Resource;
  }
  return {
    user: { resourceType: 'User', id: context.subject, ...(user ? { email: user.username } : undefined) },
    profile,
    project: PROJECT,
    membership: {
      resourceType: 'ProjectMembership',
      id: context.loginId ?? context.subject,
      project: { reference: 'Project/simpul', display: 'Simpul' },
      user: { reference: `User/${context.subject}`, display: user?.username },
      profile: { reference: fhirUser },
      admin: false,
    },
    config: { resourceType: 'UserConfiguration', id: context.subject, menu: [] },
    security: { scope: context.scope, clientId: context.clientId, ...(context.patientId ? { patient: context.patientId } : undefined) },
  };
}

function clientProfile(context: AuthContext): Record<string, unknown> {
  const profile = { resourceType: 'ClientApplication', id: context.clientId, name: context.clientId };
  return {
    profile,
    project: PROJECT,
    membership: {
      resourceType: 'ProjectMembership',
      id: context.clientId,
      project: { reference: 'Project/simpul', display: 'Simpul' },
      profile: { reference: `ClientApplication/${context.clientId}` },
      admin: context.admin,
    },
    config: { resourceType: 'UserConfiguration', id: context.clientId, menu: [] },
    security: { scope: context.scope, clientId: context.clientId },
  };
}
