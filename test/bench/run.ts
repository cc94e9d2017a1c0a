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
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOTENVX, TESSERA, forgetProfile, medians, needKeychain, tesseraIn, writeVariables } from './command-bench';

const VARS = Number(process.env.BENCH_VARS ?? 100);
const RUNS = Number(process.env.BENCH_RUNS ?? 21);

async function main(): Promise<void> {
  await needKeychain('bench:run');
  const home = await mkdtemp(join(tmpdir(), 'tessera-bench-run-'));
  const work = await mkdtemp(join(tmpdir(), 'tessera-bench-run-work-'));
  const env: NodeJS.ProcessEnv = { ...process.env, TESSERA_HOME: home };
  delete env.TESSERA_PASSPHRASE_FILE;
  try {
    const cli = tesseraIn(env);
    cli(['init', '--name', 'Bench']);
    cli(['vault', 'create', 'bench', '--envs', 'dev']);
    const dotenv = await writeVariables(work, VARS);
    cli(['import', dotenv, '--vault', 'bench', '--env', 'dev']);

    const m = await medians(
      {
        tessera: [process.execPath, [TESSERA, 'run', '--vault', 'bench', '--env', 'dev', '--', process.execPath, '-e', '0'], env],
        dotenvx: [DOTENVX, ['run', '-f', dotenv, '--quiet', '--', process.execPath, '-e', '0'], env],
        node: [process.execPath, ['-e', '0'], env],
      },
      RUNS,
      work,
    );
    console.log(`bench:run — ${VARS} variables, ${RUNS} runs each (alternating, after 3 warm-up rounds), median wall time of \`… -- node -e 0\``);
    console.log(`  node -e 0 alone                         ${m.node.toFixed(1)} ms`);
    console.log(`  dotenvx run -f .env -- node -e 0        ${m.dotenvx.toFixed(1)} ms   (baseline, @dotenvx/dotenvx)`);
    console.log(`  tessera run --vault … -- node -e 0      ${m.tessera.toFixed(1)} ms   (keychain unlock, vault open, decrypt, spawn, masking)`);
    console.log(`  ratio tessera / dotenvx: ${(m.tessera / m.dotenvx).toFixed(2)}×   (target ≤ 1.5×)`);
  } finally {
    await forgetProfile(home);
    await rm(home, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
