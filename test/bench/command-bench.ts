/**
 * What the command benches (bench:run, bench:token) share: the commands they time, timing a
 * child process, the median, a vault's worth of variables, and running the bench inside a
 * private D-Bus session with a throwaway gnome-keyring when no Secret Service is reachable
 * (as `npm run test:ci` does).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { forgetDeviceKey, keychainUnreachable } from '../helpers/keychain';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The commands a user types: the tessera CLI and dotenvx, the baseline. */
export const TESSERA = join(ROOT, 'bin', 'tessera.cjs');
export const DOTENVX = join(ROOT, 'node_modules', '.bin', 'dotenvx');

/** Runs tessera with `env`, synchronously (setup, not timed); returns its stdout. */
export function tesseraIn(env: NodeJS.ProcessEnv): (args: string[], input?: string) => string {
  return (args, input = '') => {
    const r = spawnSync(process.execPath, [TESSERA, ...args], { env, input, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tessera ${args[0]} failed: ${r.stderr}`);
    return r.stdout;
  };
}

/** Writes `count` random variables as a .env file in `dir`; returns its path. */
export async function writeVariables(dir: string, count: number): Promise<string> {
  const lines = Array.from({ length: count }, (_, i) => `VAR_${String(i).padStart(3, '0')}=${randomBytes(24).toString('base64url')}`);
  const file = join(dir, '.env');
  await writeFile(file, lines.join('\n') + '\n');
  return file;
}

/** A command to time: the program, its arguments, its environment. */
export type Side = readonly [cmd: string, args: readonly string[], env: NodeJS.ProcessEnv];

/**
 * Times each side `runs` times, alternating so that a noisy moment hits every side alike,
 * after three warm-up rounds; returns each side's median in milliseconds.
 */
export async function medians<K extends string>(sides: Record<K, Side>, runs: number, cwd: string): Promise<Record<K, number>> {
  const names = Object.keys(sides) as K[];
  const times = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < 3; i++) for (const k of names) await timed(sides[k][0], [...sides[k][1]], sides[k][2], cwd);
  for (let i = 0; i < runs; i++) for (const k of names) times[k].push(await timed(sides[k][0], [...sides[k][1]], sides[k][2], cwd));
  return Object.fromEntries(names.map((k) => [k, median(times[k])])) as Record<K, number>;
}

/** Removes the device key the bench's profile left in the keychain. */
export async function forgetProfile(home: string): Promise<void> {
  const profile = await readFile(join(home, 'profile.json'), 'utf8').then((t) => JSON.parse(t) as { profileId?: string }, () => null);
  if (profile?.profileId) await forgetDeviceKey(profile.profileId);
}

/**
 * Returns when a keychain is reachable; otherwise runs this bench again inside a private
 * keyring and exits with its status.
 */
export async function needKeychain(bench: string): Promise<void> {
  const unreachable = await keychainUnreachable();
  if (unreachable === null) return;
  if (process.env.TESSERA_BENCH_IN_KEYRING) throw new Error(`no keychain even in the private session: ${unreachable}`);
  await inPrivateKeyring(bench);
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) reject(new Error(`${cmd} exited ${code}: ${err.trim().split('\n')[0] ?? ''}`));
      else resolve(ms);
    });
  });
}

async function inPrivateKeyring(bench: string): Promise<never> {
  const data = await mkdtemp(join(tmpdir(), 'tessera-bench-keyring-'));
  const password = randomBytes(18).toString('hex');
  const script = `printf %s "$KEYRING_PW" | XDG_DATA_HOME="$KEYRING_HOME" gnome-keyring-daemon --unlock --components=secrets >/dev/null && unset KEYRING_PW && exec "$0" "$@"`;
  const r = spawnSync('dbus-run-session', ['--', 'bash', '-c', script, process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, KEYRING_PW: password, KEYRING_HOME: data, TESSERA_BENCH_IN_KEYRING: '1' },
  });
  await rm(data, { recursive: true, force: true });
  if (r.error) {
    console.error(`${bench} needs an OS keychain; starting a private one failed (${r.error.message}): install dbus and gnome-keyring`);
    process.exit(1);
  }
  process.exit(r.status ?? 1);
}

