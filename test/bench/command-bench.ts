/**
 * What the command benches (bench:run, bench:token) share: timing a child process, the
 * median, and running the bench inside a private D-Bus session with a throwaway
 * gnome-keyring when no Secret Service is reachable (as `npm run test:ci` does).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

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

export async function inPrivateKeyring(bench: string): Promise<never> {
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

