import { StringDecoder } from 'node:string_decoder';
import { Readable, Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import type { CsvError } from 'csv-parse';
import type { LoadProblem } from './load-problem.ts';

/** One CSV row with the 1-based line it starts on. */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/** `(done, total)` in bytes of the file. */
export type ProgressCallback = (done: number, total: number) => void;

export interface ReadCsvOptions {
  /** Names the input in problems (the file path). */
  source: string;
  onProgress?: ProgressCallback;
  /** Size of the input in bytes when it is a stream (a file's size); strings are measured. */
  totalBytes?: number;
}

export interface CsvReadResult {
  /** `# key: value` lines before the header, keys lower-cased. */
  preamble: Map<string, string>;
  /** Rows csv-parse could not read (bad quoting, oversized rows), with their line numbers. */
  problems: LoadProblem[];
}

/** No terminology row needs more; a stray quote must not make the parser buffer a whole file. */
const MAX_RECORD_CHARACTERS = 100_000;
const STRING_CHUNK_CHARACTERS = 64 * 1024;
const PREAMBLE_LINE = /^#\s*([A-Za-z][\w-]*)\s*:\s*(.*?)\s*$/;

/**
 * Streams CSV rows to `onRecord`: line endings normalised, blank lines and `#` comment lines
 * skipped, quoted fields (with commas, quotes and line breaks) handled by csv-parse. Leading
 * `# key: value` lines are returned as the preamble. Bad rows are reported, not thrown, so one
 * pass finds all of them.
 */
export async function readCsvRecords(
  input: string | Readable,
  options: ReadCsvOptions,
  onRecord: (record: CsvRecord) => void,
): Promise<CsvReadResult> {
  const total = typeof input === 'string' ? Buffer.byteLength(input) : (options.totalBytes ?? 0);
  const normalizer = new CsvTextNormalizer(total, options.onProgress);
  const problems: LoadProblem[] = [];
  const parser = parse({
    info: true,
    comment: '#',
    comment_no_infix: true,
    skip_empty_lines: true,
    relax_column_count: true,
    // A stray quote inside a field is kept as text; strict quoting makes csv-parse lose its place
    // after the first bad row and report every later row wrongly.
    relax_quotes: true,
    trim: true,
    max_record_size: MAX_RECORD_CHARACTERS,
    skip_records_with_error: true,
    on_skip: (error: CsvError | undefined) => {
      if (error) problems.push({ source: options.source, line: lineOf(error), message: describeCsvError(error) });
      return undefined;
    },
  });
  parser.on('data', (row: { record: string[]; info: { lines: number } }) => {
    const innerBreaks = row.record.reduce((count, field) => count + countLineBreaks(field), 0);
    onRecord({ fields: row.record, line: row.info.lines - innerBreaks });
  });
  const source = typeof input === 'string' ? Readable.from(stringChunks(input)) : input;
  await pipeline(source, normalizer, parser);
  normalizer.reportEnd();
  return { preamble: normalizer.preamble, problems };
}

/** Decodes UTF-8 across chunk boundaries, drops a BOM, turns CRLF/CR into LF, counts bytes, reads the preamble. */
class CsvTextNormalizer extends Transform {
  readonly preamble = new Map<string, string>();
  private readonly decoder = new StringDecoder('utf8');
  private readonly total: number;
  private readonly onProgress?: ProgressCallback;
  private readonly reportEvery: number;
  private done = 0;
  private lastReported = 0;
  private started = false;
  private pendingCarriageReturn = false;
  private inPreamble = true;
  private preambleBuffer = '';

  constructor(total: number, onProgress?: ProgressCallback) {
    super({ readableObjectMode: false });
    this.total = total;
    this.onProgress = onProgress;
    this.reportEvery = Math.max(64 * 1024, Math.floor(total / 200));
  }

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.done += bytes.length;
    if (this.onProgress && this.done - this.lastReported >= this.reportEvery) {
      this.lastReported = this.done;
      this.onProgress(this.done, Math.max(this.total, this.done));
    }
    this.emitText(this.decoder.write(bytes));
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.emitText(this.decoder.end());
    if (this.pendingCarriageReturn) this.pushText('\n');
    this.pendingCarriageReturn = false;
    if (this.inPreamble) this.finishPreamble(true);
    callback();
  }

  reportEnd(): void {
    this.onProgress?.(this.done, Math.max(this.total, this.done));
  }

  private emitText(raw: string): void {
    if (raw === '') return;
    let text = raw;
    if (!this.started) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.pendingCarriageReturn) {
      text = `\r${text}`;
      this.pendingCarriageReturn = false;
    }
    if (text.endsWith('\r')) {
      this.pendingCarriageReturn = true;
      text = text.slice(0, -1);
    }
    this.pushText(text.replace(/\r\n?/g, '\n'));
  }

  private pushText(text: string): void {
    if (!this.inPreamble) {
      this.push(text);
      return;
    }
    this.preambleBuffer += text;
    this.finishPreamble(false);
  }

  /** Reads complete leading lines while they are blank or comments; passes everything through unchanged. */
  private finishPreamble(atEnd: boolean): void {
    let start = 0;
    for (;;) {
      const end = this.preambleBuffer.indexOf('\n', start);
      if (end < 0 && !atEnd) break;
      const line = this.preambleBuffer.slice(start, end < 0 ? undefined : end).trim();
      if (line !== '' && !line.startsWith('#')) {
        this.inPreamble = false;
        break;
      }
      const match = PREAMBLE_LINE.exec(line);
      if (match && !this.preamble.has(match[1].toLowerCase())) this.preamble.set(match[1].toLowerCase(), match[2]);
      if (end < 0) break;
      start = end + 1;
    }
    if (!this.inPreamble || atEnd) {
      this.push(this.preambleBuffer);
      this.preambleBuffer = '';
      this.inPreamble = false;
    }
  }
}

function describeCsvError(error: CsvError): string {
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed (a " opened on this or an earlier line has no closing ")';
    case 'CSV_MAX_RECORD_SIZE':
      return `row longer than ${MAX_RECORD_CHARACTERS} characters (an unclosed quote?)`;
    default:
      return error.message;
  }
}

function lineOf(error: CsvError): number | undefined {
  const line = (error as unknown as { lines?: unknown }).lines;
  return typeof line === 'number' ? line : undefined;
}

function countLineBreaks(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) count++;
  return count;
}

function* stringChunks(text: string): Generator<Buffer> {
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + STRING_CHUNK_CHARACTERS, text.length);
    // Never split a surrogate pair: each half alone would be encoded as U+FFFD.
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    yield Buffer.from(text.slice(start, end));
    start = end;
  }
}
