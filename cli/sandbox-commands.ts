import { hostSchema } from '@simpul/infra';
import { createSatusehatSandbox } from '@simpul/infra/testing';
import type { Command } from './commands.ts';

/** Where `simpul sandbox satusehat` listens unless told otherwise. */
export const SATUSEHAT_SANDBOX_DEFAULTS = { port: 8190, host: '127.0.0.1' } as const;

interface SandboxArgs {
  port: number;
  host: string;
}

/** `--port N`, `--port=N`, `--host H`, `--host=H`; anything else is an error. */
export function parseSandboxArgs(args: string[]): SandboxArgs | { error: string } {
  const parsed: SandboxArgs = { ...SATUSEHAT_SANDBOX_DEFAULTS };
  for (let i = 0; i < args.length; i++) {
    const equals = args[i].indexOf('=');
    const flag = equals < 0 ? args[i] : args[i].slice(0, equals);
    if (flag !== '--port' && flag !== '--host') return { error: `unknown argument "${args[i]}"` };
    const value = equals < 0 ? args[++i] : args[i].slice(equals + 1);
    if (value === undefined || value === '') return { error: `${flag} needs a value` };
    if (flag === '--port') {
      const port = Number(value);
      if (!/^\d+$/.test(value) || port > 65535) return { error: `--port: expected a number between 0 and 65535, found "${value}"` };
      parsed.port = port;
    } else {
      const host = hostSchema.safeParse(value);
      if (!host.success) return { error: `--host: expected a host name or IP address, found "${value}"` };
      parsed.host = host.data;
    }
  }
  return parsed;
}

const USAGE = 'sandbox satusehat [--port N] [--host H]';

export const sandboxSatusehatCommand: Command = {
  name: 'sandbox satusehat',
  summary: `run the SATUSEHAT sandbox, a test double of the national platform (default ${SATUSEHAT_SANDBOX_DEFAULTS.host}:${SATUSEHAT_SANDBOX_DEFAULTS.port})`,
  usage: USAGE,
  longRunning: true,
  async run({ logger, args }) {
    const parsed = parseSandboxArgs(args);
    if ('error' in parsed) {
      process.stderr.write(`simpul sandbox satusehat: ${parsed.error}\nUsage: simpul ${USAGE}\n`);
      return 2;
    }
    const sandbox = await createSatusehatSandbox({ logger: logger.child({ part: 'satusehat-sandbox' }) });
    const url = await sandbox.listen(parsed);
    logger.info(
      { url, fhir: `${url}/fhir-r4/v1`, dicom: `${url}/dicom/v1/dicomWeb/studies`, control: `${url}/_sandbox/requests` },
      'SATUSEHAT sandbox is up',
    );
    // The default credentials are fixed, public test values (infra/README.md); printing them is the point.
    const clients = sandbox.config.organizations.map((org) => `  Organization ${org.id}: client_id=${org.clientId} client_secret=${org.clientSecret}`);
    process.stdout.write(`SATUSEHAT sandbox on ${url}\n${clients.join('\n')}\n`);

    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        resolve();
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    logger.info('SATUSEHAT sandbox shutting down');
    await sandbox.close();
    return 0;
  },
};
