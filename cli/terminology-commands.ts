import { parseArgs } from 'node:util';
import { ClientStorage, getStatus, MedplumClient, MemoryStorage, normalizeErrorString, OperationOutcomeError } from '@medplum/core';
import type { SimpulConfig } from '@simpul/infra';
import { loadTerminologyPath, TerminologyLoadError, type TerminologyResource } from '@simpul/terminology';
import type { Command } from './commands.ts';

/** Where a command writes: the process's streams, or buffers in a test. */
export interface Output {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

const PROCESS_OUTPUT: Output = { stdout: process.stdout, stderr: process.stderr };

/** Files at least this large get a progress bar while they are read. */
const PROGRESS_BAR_MIN_BYTES = 1024 * 1024;

const CONNECTION_OPTIONS = {
  hub: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
} as const;

export const terminologyLoadCommand: Command = {
  name: 'terminology load',
  summary: 'load CodeSystems, ValueSets and ConceptMaps (FHIR JSON, YAML, CSV) into the hub',
  usage: 'terminology load <file|dir> [--hub URL] [--client-id ID --client-secret SECRET]',
  async run({ config, args }) {
    const parsed = parseOrUsage(args, CONNECTION_OPTIONS, this.usage, PROCESS_OUTPUT);
    if (!parsed) return 2;
    if (parsed.positionals.length !== 1) return usageError(this.usage, 'give exactly one file or directory', PROCESS_OUTPUT);
    return loadTerminologyIntoHub({ path: parsed.positionals[0], connection: connectionFrom(config, parsed.values) }, PROCESS_OUTPUT);
  },
};

export const terminologyGapsCommand: Command = {
  name: 'terminology gaps',
  summary: 'print the unmapped-codes report, most frequent first',
  usage: 'terminology gaps [--system URI] [--count N] [--offset N] [--hub URL] [--client-id ID --client-secret SECRET]',
  async run({ config, args }) {
    const options = { ...CONNECTION_OPTIONS, system: { type: 'string' }, count: { type: 'string' }, offset: { type: 'string' } } as const;
    const parsed = parseOrUsage(args, options, this.usage, PROCESS_OUTPUT);
    if (!parsed) return 2;
    if (parsed.positionals.length > 0) return usageError(this.usage, `unexpected argument "${parsed.positionals[0]}"`, PROCESS_OUTPUT);
    const count = wholeNumber(parsed.values.count, 50);
    const offset = wholeNumber(parsed.values.offset, 0);
    if (count === undefined || count < 1 || count > 500) return usageError(this.usage, '--count must be a whole number from 1 to 500', PROCESS_OUTPUT);
    if (offset === undefined) return usageError(this.usage, '--offset must be a whole number, 0 or more', PROCESS_OUTPUT);
    return printTerminologyGaps({ connection: connectionFrom(config, parsed.values), system: parsed.values.system, count, offset }, PROCESS_OUTPUT);
  },
};

/** For the lead to list in cli/commands.ts. */
export const terminologyCommands: Command[] = [terminologyLoadCommand, terminologyGapsCommand];

export interface HubConnection {
  baseUrl: string;
  clientId?: string;
  clientSecret?: string;
}

/**
 * `terminology load`: reads the file or directory with the terminology loaders (every bad row is
 * reported with its line, and nothing is written), then writes each resource with a conditional
 * PUT on url + version. The hub keeps an identical resource as it is, so loading twice changes
 * nothing. Returns the exit code.
 */
export async function loadTerminologyIntoHub(options: { path: string; connection: HubConnection }, output: Output): Promise<number> {
  const started = performance.now();
  const progress = new ProgressBar(output.stderr, `reading ${options.path}`);
  let resources: TerminologyResource[];
  try {
    resources = await loadTerminologyPath(options.path, { onProgress: (done, total) => progress.update(done, total) });
  } catch (err) {
    progress.abandon();
    if (err instanceof TerminologyLoadError) {
      output.stderr.write(`${err.format()}\n${err.problems.length} problem(s); nothing was written to the hub\n`);
      return 1;
    }
    throw err;
  }
  progress.finish();
  output.stdout.write(`read ${resources.length} resource(s) from ${options.path} in ${seconds(performance.now() - started)}\n`);

  const client = await connect(options.connection);
  const tally = { created: 0, updated: 0, unchanged: 0, failed: 0 };
  for (const resource of resources) {
    const label = `${resource.resourceType} ${resource.url}${resource.version ? `|${resource.version}` : ''}`;
    try {
      const { result, id } = await upsertTerminologyResource(client, resource);
      tally[result]++;
      output.stdout.write(`  ${result.padEnd(9)} ${label} (${resource.resourceType}/${id})\n`);
    } catch (err) {
      tally.failed++;
      output.stderr.write(`  failed    ${label}: ${normalizeErrorString(err)}\n`);
      if (isUnauthorized(err)) {
        // Every other resource would fail the same way.
        output.stderr.write(`the hub needs credentials: ${CREDENTIALS_HINT}\n`);
        return 1;
      }
    }
  }
  output.stdout.write(
    `${resources.length} resource(s): ${tally.created} created, ${tally.updated} updated, ${tally.unchanged} unchanged` +
      `${tally.failed ? `, ${tally.failed} failed` : ''} (${seconds(performance.now() - started)})\n`,
  );
  return tally.failed > 0 ? 1 : 0;
}

/** Conditional PUT on url + version (or url and no version); what happened is read from the version ids. */
export async function upsertTerminologyResource(
  client: MedplumClient,
  resource: TerminologyResource,
): Promise<{ result: 'created' | 'updated' | 'unchanged'; id: string }> {
  const query: Record<string, string> = { url: resource.url as string };
  if (resource.version) query.version = resource.version;
  else query['version:missing'] = 'true';
  const existing = await client.searchResources(resource.resourceType, { ...query, _count: '2' });
  if (existing.length > 1) {
    throw new Error(`${existing.length} resources in the hub have this url and version; remove the extra one first`);
  }
  // The hub's id is its own business; the url and version say which resource this is.
  const { id: _id, meta: _meta, ...content } = resource;
  const stored = await client.upsertResource(content as TerminologyResource, query);
  const before = existing[0];
  if (!before) return { result: 'created', id: stored.id as string };
  return { result: before.meta?.versionId === stored.meta?.versionId ? 'unchanged' : 'updated', id: stored.id as string };
}

interface UnmappedCodeRow {
  system: string;
  code: string;
  display?: string;
  targetSystem?: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  exampleMessageId?: string;
  mappedNow?: boolean;
}

/** `terminology gaps`: the hub's unmapped-codes report as a table. Returns the exit code. */
export async function printTerminologyGaps(
  options: { connection: HubConnection; system?: string; count: number; offset: number },
  output: Output,
): Promise<number> {
  const client = await connect(options.connection);
  const url = new URL('admin/terminology/unmapped', client.getBaseUrl());
  if (options.system) url.searchParams.set('system', options.system);
  url.searchParams.set('_count', String(options.count));
  url.searchParams.set('_offset', String(options.offset));
  let report: { total: number; codes: UnmappedCodeRow[] };
  try {
    report = (await client.get(url.toString())) as typeof report;
  } catch (err) {
    if (!isUnauthorized(err)) throw err;
    output.stderr.write(`${normalizeErrorString(err)}: the report needs an admin token; ${CREDENTIALS_HINT}\n`);
    return 1;
  }
  if (report.codes.length === 0) {
    output.stdout.write(report.total === 0 ? 'no unmapped codes reported\n' : `no rows past offset ${options.offset} (total ${report.total})\n`);
    return 0;
  }
  const rows = report.codes.map((row) => [
    String(row.count),
    row.system,
    row.code,
    row.display ?? '',
    row.targetSystem ?? '',
    row.firstSeen.slice(0, 19).replace('T', ' '),
    row.lastSeen.slice(0, 19).replace('T', ' '),
    row.exampleMessageId ?? '',
    row.mappedNow ? 'yes' : 'no',
  ]);
  output.stdout.write(formatTable(['COUNT', 'SYSTEM', 'CODE', 'DISPLAY', 'TARGET', 'FIRST SEEN (UTC)', 'LAST SEEN (UTC)', 'EXAMPLE MESSAGE', 'MAPPED NOW'], rows));
  const shown = `${options.offset + 1}-${options.offset + report.codes.length}`;
  output.stdout.write(`${shown} of ${report.total}; "MAPPED NOW: yes" means a map exists now: replay the example message to fix its resources\n`);
  return 0;
}

export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const clean = (cell: string): string => cell.replace(/[\r\n\t]+/g, ' ');
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => clean(row[column]).length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === 0 ? clean(cell).padStart(widths[column]) : clean(cell).padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/**
 * Bytes read, percentage and rate on one line for files of at least 1 MiB. A terminal gets the
 * line redrawn in place (at most ten times a second); a log gets a line per quarter.
 */
export class ProgressBar {
  private readonly stream: Output['stderr'];
  private readonly label: string;
  private readonly startedAt = performance.now();
  private lastDrawnAt = 0;
  private lastQuarter = 0;
  private shown = false;

  constructor(stream: Output['stderr'], label: string) {
    this.stream = stream;
    this.label = label;
  }

  update(done: number, total: number): void {
    if (total < PROGRESS_BAR_MIN_BYTES) return;
    const now = performance.now();
    if (this.stream.isTTY) {
      if (now - this.lastDrawnAt < 100 && done < total) return;
      this.lastDrawnAt = now;
      this.stream.write(`\r${this.render(done, total, now)}\x1b[K`);
      this.shown = true;
      return;
    }
    const quarter = Math.floor((done / total) * 4);
    if (quarter > this.lastQuarter) {
      this.lastQuarter = quarter;
      this.stream.write(`${this.render(done, total, now)}\n`);
    }
  }

  /** Ends the redrawn line, so what follows starts on a fresh one. */
  finish(): void {
    if (this.shown) this.stream.write('\n');
    this.shown = false;
  }

  abandon(): void {
    this.finish();
  }

  render(done: number, total: number, now = performance.now()): string {
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const width = 24;
    const filled = Math.round(fraction * width);
    const elapsed = Math.max(0.001, (now - this.startedAt) / 1000);
    return `${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor(fraction * 100)
      .toString()
      .padStart(3)}% ${mebibytes(done)}/${mebibytes(total)} MiB ${mebibytes(done / elapsed)} MiB/s`;
  }
}

const CREDENTIALS_HINT = 'pass --client-id/--client-secret or SIMPUL_CLIENT_ID/SIMPUL_CLIENT_SECRET of a client with admin scope';

function isUnauthorized(err: unknown): boolean {
  return err instanceof OperationOutcomeError && (getStatus(err.outcome) === 401 || getStatus(err.outcome) === 403);
}

function connectionFrom(config: SimpulConfig, values: Record<string, string | undefined>): HubConnection {
  return {
    baseUrl: values.hub ?? config.hub.baseUrl,
    clientId: values['client-id'] ?? process.env.SIMPUL_CLIENT_ID,
    clientSecret: values['client-secret'] ?? process.env.SIMPUL_CLIENT_SECRET,
  };
}

async function connect(connection: HubConnection): Promise<MedplumClient> {
  if (Boolean(connection.clientId) !== Boolean(connection.clientSecret)) {
    throw new Error(`give both a client id and a client secret: ${CREDENTIALS_HINT}`);
  }
  const client = new MedplumClient({ baseUrl: connection.baseUrl, storage: new ClientStorage(new MemoryStorage()) });
  if (connection.clientId && connection.clientSecret) {
    await client.startClientLogin(connection.clientId, connection.clientSecret);
  }
  return client;
}

interface ParsedArgs {
  values: Record<string, string | undefined>;
  positionals: string[];
}

/** Every option here takes a string value; unknown options and missing values are usage errors. */
function parseOrUsage(args: string[], options: Record<string, { type: 'string' }>, usage: string, output: Output): ParsedArgs | undefined {
  try {
    const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: parsed.values as Record<string, string | undefined>, positionals: parsed.positionals };
  } catch (err) {
    usageError(usage, (err as Error).message, output);
    return undefined;
  }
}

function usageError(usage: string, message: string, output: Output): number {
  output.stderr.write(`${message}\nusage: simpul ${usage}\n`);
  return 2;
}

function wholeNumber(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined) return fallback;
  return /^\d{1,9}$/.test(value) ? Number(value) : undefined;
}

function mebibytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
