/**
 * Starts a program with secrets in its environment, the way `tessera run` does: never
 * through a shell (argv goes to execve as it is, so no value or name is ever parsed as shell
 * syntax), stdin passed through, stdout and stderr streamed (masked unless told otherwise),
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT forwarded, and the child's exit status returned
 * (killed by a signal: 128 + its number, as a shell reports it).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TesseraError } from '../../src-shared/errors';
import { maskingStream } from './mask';

export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

export interface RunChildOptions {
  readonly command: string;
  readonly args: readonly string[];
  /** The child's whole environment. */
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Values to conceal in stdout and stderr; null turns masking off (the child gets our streams). */
  readonly mask: readonly string[] | null;
  /** Where masked output goes (our stdout and stderr by default). */
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
  /** Where forwarded signals come from; process by default. */
  readonly signals?: NodeJS.EventEmitter;
}

/** Builds the child's environment: ours, then the secrets. NUL cannot be carried by execve. */
export function childEnvironment(base: NodeJS.ProcessEnv, secrets: readonly { key: string; value: string }[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  // A machine token reads the vault; the program gets the values it asked for, not the token.
  delete env.TESSERA_TOKEN;
  delete env.TESSERA_TOKEN_FILE;
  for (const { key, value } of secrets) {
    if (value.includes('\0')) throw new TesseraError('INVALID_INPUT', `${key} holds a NUL character, which an environment variable cannot carry`, { key });
    env[key] = value;
  }
  return env;
}

/** Runs the command to its end; resolves with the exit status tessera should return. */
export async function runChild(o: RunChildOptions): Promise<number> {
  const masking = o.mask !== null && o.mask.length > 0;
  const stdout = o.stdout ?? process.stdout;
  const stderr = o.stderr ?? process.stderr;
  const child = spawn(o.command, [...o.args], {
    env: o.env,
    ...(o.cwd !== undefined ? { cwd: o.cwd } : {}),
    shell: false,
    // Unmasked output goes straight to our file descriptors (colours, TTY detection intact).
    stdio: ['inherit', masking || o.stdout ? 'pipe' : 'inherit', masking || o.stderr ? 'pipe' : 'inherit'],
  });

  const signals = o.signals ?? process;
  const forward = (sig: NodeJS.Signals) => () => {
    // A terminal's Ctrl+C reaches the child too (same process group); forwarding it as well
    // matches `npm run` and covers a SIGTERM sent to tessera alone (docker stop, systemd).
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  };
  const handlers = FORWARDED_SIGNALS.map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) signals.on(s, h);

  const piped: Promise<void>[] = [];
  const pipeTo = (from: Readable | null, to: NodeJS.WritableStream) => {
    if (!from) return;
    const streams = masking ? [from, maskingStream(o.mask!), to] : [from, to];
    // `end: false`: our stdout/stderr stay open for tessera's own last words.
    piped.push(
      (pipeline as (...s: unknown[]) => Promise<void>)(...streams, { end: false }).catch(() => undefined),
    );
  };
  pipeTo(child.stdout, stdout);
  pipeTo(child.stderr, stderr);

  try {
    const status = await new Promise<number>((resolve, reject) => {
      child.once('error', (e: NodeJS.ErrnoException) => {
        const why = e.code === 'ENOENT' ? 'not found' : e.code === 'EACCES' ? 'not executable' : (e.code ?? 'error');
        reject(new TesseraError('COMMAND_FAILED', `Cannot start ${o.command}: ${why}`, { errno: e.code }));
      });
      child.once('exit', (code, signal) => {
        resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
      });
    });
    await Promise.all(piped);
    return status;
  } finally {
    for (const [s, h] of handlers) signals.off(s, h);
  }
}
