/**
 * bench:rotation — what rotation states and the health report cost on a big vault.
 *
 * A vault of 10,000 secrets × 3 environments × 2 versions, a default interval per
 * environment and an expiry on one secret in ten. Measured warm (the vault open), medians:
 *   - the secrets list with its rotation column, against the same list without it
 *     (listSecrets: the baseline, measured in the same run);
 *   - the health report over the vault (open already, as in the app), against reading
 *     every current value once (exportEntries per environment), which any report that
 *     judges values must do;
 *   - one built-in PostgreSQL rotation end to end against the bare ALTER ROLE round trip
 *     (rotation-postgres.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nullAuditSink } from '../../src-main/audit/audit-sink';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { healthReport } from '../../src-main/health/report';
import { createMemoryKeychain } from '../../src-main/keychain/memory-keychain';
import { createProfile } from '../../src-main/profile/profile';
import { setDefaultPolicy } from '../../src-main/rotation/lifecycle';
import { localClock, rotationStates } from '../../src-main/rotation/state';
import { exportEntries, importEntries, listSecrets } from '../../src-main/vaults/secrets';
import { createVault } from '../../src-main/vaults/vaults';
import { RotationClock } from '../../src-shared/rotation/schedule';
import { benchPostgresRotation } from './rotation-postgres';

const SECRETS = Number(process.env.BENCH_SECRETS ?? 10_000);
const ENVS = ['development', 'staging', 'production'];
const RUNS = Number(process.env.BENCH_RUNS ?? 9);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(1)} ms`;

async function main(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'tessera-bench-rotation-'));
  try {
    console.log(`bench:rotation — ${SECRETS} secrets × ${ENVS.length} environments × 2 versions; crypto: ${nodeSuite.name}`);
    const session = await createProfile(nodeSuite, home, { name: 'Bench', keychain: createMemoryKeychain() });
    const vault = await createVault(session, 'Bench', ENVS);
    for (let v = 1; v <= 2; v++) {
      for (const env of ENVS) {
        await importEntries(vault, env, Array.from({ length: SECRETS }, (_, i) => ({
          key: `SERVICE_${i}_API_KEY`,
          value: `${env.slice(0, 4)}_v${v}_${Buffer.from(nodeSuite.randomBytes(18)).toString('base64url')}`,
        })));
      }
    }
    await setDefaultPolicy(vault, 'production', 90, nullAuditSink);
    await setDefaultPolicy(vault, null, 180, nullAuditSink);
    const expiry = Date.now() + 10 * 86_400_000;
    await vault.edit((author) => {
      for (const s of vault.meta.secrets()) if (s.name.endsWith('0_API_KEY')) vault.meta.updateSecret(s.id, { rotation: { expiresAt: expiry } }, author);
    });
    await vault.readableEnvironments();

    const plain: number[] = [];
    const withState: number[] = [];
    const statesOnly: number[] = [];
    const health: number[] = [];
    const quiet: number[] = [];
    const readAll: number[] = [];
    let checksum = 0;
    let findings = 0;
    for (let r = 0; r < RUNS; r++) {
      let t = performance.now();
      checksum += (await listSecrets(vault)).length;
      plain.push(performance.now() - t);

      t = performance.now();
      const listed = await listSecrets(vault);
      const states = await rotationStates(vault, listed, localClock());
      withState.push(performance.now() - t);
      checksum += states.size;

      // A fresh clock each run, in a zone with DST, so no date is memoized from a previous run.
      const secrets = vault.meta.secrets();
      t = performance.now();
      checksum += (await rotationStates(vault, secrets, new RotationClock(Date.now() + r, 'America/New_York'))).size;
      statesOnly.push(performance.now() - t);

      t = performance.now();
      for (const env of ENVS) checksum += (await exportEntries(vault, env)).length;
      readAll.push(performance.now() - t);

      t = performance.now();
      findings = (await healthReport(session, { vault: 'Bench', vaults: [vault], now: Date.now() + 200 * 86_400_000, timeZone: 'Europe/Berlin', lastAccess: () => Date.now() })).length;
      health.push(performance.now() - t);

      // The usual day: nothing due, everything read lately.
      t = performance.now();
      checksum += (await healthReport(session, { vault: 'Bench', vaults: [vault], now: Date.now(), timeZone: 'Europe/Berlin', lastAccess: () => Date.now() })).length + 1;
      quiet.push(performance.now() - t);
    }
    if (checksum === 0) throw new Error('nothing listed');
    const p = median(plain);
    const w = median(withState);
    const h = median(health);
    const a = median(readAll);
    console.log(`list without rotation column (baseline), median of ${RUNS}: ${ms(p)}`);
    console.log(`list with rotation column, median of ${RUNS}: ${ms(w)}   ratio ${(w / p).toFixed(2)}×`);
    console.log(`rotation states alone (${SECRETS} secrets, ${SECRETS * ENVS.length} schedules, fresh clock): ${ms(median(statesOnly))}   (${((median(statesOnly) * 1000) / SECRETS).toFixed(2)} µs a secret)`);
    console.log(`read every current value once (baseline), median of ${RUNS}: ${ms(a)}`);
    console.log(`health report (${findings} findings: every secret overdue), median of ${RUNS}: ${ms(h)}   ratio ${(h / a).toFixed(2)}×`);
    console.log(`health report (nothing due, all read lately), median of ${RUNS}: ${ms(median(quiet))}   ratio ${(median(quiet) / a).toFixed(2)}×`);
    await benchPostgresRotation(session, median, ms);
    session.lock();
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
