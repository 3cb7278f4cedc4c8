/**
 * The viewer end to end: one real `simpul start` (hub, MLLP listener, ingest worker, bots, DICOM
 * receiver, previews) on its own database, vhost, blob folder and free ports, serving the built viewer
 * at /app/; real data in (an ADT^A01 over MLLP, a CT instance by dcmtk storescu), Debian's Chromium
 * driven by playwright-core. It signs in through the hub's page (authorization code + PKCE), finds the
 * study in the worklist, opens it, waits for the preview image to decode (naturalWidth > 0), sees the
 * delivery status of a Task written through FHIR, opens the message browser with an admin client and
 * replays the HL7 message. Screenshots of each page go to docs/screenshots/.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestVhost, type TestVhost } from '@simpul/infra/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const SCREENSHOTS = join(ROOT, 'docs/screenshots');
const CHROMIUM = '/usr/bin/chromium';
const SERVER = process.env.TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432';
const STUDY_UID = `1.2.826.0.1.3680043.10.9911.${Date.now() % 1_000_000}`;
const PASSWORD = 'viewer e2e passphrase';

interface Simpul {
  url: string;
  mllpPort: number;
  dicomPort: number;
  adminId: string;
  adminSecret: string;
  databaseUrl: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

let vhost: TestVhost;
let work: string;
let dbName: string;
let simpul: Simpul;
let browser: Browser;
let page: Page;
let adminToken: string;
let studyId: string;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function cli(args: string[], input?: string): Promise<string> {
  const child = execFile(process.execPath, ['bin/simpul.ts', ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: simpul.databaseUrl, SIMPUL_LOG_LEVEL: 'warn' } });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  if (input !== undefined) child.stdin?.end(input);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`simpul ${args.join(' ')} exited ${code}: ${out}`);
  return out;
}

async function fhir<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${simpul.url}fhir/R4/${path}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** One HL7 message over MLLP; resolves with the ACK text. */
function sendMllp(port: number, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setTimeout(20_000, () => socket.destroy(new Error('no ACK within 20 s')));
    socket.on('connect', () => socket.write(`\x0b${message}\x1c\r`));
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
      if (received.includes('\x1c\r')) {
        socket.end();
        const start = received.startsWith('\x0b') ? 1 : 0;
        resolve(received.slice(start, received.indexOf('\x1c\r')));
      }
    });
    socket.on('error', reject);
  });
}

/** A 128×128 CT instance with a gradient, written by dcmtk's dump2dcm. */
async function writeCtInstance(dir: string): Promise<string> {
  const size = 128;
  const pixels = Buffer.alloc(size * size * 2);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) pixels.writeUInt16LE(Math.floor(((x + y) / (2 * size)) * 4000), (y * size + x) * 2);
  await writeFile(join(dir, 'pixels.raw'), pixels);
  const sop = `${STUDY_UID}.1.1`;
  const dump = [
    '(0008,0016) UI =CTImageStorage',
    `(0008,0018) UI [${sop}]`,
    '(0008,0020) DA [20250909]',
    '(0008,0030) TM [141730]',
    '(0008,0050) SH [ACC-E2E-1]',
    '(0008,0060) CS [CT]',
    '(0008,1030) LO [CT THORAX E2E]',
    '(0008,103e) LO [Axial 5mm]',
    '(0010,0010) PN [Santoso^Budi]',
    '(0010,0020) LO [RM-E2E-1]',
    '(0010,0030) DA [19800817]',
    '(0010,0040) CS [M]',
    `(0020,000d) UI [${STUDY_UID}]`,
    `(0020,000e) UI [${STUDY_UID}.1]`,
    '(0020,0011) IS [1]',
    '(0020,0013) IS [1]',
    '(0028,0002) US 1',
    '(0028,0004) CS [MONOCHROME2]',
    `(0028,0010) US ${size}`,
    `(0028,0011) US ${size}`,
    '(0028,0100) US 16',
    '(0028,0101) US 12',
    '(0028,0102) US 11',
    '(0028,0103) US 0',
    `(7fe0,0010) OW =${join(dir, 'pixels.raw')}`,
  ].join('\n');
  await writeFile(join(dir, 'ct.dump'), dump);
  const file = join(dir, 'ct.dcm');
  await run('dump2dcm', ['--write-file', join(dir, 'ct.dump'), file]);
  return file;
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'ui/dist/index.html'))) throw new Error('build the viewer first: npm run build -w ui');
  work = await mkdtemp(join(tmpdir(), 'simpul-viewer-e2e-'));
  await mkdir(SCREENSHOTS, { recursive: true });
  vhost = await createTestVhost('simpul_viewer');
  dbName = `simpul_viewer_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = postgres(`${SERVER}/postgres`, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`CREATE DATABASE "${dbName}"`);
  await admin.end();
  const [hubPort, mllpPort, dicomPort] = [await freePort(), await freePort(), await freePort()];
  const adminId = `viewer-admin-${randomBytes(3).toString('hex')}`;
  const adminSecret = randomBytes(24).toString('hex');
  const databaseUrl = `${SERVER}/${dbName}`;
  const configFile = join(work, 'simpul.yaml');
  await writeFile(
    configFile,
    [
      'ingest:',
      '  hl7Sources:',
      '    default:',
      "      organizationId: '10000004'",
      '      facility: RSUD E2E',
      '      defaultIdentifierSystem: https://rsud-e2e.example/id',
      '      timeZone: Asia/Jakarta',
      '      assigningAuthorities:',
      '        RSUD: http://sys-ids.kemkes.go.id/mrn/10000004',
      '        NIK: https://fhir.kemkes.go.id/id/nik',
      'dicom:',
      '  mapping:',
      "    organizationId: '10000004'",
      '',
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['bin/simpul.ts', 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      SIMPUL_CONFIG: configFile,
      DATABASE_URL: databaseUrl,
      AMQP_URL: vhost.url,
      SIMPUL_HUB_PORT: String(hubPort),
      SIMPUL_MLLP_PORT: String(mllpPort),
      SIMPUL_DICOM_PORT: String(dicomPort),
      SIMPUL_STORAGE_DIR: join(work, 'blobs'),
      SIMPUL_ADMIN_CLIENT_ID: adminId,
      SIMPUL_ADMIN_CLIENT_SECRET: adminSecret,
      SIMPUL_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  simpul = { url: `http://127.0.0.1:${hubPort}/`, mllpPort, dicomPort, adminId, adminSecret, databaseUrl, child, exited };
  await eventually(
    'simpul start to answer /readyz',
    async () => {
      if (child.exitCode !== null) throw new Error(`simpul start exited with ${child.exitCode}`);
      return (await fetch(`${simpul.url}readyz`)).ok;
    },
    90_000,
  );
  const token = await fetch(`${simpul.url}oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${adminId}:${adminSecret}`).toString('base64')}` },
    body: 'grant_type=client_credentials',
  });
  adminToken = ((await token.json()) as { access_token: string }).access_token;

  // The hub registered the viewer's public client at first start; an operator adds the radiologist who signs in.
  const viewer = (await (await fetch(`${simpul.url}app/config.json`)).json()) as { clientId?: string };
  expect(viewer.clientId, 'the viewer client the hub registers at start').toBeTruthy();
  const practitioner = await fhir<{ id: string }>('POST', 'Practitioner', { resourceType: 'Practitioner', name: [{ family: 'Wijaya', given: ['Ana'], prefix: ['dr.'] }] });
  await cli(['user', 'add', 'ana', '--fhir-user', `Practitioner/${practitioner.id}`, '--password-stdin'], PASSWORD);

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  if (process.env.TEST_BROWSER_LOG) {
    page.on('console', (message) => console.log(`[browser] ${message.type()} ${message.text()}`));
    page.on('pageerror', (error) => console.log(`[browser] pageerror ${error.message}`));
    page.on('response', (response) => {
      if (response.status() >= 400) void response.text().then((text) => console.log(`[browser] ${response.status()} ${response.url()} ${text.slice(0, 300)}`));
    });
  }
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (simpul) {
    simpul.child.kill('SIGTERM');
    await simpul.exited;
  }
  const dropper = postgres(`${SERVER}/postgres`, { max: 1, onnotice: () => undefined });
  if (dbName) await dropper.unsafe(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await dropper.end();
  await vhost?.remove();
  if (work) await rm(work, { recursive: true, force: true });
}, 60_000);

describe('the viewer against a real simpul start', () => {
  it('takes real data in: an ADT^A01 over MLLP and a CT instance over C-STORE, previewed', async () => {
    const adt = [
      `MSH|^~\\&|HIS|RSUD|SIMPUL|RSUD|20250909141000||ADT^A01^ADT_A01|E2E-${Date.now()}|P|2.5`,
      'EVN|A01|20250909141000',
      'PID|1||RM-E2E-1^^^RSUD^MR~3171234567890001^^^NIK^NNIDN||Santoso^Budi||19800817|M|||Jl. Merdeka 1^^Jakarta',
      'PV1|1|I|RAD^1^1',
    ].join('\r');
    const ack = await sendMllp(simpul.mllpPort, adt);
    expect(ack).toMatch(/MSA\|A[AC]/);

    const file = await writeCtInstance(work);
    const { stdout, stderr } = await run('storescu', ['-aet', 'CT01', '-aec', 'SIMPUL', '127.0.0.1', String(simpul.dicomPort), file], { env: { ...process.env, TCP_NODELAY: '1' } });
    expect(`${stdout}${stderr}`).not.toMatch(/Failure|Error/i);

    const study = await eventually(
      'the ImagingStudy with a preview on its instance',
      async () => {
        const bundle = await fhir<{ entry?: { resource: { id: string; series?: { instance?: { extension?: { url: string }[] }[] }[] } }[] }>(
          'GET',
          `ImagingStudy?identifier=${encodeURIComponent(`urn:dicom:uid|urn:oid:${STUDY_UID}`)}`,
        );
        const found = bundle.entry?.[0]?.resource;
        return found?.series?.[0]?.instance?.[0]?.extension?.some((e) => e.url.endsWith('/preview')) ? found : undefined;
      },
      90_000,
    );
    studyId = study.id;
    // No routing is configured here: the delivery status a route bot would keep, written through FHIR.
    await fhir('POST', 'Task', {
      resourceType: 'Task',
      status: 'failed',
      intent: 'order',
      identifier: [{ system: 'https://simpul.dev/fhir/NamingSystem/delivery', value: `pacs/ImagingStudy/${studyId}` }],
      code: { coding: [{ system: 'https://simpul.dev/fhir/CodeSystem/task-code', code: 'deliver' }] },
      focus: { reference: `ImagingStudy/${studyId}` },
      owner: { display: 'pacs' },
      input: [
        { type: { text: 'destination' }, valueString: 'pacs' },
        { type: { text: 'destination-type' }, valueString: 'pacs' },
      ],
      businessStatus: { coding: [{ system: 'https://simpul.dev/fhir/CodeSystem/delivery-status', code: 'failed' }], text: 'dead-lettered after 5 attempts' },
      statusReason: { text: 'C-STORE to PACS1 refused: association rejected (called AE title not recognised)' },
      extension: [{ url: 'https://simpul.dev/fhir/StructureDefinition/delivery-attempts', valueInteger: 5 }],
      lastModified: new Date().toISOString(),
    });
  }, 150_000);

  it('signs in through the hub page with authorization code + PKCE', async () => {
    await page.goto(`${simpul.url}app/`);
    await page.getByTestId('sign-in').click();
    await page.waitForURL(/\/oauth2\/interaction\//);
    await page.fill('input[name=username]', 'ana');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${simpul.url}app/`);
    if (process.env.TEST_BROWSER_LOG) setTimeout(() => void page.textContent('body').then((text) => console.log(`[page] ${text}`)), 3000);
    await expect.poll(() => page.getByTestId('signed-in-as').textContent(), { timeout: 20_000 }).toContain('Wijaya');
  }, 60_000);

  it('finds the study in the worklist, with its thumbnail', async () => {
    await page.getByLabel('Patient name or identifier').fill('Santoso');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const row = page.locator(`[data-testid=worklist-row][data-study="${studyId}"]`);
    await row.waitFor({ timeout: 20_000 });
    expect(await row.textContent()).toContain('CT THORAX E2E');
    await expect.poll(() => row.locator('[data-testid=worklist-thumbnail]').evaluate((img) => (img as HTMLImageElement).naturalWidth), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await row.locator('[data-state]').getAttribute('data-state')).toBe('failed');
    await shot('worklist');
  }, 60_000);

  it('opens the study: the preview decodes, the delivery status and its error show', async () => {
    await page.locator(`[data-testid=worklist-row][data-study="${studyId}"] [data-testid=study-link]`).click();
    await page.getByTestId('study-title').waitFor();
    const image = page.getByTestId('preview-image');
    await image.waitFor({ timeout: 20_000 });
    await expect.poll(() => image.evaluate((img) => (img as HTMLImageElement).naturalWidth), { timeout: 20_000 }).toBe(128);
    expect(await page.getByTestId('patient-banner').textContent()).toContain('Santoso');
    const delivery = page.locator('[data-testid=delivery][data-destination=pacs]');
    await delivery.waitFor({ timeout: 20_000 });
    expect(await delivery.getAttribute('data-state')).toBe('failed');
    expect(await delivery.getByTestId('delivery-error').textContent()).toContain('association rejected');
    await page.getByTestId('preview-viewer').focus();
    await page.keyboard.press('+');
    expect(await page.getByTestId('preview-zoom').textContent()).toBe('150%');
    await page.keyboard.press('f');
    expect(await page.getByTestId('preview-zoom').textContent()).toBe('Fit');
    await shot('study');
  }, 60_000);

  it('opens the patient chart from the banner', async () => {
    await page.getByTestId('patient-banner').getByRole('link').click();
    await page.getByRole('tab', { name: /Imaging/ }).click();
    await page.getByRole('link', { name: 'CT THORAX E2E' }).waitFor({ timeout: 20_000 });
    await shot('patient');
  }, 60_000);

  it('opens the message browser with an admin token and replays the HL7 message', async () => {
    await page.getByRole('link', { name: 'Integration monitor' }).click();
    // A person's token is refused by the admin API; the engineer pastes an admin client's token.
    await page.getByLabel('Admin access token').waitFor({ timeout: 20_000 });
    await page.getByLabel('Admin access token').fill(adminToken);
    await page.getByRole('button', { name: 'Use admin token' }).click();
    await page.getByTestId('source-stats').waitFor({ timeout: 20_000 });
    await shot('monitor');
    await page.getByRole('tab', { name: 'Messages' }).click();
    const row = page.locator('[data-testid=message-row]').filter({ hasText: 'ADT' }).first();
    await row.waitFor({ timeout: 20_000 });
    await row.getByTestId('open-message').click();
    const detail = page.getByTestId('message-detail');
    await detail.waitFor();
    expect(await detail.getByTestId('raw-message').textContent()).toContain('PID|1||RM-E2E-1');
    await shot('messages');
    const before = await fetch(`${simpul.url}admin/messages?type=ADT%5EA01`, { headers: { authorization: `Bearer ${adminToken}` } }).then((r) => r.json() as Promise<{ messages: { attempts: number }[] }>);
    await detail.getByTestId('replay-one').click();
    await expect.poll(() => page.getByTestId('replay-notice').textContent(), { timeout: 20_000 }).toContain('Replayed 1 message');
    // The ingest took the message again: its attempt count went up.
    await eventually('the replayed message to be taken again', async () => {
      const after = await fetch(`${simpul.url}admin/messages?type=ADT%5EA01`, { headers: { authorization: `Bearer ${adminToken}` } }).then((r) => r.json() as Promise<{ messages: { attempts: number }[] }>);
      return after.messages[0]?.attempts > (before.messages[0]?.attempts ?? 0);
    });
  }, 90_000);

  it('lays the worklist out at tablet width', async () => {
    await page.setViewportSize({ width: 820, height: 1180 });
    await page.goto(`${simpul.url}app/`);
    await page.locator('[data-testid=worklist-row]').first().waitFor({ timeout: 20_000 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('worklist-tablet');
  }, 60_000);
});
