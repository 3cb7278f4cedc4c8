/**
 * Admin verbs for the authorization server: OAuth clients, people who sign in, signing keys.
 * Each connects to `database.url`, applies pending migrations (so they work on a fresh database) and
 * prints its result; secrets and generated passwords are printed once and never stored in clear.
 * Exit codes: 0 done, 1 failed, 2 bad arguments or input (the message says what to fix).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  addUser,
  AuthInputError,
  connectDatabase,
  createClient,
  DEFAULT_AUTH_OPTIONS,
  disableClient,
  disableUser,
  listClients,
  listUsers,
  maxAccessTokenTtl,
  migrate,
  rotateSigningKeys,
  type ClientRecord,
  type Sql,
  type UserRecord,
} from '@simpul/fhir-hub';
import { randomBytes } from 'node:crypto';
import type { SimpulConfig } from '@simpul/infra';
import type { Command, CommandContext } from './commands.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

export const clientCreateCommand: Command = {
  name: 'client create',
  summary: 'register an OAuth client; prints its id and secret once',
  usage: 'client create --name <name> --scope "<scopes>" [--redirect-uri <uri>]... [--public] [--jwks-url <url> | --jwks-file <file>]',
  run: (context) =>
    withArgs(context, clientCreateCommand, { name: { type: 'string' }, scope: { type: 'string' }, 'redirect-uri': { type: 'string', multiple: true }, public: { type: 'boolean' }, 'jwks-url': { type: 'string' }, 'jwks-file': { type: 'string' } }, 0, async (values, _positionals, sql) => {
      if (typeof values.name !== 'string' || typeof values.scope !== 'string') throw new AuthInputError('--name and --scope are required');
      const jwksFile = values['jwks-file'];
      const jwks = typeof jwksFile === 'string' ? await readJwks(jwksFile) : undefined;
      const { client, secret } = await createClient(sql, {
        name: values.name,
        scope: values.scope,
        redirectUris: values['redirect-uri'] as string[] | undefined,
        public: values.public === true,
        jwks,
        jwksUri: values['jwks-url'] as string | undefined,
      });
      print({ ...describeClient(client), ...(secret ? { client_secret: secret, note: 'the secret is shown only now; store it' } : undefined) });
    }),
};

export const clientListCommand: Command = {
  name: 'client list',
  summary: 'list OAuth clients (never their secrets)',
  usage: 'client list',
  run: (context) =>
    withArgs(context, clientListCommand, {}, 0, async (_values, _positionals, sql) => {
      print((await listClients(sql)).map(describeClient));
    }),
};

export const clientDisableCommand: Command = {
  name: 'client disable',
  summary: 'disable a client: no new tokens, and its current tokens are refused',
  usage: 'client disable <client_id>',
  run: (context) =>
    withArgs(context, clientDisableCommand, {}, 1, async (_values, [clientId], sql) => {
      const client = await disableClient(sql, clientId, maxAccessTokenTtl(DEFAULT_AUTH_OPTIONS));
      if (!client) throw new AuthInputError(`No client "${clientId}"`);
      print(describeClient(client));
    }),
};

export const userAddCommand: Command = {
  name: 'user add',
  summary: 'add a person who signs in, linked to a Practitioner or Patient',
  usage: 'user add <username> --fhir-user <Practitioner/id|Patient/id> [--password-stdin]',
  run: (context) =>
    withArgs(context, userAddCommand, { 'fhir-user': { type: 'string' }, 'password-stdin': { type: 'boolean' } }, 1, async (values, [username], sql) => {
      if (typeof values['fhir-user'] !== 'string') throw new AuthInputError('--fhir-user is required (Practitioner/<id> or Patient/<id>)');
      const generated = values['password-stdin'] !== true;
      const password = generated ? randomBytes(18).toString('base64url') : await readStdin();
      const user = await addUser(sql, { username, password, fhirUser: values['fhir-user'] });
      print({ ...describeUser(user), ...(generated ? { password, note: 'the password is shown only now; hand it over safely' } : undefined) });
    }),
};

export const userListCommand: Command = {
  name: 'user list',
  summary: 'list the people who can sign in',
  usage: 'user list',
  run: (context) =>
    withArgs(context, userListCommand, {}, 0, async (_values, _positionals, sql) => {
      print((await listUsers(sql)).map(describeUser));
    }),
};

export const userDisableCommand: Command = {
  name: 'user disable',
  summary: 'disable a user: no sign-in or refresh, and their current tokens are refused',
  usage: 'user disable <username>',
  run: (context) =>
    withArgs(context, userDisableCommand, {}, 1, async (_values, [username], sql) => {
      const user = await disableUser(sql, username, maxAccessTokenTtl(DEFAULT_AUTH_OPTIONS));
      if (!user) throw new AuthInputError(`No user "${username}"`);
      print(describeUser(user));
    }),
};

export const keysRotateCommand: Command = {
  name: 'keys rotate',
  summary: 'new token signing keys; old ones stay published until tokens they signed expire',
  usage: 'keys rotate [--retain-hours <hours>]',
  run: (context) =>
    withArgs(context, keysRotateCommand, { 'retain-hours': { type: 'string' } }, 0, async (values, _positionals, sql) => {
      const hours = values['retain-hours'] === undefined ? 24 : Number(values['retain-hours']);
      if (!Number.isFinite(hours) || hours < 1 || hours > 24 * 30) throw new AuthInputError('--retain-hours is a number of hours from 1 to 720');
      const result = await rotateSigningKeys(sql, { retainSeconds: Math.round(hours * 3600) });
      print({ ...result, note: 'running hubs start signing with the new keys within a minute' });
    }),
};

/** Every auth command, for cli/commands.ts to register. */
export const authCommands: Command[] = [
  clientCreateCommand,
  clientListCommand,
  clientDisableCommand,
  userAddCommand,
  userListCommand,
  userDisableCommand,
  keysRotateCommand,
];

async function withArgs(
  context: CommandContext,
  command: Command,
  options: Options,
  positionalCount: number,
  action: (values: Record<string, string | boolean | (string | boolean)[] | undefined>, positionals: string[], sql: Sql) => Promise<void>,
): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: context.args, options, allowPositionals: true, strict: true });
    if (parsed.positionals.length !== positionalCount) throw new TypeError(`expected ${positionalCount} argument(s)`);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nUsage: simpul ${command.usage}\n`);
    return 2;
  }
  const sql = openDatabase(context.config);
  try {
    await migrate(sql);
    await action(parsed.values, parsed.positionals, sql);
    return 0;
  } catch (err) {
    if (err instanceof AuthInputError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

function openDatabase(config: SimpulConfig): Sql {
  return connectDatabase({ url: config.database.url, maxConnections: 2, applicationName: 'simpul-cli' });
}

async function readJwks(file: string): Promise<{ keys: never[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new AuthInputError(`Cannot read the JWKS file ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as { keys: never[] };
  } catch (err) {
    throw new AuthInputError(`${file} is not JSON: ${(err as Error).message}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function describeClient(client: ClientRecord): Record<string, unknown> {
  return {
    client_id: client.clientId,
    name: client.name,
    auth_method: client.authMethod,
    grant_types: client.grantTypes,
    scope: client.scope,
    ...(client.redirectUris.length ? { redirect_uris: client.redirectUris } : undefined),
    ...(client.jwksUri ? { jwks_uri: client.jwksUri } : undefined),
    ...(client.jwks ? { jwks_keys: client.jwks.keys.length } : undefined),
    admin: client.isAdmin,
    created_at: client.createdAt.toISOString(),
    ...(client.disabledAt ? { disabled_at: client.disabledAt.toISOString() } : undefined),
  };
}

function describeUser(user: UserRecord): Record<string, unknown> {
  return {
    username: user.username,
    fhir_user: user.fhirUser,
    id: user.id,
    created_at: user.createdAt.toISOString(),
    ...(user.disabledAt ? { disabled_at: user.disabledAt.toISOString() } : undefined),
  };
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
