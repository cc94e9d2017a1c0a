/**
 * Terminal input and output for the CLI: reading a value from stdin or a hidden prompt
 * (never from argv, which leaks to `ps` and shell history), and printing results.
 */
import { TesseraError } from '../src-shared/errors';

export interface CliIO {
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export const processIO: CliIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

export async function readAllStdin(stdin: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return decodeUtf8Strict(Buffer.concat(chunks), 'stdin');
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

/** Reads a line from the terminal without echoing it. */
export async function promptHidden(io: CliIO, question: string): Promise<string> {
  const { stdin, stderr } = io;
  if (!stdin.isTTY) throw new TesseraError('INVALID_INPUT', 'No terminal to ask on: pipe the value on stdin');
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
