/**
 * The sign-in page oidc-provider sends people to during the authorization code flow
 * (`/oauth2/interaction/<uid>`), and its form posts:
 *  - `login`: username + password (+ the patient when the app asked for `launch/patient` and the person
 *    is a practitioner); success signs in AND grants the app the scopes shown, in one step;
 *  - `confirm`: the consent page for a person already signed in whose app asks for more;
 *  - `abort`: the person cancels; the app gets `access_denied`.
 * Failed passwords spend the brute-force budget of the client IP and of the username; sign-ins,
 * failures and refusals are audited. The interaction cookie (SameSite=Lax, scoped to this path) ties
 * a form post to the browser that started the flow, so another site cannot post into it.
 */
import { isValidFhirId } from '../validation/index.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { InteractionDetails, OidcClient } from 'oidc-provider';
import type { RequestOrigin } from './auth-context.ts';
import type { AuthServer } from './auth-server.ts';
import { saveLaunchPatient } from './launch-context.ts';
import { PAGE_HEADERS, renderConsent, renderMessage, renderSignIn } from './sign-in-page.ts';
import { grantableResourceScopes, isOidcScope, splitScope } from './smart-scopes.ts';
import { findUserById, normaliseUsername, verifyUserPassword, type UserRecord } from './user-store.ts';

interface Flow {
  details: InteractionDetails;
  client: OidcClient;
  scopes: string[];
  askPatient: boolean;
}

class PatientChoiceError extends Error {}

export async function interactionRoutes(app: FastifyInstance, options: { auth: AuthServer }): Promise<void> {
  const { auth } = options;
  const base = '/oauth2/interaction/:uid';

  app.get(base, async (request, reply) => {
    const flow = await loadFlow(auth, request, reply);
    if (!flow) return reply;
    const links = actions(auth, flow.details.uid);
    if (flow.details.prompt.name === 'login') {
      return html(reply, 200, renderSignIn({ ...links, clientName: nameOf(flow.client), scopes: flow.scopes, askPatient: flow.askPatient }));
    }
    if (flow.details.prompt.name === 'consent') {
      const user = await signedInUser(auth, flow.details);
      return html(reply, 200, renderConsent({ ...links, action: links.confirm, clientName: nameOf(flow.client), scopes: flow.scopes, askPatient: needsPatientChoice(flow, user) }));
    }
    return html(reply, 400, renderMessage('Sign-in problem', `Unsupported step "${flow.details.prompt.name}"; start again from the app.`));
  });

  app.post(`${base}/login`, async (request, reply) => {
    const flow = await loadFlow(auth, request, reply);
    if (!flow) return reply;
    const form = formOf(request);
    const username = normaliseUsername(form.username ?? '').slice(0, 200);
    const keys = [`ip:${request.ip}`, `user:${username}`];
    const links = actions(auth, flow.details.uid);
    const again = (status: number, error: string) =>
      html(reply, status, renderSignIn({ ...links, clientName: nameOf(flow.client), scopes: flow.scopes, askPatient: flow.askPatient, username, error }));
    const wait = auth.limiter.retryAfter(keys);
    if (wait > 0) {
      auth.counters.rateLimited += 1;
      await auth.audit.write([{ interaction: 'login', outcome: 'denied', detail: 'too many failed attempts' }], { username, clientId: flow.client.clientId }, origin(request));
      reply.header('retry-after', String(wait));
      return again(429, `Too many failed attempts. Try again in ${wait} seconds.`);
    }
    const user = await verifyUserPassword(auth.sql, username, form.password ?? '');
    if (!user) {
      auth.limiter.fail(keys);
      await auth.audit.write([{ interaction: 'login', outcome: 'denied', detail: 'wrong username or password' }], { username, clientId: flow.client.clientId }, origin(request));
      return again(401, 'Wrong username or password.');
    }
    let grantId: string;
    try {
      grantId = await grantFor(auth, flow, user, form.patient);
    } catch (err) {
      if (err instanceof PatientChoiceError) return again(400, err.message);
      throw err;
    }
    await auth.audit.write([{ interaction: 'login', outcome: 'success', detail: `signed in to ${flow.client.clientId}` }], { username, clientId: flow.client.clientId }, origin(request));
    reply.hijack();
    await auth.provider.interactionFinished(request.raw, reply.raw, { login: { accountId: user.id }, consent: { grantId } }, { mergeWithLastSubmission: false });
    return reply;
  });

  app.post(`${base}/confirm`, async (request, reply) => {
    const flow = await loadFlow(auth, request, reply);
    if (!flow) return reply;
    const user = await signedInUser(auth, flow.details);
    if (!user || flow.details.prompt.name !== 'consent') {
      return html(reply, 400, renderMessage('Sign-in problem', 'This step needs a signed-in person; start again from the app.'));
    }
    let grantId: string;
    try {
      grantId = await grantFor(auth, flow, user, formOf(request).patient);
    } catch (err) {
      if (!(err instanceof PatientChoiceError)) throw err;
      const links = actions(auth, flow.details.uid);
      return html(reply, 400, renderConsent({ ...links, action: links.confirm, clientName: nameOf(flow.client), scopes: flow.scopes, askPatient: true, error: err.message }));
    }
    reply.hijack();
    await auth.provider.interactionFinished(request.raw, reply.raw, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return reply;
  });

  app.post(`${base}/abort`, async (request, reply) => {
    const flow = await loadFlow(auth, request, reply);
    if (!flow) return reply;
    reply.hijack();
    await auth.provider.interactionFinished(request.raw, reply.raw, { error: 'access_denied', error_description: 'The person cancelled the sign-in' }, { mergeWithLastSubmission: false });
    return reply;
  });
}

/** The interaction this browser is in, or an error page (expired link, cookie missing). */
async function loadFlow(auth: AuthServer, request: FastifyRequest, reply: FastifyReply): Promise<Flow | undefined> {
  let details: InteractionDetails;
  try {
    details = await auth.provider.interactionDetails(request.raw, reply.raw);
  } catch {
    html(reply, 400, renderMessage('Sign-in expired', 'This sign-in page has expired or was opened in another browser. Go back to the app and start again.'));
    return undefined;
  }
  const uid = (request.params as { uid?: string }).uid;
  const client = await auth.provider.Client.find(String(details.params.client_id));
  if (details.uid !== uid || !client) {
    html(reply, 400, renderMessage('Sign-in problem', 'This sign-in link does not match the current sign-in; start again from the app.'));
    return undefined;
  }
  const scopes = splitScope(details.params.scope);
  return { details, client, scopes, askPatient: scopes.includes('launch/patient') };
}

/**
 * Creates (or extends) the grant for what the page showed: the OpenID scopes, and the SMART scopes
 * the client is registered for (patient/ and user/ only). Stores the chosen patient per grant.
 */
async function grantFor(auth: AuthServer, flow: Flow, user: UserRecord, patientInput: string | undefined): Promise<string> {
  const patient = await choosePatient(auth, flow, user, patientInput);
  const existing = flow.details.grantId ? await auth.provider.Grant.find(flow.details.grantId) : undefined;
  const grant = existing ?? new auth.provider.Grant({ accountId: user.id, clientId: flow.client.clientId });
  const oidcScopes = flow.scopes.filter(isOidcScope);
  if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(' '));
  const allowed = splitScope(String(flow.client.metadata().fhir_scope ?? ''));
  const resourceScopes = grantableResourceScopes(flow.scopes, allowed, ['patient', 'user']);
  if (resourceScopes.length) grant.addResourceScope(auth.fhirAudience, resourceScopes.join(' '));
  const grantId = await grant.save();
  if (patient) await saveLaunchPatient(auth.sql, grantId, patient);
  return grantId;
}

async function choosePatient(auth: AuthServer, flow: Flow, user: UserRecord, input: string | undefined): Promise<string | undefined> {
  if (!needsPatientChoice(flow, user)) return undefined;
  const id = (input ?? '').trim();
  if (!id) throw new PatientChoiceError('The app works on one patient: enter the id of that Patient.');
  if (!isValidFhirId(id)) throw new PatientChoiceError(`"${id.slice(0, 64)}" is not a Patient id.`);
  try {
    await auth.repo.readResource('Patient', id);
  } catch {
    throw new PatientChoiceError(`There is no Patient with id "${id}".`);
  }
  return id;
}

/** A signed-in Patient is always their own context; a practitioner picks one for launch/patient. */
function needsPatientChoice(flow: Flow, user: UserRecord | undefined): boolean {
  return flow.askPatient && !user?.fhirUser.startsWith('Patient/');
}

async function signedInUser(auth: AuthServer, details: InteractionDetails): Promise<UserRecord | undefined> {
  const accountId = details.session?.accountId;
  const user = accountId ? await findUserById(auth.sql, accountId) : undefined;
  return user && !user.disabledAt ? user : undefined;
}

function actions(auth: AuthServer, uid: string): { action: string; abortAction: string; confirm: string } {
  const path = `${auth.baseUrl}oauth2/interaction/${encodeURIComponent(uid)}`;
  return { action: `${path}/login`, abortAction: `${path}/abort`, confirm: `${path}/confirm` };
}

function formOf(request: FastifyRequest): Record<string, string | undefined> {
  const body = request.body;
  if (!body || typeof body !== 'object' || Buffer.isBuffer(body)) return {};
  const form: Record<string, string | undefined> = {};
  for (const key of ['username', 'password', 'patient']) {
    const value = (body as Record<string, unknown>)[key];
    form[key] = typeof value === 'string' ? value : undefined;
  }
  return form;
}

function nameOf(client: OidcClient): string {
  return client.clientName ?? client.clientId;
}

function html(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).headers(PAGE_HEADERS).send(body);
}

function origin(request: FastifyRequest): RequestOrigin {
  return { ip: request.ip, method: request.method, path: request.url.split('?')[0], traceId: String(request.id) };
}
