/**
 * Terminal input and output for the CLI: reading a value from stdin or a hidden prompt
 * (never from argv, which leaks to `ps` and shell history), and printing results.
 */
import { createReadStream } from 'node:fs';
import { TesseraError } from '../src-shared/errors';

export interface CliIO {
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export const processIO: CliIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

/** A value piped to `set` or `rotate`: the bound the desktop app and rotation put on a value. */
export const MAX_STDIN_VALUE_BYTES = 256 * 1024;
/** A .env file or template (`import`, `inject`): many values, but not a disk image. */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

export interface InputLimit {
  readonly maxBytes: number;
  /** The error for input past maxBytes: its code and words depend on what was being read. */
  readonly tooLarge: () => TesseraError;
}

/**
 * All of a stream as UTF-8 text, refusing it past `limit.maxBytes`. Whatever feeds the pipe
 * (`yes`, a mistyped /dev/zero) may never end, and every byte kept is memory: at the limit
 * the stream is destroyed and nothing more is read.
 */
export async function readAllStdin(stdin: NodeJS.ReadableStream, limit: InputLimit, source = 'stdin'): Promise<string> {
  return decodeUtf8Strict(await readAllBytes(stdin, limit), source);
}

/** All of a stream as bytes, with the same bound (a KeePass database or a 1PUX zip is not text). */
export async function readAllBytes(stdin: NodeJS.ReadableStream, limit: InputLimit): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of stdin) {
    const chunk = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    total += chunk.length;
    if (total > limit.maxBytes) {
      (stdin as NodeJS.ReadableStream & { destroy(): void }).destroy();
      throw limit.tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A secret's value piped on stdin, one trailing newline dropped; VALUE_TOO_LARGE past 256 KiB. */
export async function readValueFromStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const tooLarge = () => new TesseraError('VALUE_TOO_LARGE', 'The value on stdin is larger than 256 KiB: nothing saved');
  // Two bytes more for the CRLF or LF that stripOneNewline drops, so a value of exactly the limit passes.
  const value = stripOneNewline(await readAllStdin(stdin, { maxBytes: MAX_STDIN_VALUE_BYTES + 2, tooLarge }));
  if (Buffer.byteLength(value, 'utf8') > MAX_STDIN_VALUE_BYTES) throw tooLarge();
  return value;
}

/**
 * A .env file or template, from stdin (`-`) or a file, as text; INPUT_TOO_LARGE past 16 MiB.
 * A file is read through the same bound: a FIFO or a device never ends either.
 */
export async function readDocument(stdin: NodeJS.ReadableStream, path: string): Promise<string> {
  return decodeUtf8Strict(await readDocumentBytes(stdin, path), path === '-' ? 'stdin' : path);
}

/**
 * A file to import, from stdin (`-`) or a file, as bytes; INPUT_TOO_LARGE past 16 MiB, IO
 * (with the system's code, such as ENOENT) when it cannot be read.
 */
export async function readDocumentBytes(stdin: NodeJS.ReadableStream, path: string): Promise<Buffer> {
  const source = path === '-' ? 'stdin' : path;
  const tooLarge = () => new TesseraError('INPUT_TOO_LARGE', `${source} is larger than 16 MiB, the limit for a file to import or a template: nothing read`);
  const stream = path === '-' ? stdin : createReadStream(path);
  try {
    return await readAllBytes(stream, { maxBytes: MAX_DOCUMENT_BYTES, tooLarge });
  } catch (e) {
    if (e instanceof TesseraError) throw e;
    throw new TesseraError('IO', `Cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/**
 * Values are text. Bytes that are not UTF-8 would otherwise be replaced by U+FFFD and the
 * secret silently changed; refuse them instead (binary secrets go in base64).
 */
export function decodeUtf8Strict(bytes: Uint8Array, source: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new TesseraError('INVALID_INPUT', `${source} is not valid UTF-8 text; encode binary secrets as base64`);
  }
}

/** `echo value | tessera set` sends one trailing newline nobody means as part of the value. */
export function stripOneNewline(s: string): string {
  return s.endsWith('\r\n') ? s.slice(0, -2) : s.endsWith('\n') ? s.slice(0, -1) : s;
}

/**
 * Reads a line from the terminal without echoing it. `noTerminal` says what to do instead
 * when there is none (a script, a pipe): what works differs for a value and a passphrase.
 */
export async function promptHidden(io: CliIO, question: string, noTerminal = 'No terminal to ask on: pipe the value on stdin'): Promise<string> {
  const { stdin, stderr } = io;
  if (!stdin.isTTY) throw new TesseraError('INVALID_INPUT', noTerminal);
  stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  let answer = '';
  try {
    return await new Promise<string>((resolve, reject) => {
      const onData = (chunk: string) => {
        for (const ch of chunk) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData);
            return resolve(answer);
          }
          if (ch === '\u0003') {
            stdin.off('data', onData);
            return reject(new TesseraError('INVALID_INPUT', 'Cancelled'));
          }
          if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1);
          else answer += ch;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    stderr.write('\n');
  }
}

export function printJson(io: CliIO, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function formatTime(ms: number): string {
  return ms ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}

/** Left-aligned columns for humans; scripts use --json. */
export function printTable(io: CliIO, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  io.stdout.write([line(header), ...rows.map(line)].join('\n') + '\n');
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
const SPAN_UNITS = { m: MINUTE, h: HOUR, d: DAY, w: 7 * DAY, y: 365 * DAY } as const;

/** "30m", "24h", "7d", "2w", "1y" → milliseconds, within [min, max]; INVALID_INPUT otherwise. */
export function parseSpan(s: string, bounds: { min: number; max: number; examples: string }): number {
  const m = /^(\d+)([mhdwy])$/.exec(s.trim());
  const ms = m ? Number(m[1]) * SPAN_UNITS[m[2] as keyof typeof SPAN_UNITS] : NaN;
  if (!(ms >= bounds.min && ms <= bounds.max)) throw new TesseraError('INVALID_INPUT', `Invalid duration ${JSON.stringify(s)}: use e.g. ${bounds.examples}`);
  return ms;
}
