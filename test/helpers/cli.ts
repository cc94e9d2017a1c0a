/**
 * Runs the bundled `tessera` CLI (built by test/global-setup.ts) the way a user does: a
 * child process with its own TESSERA_HOME, the value on stdin. Every run has a timeout, so
 * a hung command fails its test instead of stalling the suite.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forgetDeviceKey } from './keychain';

export const CLI_PATH = fileURLToPath(new URL('../../out/node/tessera.mjs', import.meta.url));

export interface CliResult {
  readonly code: number;
  /** stdout exactly as written. */
  readonly out: Buffer;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Written to stdin, which is then closed (it is always closed, so nothing waits on a prompt). */
  readonly input?: string | Buffer;
  /** Added to (or, when undefined, removed from) the child's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly timeoutMs?: number;
}

/** The child's environment: ours without any TESSERA_* setting, then TESSERA_HOME and `extra`. */
export function cliEnv(home: string, extra: RunOptions['env'] = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TESSERA_')) env[k] = v;
  env.TESSERA_HOME = home;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function runCli(home: string, args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { env: cliEnv(home, opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    // The child may exit before reading all of stdin (a usage error); that is not our failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      // The command line names keys and vaults, never values.
      reject(new Error(`tessera ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      resolve({ code: code ?? (signal ? 128 : -1), out: stdout, stdout: stdout.toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

export interface CliProfile {
  readonly home: string;
  /** What `init` printed on stdout. */
  readonly initOutput: string;
  run(args: readonly string[], opts?: RunOptions): Promise<CliResult>;
  /** Runs a command that must succeed; otherwise throws with its exit code and stderr. */
  ok(args: readonly string[], opts?: RunOptions): Promise<CliResult>;
  /** Deletes the folder and the profile's keychain entry. */
  dispose(): Promise<void>;
}

export async function makeTempDir(prefix = 'tessera-cli-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/**
 * A fresh profile in a temporary TESSERA_HOME, unlocked by the OS keychain unless
 * `initArgs`/`env` say otherwise (e.g. `--no-keychain --passphrase` with TESSERA_PASSPHRASE_FILE).
 */
export async function createCliProfile(opts: { name?: string; initArgs?: readonly string[]; env?: RunOptions['env'] } = {}): Promise<CliProfile> {
  const home = await makeTempDir();
  const run = (args: readonly string[], o: RunOptions = {}) => runCli(home, args, { ...o, env: { ...opts.env, ...o.env } });
  const ok = async (args: readonly string[], o: RunOptions = {}) => {
    const r = await run(args, o);
    if (r.code !== 0) throw new Error(`tessera ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
    return r;
  };
  const dispose = async () => {
    const profile = await readFile(join(home, 'profile.json'), 'utf8').then((t) => JSON.parse(t) as { profileId?: unknown; unlock?: { keychain?: unknown } }, () => null);
    if (typeof profile?.profileId === 'string' && profile.unlock?.keychain) await forgetDeviceKey(profile.profileId);
    await rm(home, { recursive: true, force: true });
  };
  try {
    const init = await ok(['init', '--name', opts.name ?? 'Alice', ...(opts.initArgs ?? [])]);
    return { home, initOutput: init.stdout, run, ok, dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/** Every file under `dir`, recursively. */
export async function allFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) files.push(...(await allFiles(p)));
    else files.push(p);
  }
  return files;
}

/** The one-line error the CLI prints for a TesseraError with `code`. */
export function errorLine(code: string): RegExp {
  return new RegExp(`^tessera: [^\\n]+ \\[${code}\\]\\n$`);
}

/** The 12-group fingerprint a command printed (join, device add), if any. */
export const fingerprintIn = (out: string): string | undefined => /(\d{5}(?: \d{5}){11})/.exec(out)?.[1];
