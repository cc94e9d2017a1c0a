/**
 * bench:token — `tessera run` on a machine with a token, against dotenvx and a profile's run.
 *
 * 100 variables in the production environment of a vault on a local relay process. The token
 * side has no profile and no keychain: it connects, verifies the membership log from the
 * pinned genesis, fetches and checks every envelope of its scopes, decrypts in memory,
 * reports the use to the team access log, and spawns. dotenvx reads the same variables from a
 * .env file; the profile side unlocks with the keychain and opens the vault from disk. Each
 * runs `node -e 0` from the command a user types, alternating, after warm-up runs; medians.
 *
 * Making the vault needs a real keychain; with none reachable the bench runs itself again in
 * a private D-Bus session with a throwaway gnome-keyring, as `npm run test:ci` does.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRelay } from '../helpers/relay';
import { DOTENVX, TESSERA, forgetProfile, medians, needKeychain, tesseraIn, writeVariables } from './command-bench';

const VARS = Number(process.env.BENCH_VARS ?? 100);
const RUNS = Number(process.env.BENCH_RUNS ?? 21);

async function main(): Promise<void> {
  await needKeychain('bench:token');
  const home = await mkdtemp(join(tmpdir(), 'tessera-bench-token-'));
  const work = await mkdtemp(join(tmpdir(), 'tessera-bench-token-work-'));
  const relayDir = await mkdtemp(join(tmpdir(), 'tessera-bench-token-relay-'));
  const env: NodeJS.ProcessEnv = { ...process.env, TESSERA_HOME: home };
  delete env.TESSERA_PASSPHRASE_FILE;
  const relay = await startRelay(join(relayDir, 'relay.db'));
  try {
    const cli = tesseraIn(env);
    cli(['init', '--name', 'Bench']);
    cli(['vault', 'create', 'bench', '--envs', 'production', '--relay', relay.url]);
    const dotenv = await writeVariables(work, VARS);
    cli(['import', dotenv, '--vault', 'bench', '--env', 'production']);
    cli(['sync', '--vault', 'bench']);
    const token = cli(['token', 'create', '--vault', 'bench', '--env', 'production', '--name', 'bench']).trim();
    // The machine: no profile folder, no keychain to reach, the token in its environment.
    const machine: NodeJS.ProcessEnv = { ...process.env, TESSERA_TOKEN: token, TESSERA_HOME: join(work, 'no-profile') };
    delete machine.DBUS_SESSION_BUS_ADDRESS;

    const m = await medians(
      {
        token: [process.execPath, [TESSERA, 'run', '--', process.execPath, '-e', '0'], machine],
        profile: [process.execPath, [TESSERA, 'run', '--vault', 'bench', '--env', 'production', '--', process.execPath, '-e', '0'], env],
        dotenvx: [DOTENVX, ['run', '-f', dotenv, '--quiet', '--', process.execPath, '-e', '0'], env],
        node: [process.execPath, ['-e', '0'], env],
      },
      RUNS,
      work,
    );
    console.log(`bench:token — ${VARS} variables, ${RUNS} runs each (alternating, after 3 warm-up rounds), median wall time of \`… -- node -e 0\``);
    console.log(`  node -e 0 alone                               ${m.node.toFixed(1)} ms`);
    console.log(`  dotenvx run -f .env -- node -e 0              ${m.dotenvx.toFixed(1)} ms   (baseline: reads a local file)`);
    console.log(`  tessera run --vault … (a profile)             ${m.profile.toFixed(1)} ms   (keychain unlock, vault open from disk)`);
    console.log(`  TESSERA_TOKEN=… tessera run -- node -e 0      ${m.token.toFixed(1)} ms   (connect, verify the log, fetch and check every envelope, report the use)`);
    console.log(`  ratio token / dotenvx: ${(m.token / m.dotenvx).toFixed(2)}×   (target ≤ 1.5×); token / profile: ${(m.token / m.profile).toFixed(2)}×`);
  } finally {
    await relay.kill('SIGTERM');
    await forgetProfile(home);
    for (const d of [home, work, relayDir]) await rm(d, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
