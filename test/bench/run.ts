/**
 * bench:run — what `tessera run` adds to starting a program, against dotenvx.
 *
 * 100 variables, in a vault (tessera: unlock with the OS keychain, open the vault, decrypt,
 * expand references, spawn, mask output) and in a .env file (dotenvx: read and parse it,
 * spawn). Each side runs `node -e 0`, from the command a user types (`bin/tessera.cjs`,
 * `node_modules/.bin/dotenvx`), alternating, after warm-up runs; medians printed with their
 * ratio, and plain `node -e 0` for scale.
 *
 * The CLI needs a real keychain (a passphrase would measure scrypt, on purpose slow). With
 * no Secret Service reachable, the bench runs itself again inside a private D-Bus session
 * with a throwaway gnome-keyring, as `npm run test:ci` does.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { forgetDeviceKey, keychainUnreachable } from '../helpers/keychain';
import { inPrivateKeyring, median, timed } from './command-bench';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TESSERA = join(ROOT, 'bin', 'tessera.cjs');
const DOTENVX = join(ROOT, 'node_modules', '.bin', 'dotenvx');
const VARS = Number(process.env.BENCH_VARS ?? 100);
const RUNS = Number(process.env.BENCH_RUNS ?? 21);

async function main(): Promise<void> {
  const unreachable = await keychainUnreachable();
  if (unreachable !== null) {
    if (process.env.TESSERA_BENCH_IN_KEYRING) throw new Error(`no keychain even in the private session: ${unreachable}`);
    return inPrivateKeyring('bench:run');
  }
  const home = await mkdtemp(join(tmpdir(), 'tessera-bench-run-'));
  const work = await mkdtemp(join(tmpdir(), 'tessera-bench-run-work-'));
  const env: NodeJS.ProcessEnv = { ...process.env, TESSERA_HOME: home };
  delete env.TESSERA_PASSPHRASE_FILE;
  try {
    const cli = async (args: string[], input = '') => {
      const r = spawnSync(process.execPath, [TESSERA, ...args], { env, input, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`tessera ${args[0]} failed: ${r.stderr}`);
    };
    await cli(['init', '--name', 'Bench']);
    await cli(['vault', 'create', 'bench', '--envs', 'dev']);
    const lines = Array.from({ length: VARS }, (_, i) => `VAR_${String(i).padStart(3, '0')}=${randomBytes(24).toString('base64url')}`);
    await writeFile(join(work, '.env'), lines.join('\n') + '\n');
    await cli(['import', join(work, '.env'), '--vault', 'bench', '--env', 'dev']);

    const sides = {
      tessera: [process.execPath, [TESSERA, 'run', '--vault', 'bench', '--env', 'dev', '--', process.execPath, '-e', '0']],
      dotenvx: [DOTENVX, ['run', '-f', join(work, '.env'), '--quiet', '--', process.execPath, '-e', '0']],
      node: [process.execPath, ['-e', '0']],
    } as const;
    const times: Record<keyof typeof sides, number[]> = { tessera: [], dotenvx: [], node: [] };
    for (let i = 0; i < 3; i++) for (const [cmd, args] of Object.values(sides)) await timed(cmd, [...args], env, work);
    for (let i = 0; i < RUNS; i++) {
      for (const [name, [cmd, args]] of Object.entries(sides) as [keyof typeof sides, (typeof sides)[keyof typeof sides]][]) {
        times[name].push(await timed(cmd, [...args], env, work));
      }
    }
    const m = { tessera: median(times.tessera), dotenvx: median(times.dotenvx), node: median(times.node) };
    console.log(`bench:run — ${VARS} variables, ${RUNS} runs each (alternating, after 3 warm-up rounds), median wall time of \`… -- node -e 0\``);
    console.log(`  node -e 0 alone                         ${m.node.toFixed(1)} ms`);
    console.log(`  dotenvx run -f .env -- node -e 0        ${m.dotenvx.toFixed(1)} ms   (baseline, @dotenvx/dotenvx)`);
    console.log(`  tessera run --vault … -- node -e 0      ${m.tessera.toFixed(1)} ms   (keychain unlock, vault open, decrypt, spawn, masking)`);
    console.log(`  ratio tessera / dotenvx: ${(m.tessera / m.dotenvx).toFixed(2)}×   (target ≤ 1.5×)`);
  } finally {
    const profile = await readFile(join(home, 'profile.json'), 'utf8').then((t) => JSON.parse(t) as { profileId?: string }, () => null);
    if (profile?.profileId) await forgetDeviceKey(profile.profileId);
    await rm(home, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
