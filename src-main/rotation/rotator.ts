/**
 * Runs a rotator: a command that obtains a new value (usually by calling the provider's
 * API) and prints it on stdout. It runs as argv, never through a shell, so nothing in a
 * secret's name or the configuration is interpreted; in its own process group, so a
 * timeout kills whatever it started too. Its stderr is captured for the user to read; its
 * stdout is the value. Any failure (cannot start, non-zero exit, timeout, nothing printed,
 * not UTF-8, too large) throws before anything is saved.
 *
 * The child learns which secret to rotate from TESSERA_VAULT, TESSERA_SECRET and
 * TESSERA_ENVIRONMENT; it never receives a value, and Tessera's own settings (TESSERA_*,
 * such as a passphrase file) are not passed on.
 */
import { spawn } from 'node:child_process';
import type { CommandRotatorConfig } from '../../src-shared/vault/types';
import { TesseraError } from '../../src-shared/errors';

export const DEFAULT_ROTATOR_TIMEOUT_SECONDS = 60;
export const MAX_ROTATOR_TIMEOUT_SECONDS = 600;
/** A value larger than this is not a key; the API bounds values alike. */
const MAX_STDOUT = 256 * 1024;
/** What is kept of stderr to show (the tail matters most: it holds the error). */
const MAX_STDERR = 64 * 1024;

export interface RotatorTarget {
  readonly vault: string;
  readonly secret: string;
  readonly environment: string;
}

export interface RotatorResult {
  readonly value: string;
  /** What the rotator wrote on stderr, to show the user (it may say what it did at the provider). */
  readonly stderr: string;
}

function childEnv(base: NodeJS.ProcessEnv, target: RotatorTarget): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (!k.startsWith('TESSERA_')) env[k] = v;
  env.TESSERA_VAULT = target.vault;
  env.TESSERA_SECRET = target.secret;
  env.TESSERA_ENVIRONMENT = target.environment;
  return env;
}

export function rotatorTimeoutMs(config: CommandRotatorConfig): number {
  const s = config.timeoutSeconds ?? DEFAULT_ROTATOR_TIMEOUT_SECONDS;
  return Math.min(Math.max(s, 1), MAX_ROTATOR_TIMEOUT_SECONDS) * 1000;
}

export function runRotator(
  config: CommandRotatorConfig,
  target: RotatorTarget,
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<RotatorResult> {
  const [file, ...args] = config.command;
  if (!file) return Promise.reject(new TesseraError('ROTATOR_FAILED', 'The rotator has no command'));
  const timeoutMs = opts.timeoutMs ?? rotatorTimeoutMs(config);
  const program = file.split(/[\\/]/).pop();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      shell: false,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: childEnv(opts.env ?? process.env, target),
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      // Its own process group (POSIX), so the timeout can kill what it spawned as well.
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = Buffer.alloc(0);
    let settled = false;

    const stderrText = () => err.toString('utf8');
    const kill = () => {
      try {
        if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const fail = (e: TesseraError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      kill();
      child.stdout?.destroy();
      child.stderr?.destroy();
      reject(e);
    };

    const timer = setTimeout(() => {
      fail(new TesseraError('ROTATOR_TIMEOUT', `The rotator (${program}) did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped; nothing was saved`, { stderr: stderrText() }));
    }, timeoutMs);

    child.stdout!.on('data', (d: Buffer) => {
      outBytes += d.length;
      if (outBytes > MAX_STDOUT) {
        fail(new TesseraError('ROTATOR_FAILED', `The rotator (${program}) printed more than ${MAX_STDOUT / 1024} KiB; nothing was saved`, { stderr: stderrText() }));
        return;
      }
      out.push(d);
    });
    child.stderr!.on('data', (d: Buffer) => {
      err = Buffer.concat([err, d]);
      if (err.length > MAX_STDERR) err = err.subarray(err.length - MAX_STDERR);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      fail(new TesseraError('ROTATOR_FAILED', `Could not start the rotator ${program} (${e.code ?? e.message}); nothing was saved`, { stderr: stderrText() }));
    });
    child.on('close', (code, signal) => {
      if (settled) return;
      if (code !== 0) {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        return fail(new TesseraError('ROTATOR_FAILED', `The rotator (${program}) ${how}; nothing was saved`, { stderr: stderrText(), exitCode: code }));
      }
      let value: string;
      try {
        value = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(out));
      } catch {
        return fail(new TesseraError('ROTATOR_FAILED', `The rotator (${program}) printed bytes that are not UTF-8 text; nothing was saved`, { stderr: stderrText() }));
      }
      // Like `echo`: one trailing newline is the end of the line, not part of the value.
      value = value.endsWith('\r\n') ? value.slice(0, -2) : value.endsWith('\n') ? value.slice(0, -1) : value;
      if (value.trim() === '') {
        return fail(new TesseraError('ROTATOR_FAILED', `The rotator (${program}) printed no value; nothing was saved`, { stderr: stderrText() }));
      }
      settled = true;
      clearTimeout(timer);
      resolve({ value, stderr: stderrText() });
    });
  });
}
