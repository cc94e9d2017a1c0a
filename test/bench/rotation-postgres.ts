/**
 * bench:rotation, PostgreSQL part: one built-in PostgreSQL rotation end to end (generate,
 * read the roles, ALTER ROLE with a SCRAM verifier, end the old password's grace, log in
 * with the new credential, save the version, end stale sessions), next to its baseline
 * measured in the same run: the bare `ALTER ROLE … PASSWORD` round trip on an open admin
 * connection. Also a vault-only rotation (a generated value saved) to show what the save
 * costs. Runs on a throwaway cluster of its own (initdb; test/helpers/pg-cluster.ts), so it
 * needs the PostgreSQL server binaries; without them it says so and skips.
 */
import pg from 'pg';
import { nullAuditSink } from '../../src-main/audit/audit-sink';
import type { Session } from '../../src-main/profile/profile';
import { setRotator } from '../../src-main/rotation/lifecycle';
import { scramVerifier } from '../../src-main/rotation/builtin/postgres-scram';
import { rotateSecret } from '../../src-main/rotation/rotate';
import { setSecret } from '../../src-main/vaults/secrets';
import { createVault } from '../../src-main/vaults/vaults';
import { PG_BIN, startPgCluster } from '../helpers/pg-cluster';

const RUNS = Number(process.env.BENCH_PG_RUNS ?? 15);

export async function benchPostgresRotation(session: Session, median: (xs: number[]) => number, ms: (x: number) => string): Promise<void> {
  if (!PG_BIN) {
    console.log('built-in PostgreSQL rotation: skipped (no PostgreSQL server binaries: install postgresql or set TESSERA_PG_BIN)');
    return;
  }
  const cluster = await startPgCluster({ logStatement: 'none' });
  try {
    await cluster.query('CREATE ROLE app_user NOLOGIN');
    await cluster.query(`CREATE ROLE app_user_1 LOGIN IN ROLE app_user PASSWORD '${scramVerifier('Initial0Password0For0Bench')}'`);
    await cluster.query('CREATE ROLE app_user_2 LOGIN IN ROLE app_user');
    await cluster.query('CREATE ROLE bench_bare LOGIN');
    const vault = await createVault(session, 'PgBench', ['production']);
    await setSecret(vault, 'PG_ADMIN', 'production', cluster.adminUrl);
    await setSecret(vault, 'DATABASE_URL', 'production', cluster.url('app_user_1', 'Initial0Password0For0Bench'));
    await setSecret(vault, 'API_TOKEN', 'production', 'tok_initial_value_for_the_bench');
    await setRotator(vault, 'DATABASE_URL', { builtin: 'postgres', admin: 'PG_ADMIN', role: 'app_user', environments: ['production'] }, nullAuditSink);

    const admin = new pg.Client({ connectionString: cluster.adminUrl });
    await admin.connect();
    const bare: number[] = [];
    const vaultOnly: number[] = [];
    const builtin: number[] = [];
    try {
      for (let r = 0; r < RUNS; r++) {
        // The verifier is computed outside the timing: the baseline is the server's round trip alone.
        const verifier = scramVerifier(`Bare0Password0${r}`);
        let t = performance.now();
        await admin.query(`ALTER ROLE bench_bare PASSWORD '${verifier}'`);
        bare.push(performance.now() - t);

        t = performance.now();
        await rotateSecret(vault, 'API_TOKEN', 'production', { generate: { format: 'base62', length: 32 } }, {}, nullAuditSink);
        vaultOnly.push(performance.now() - t);

        // No grace: the next run may reuse the other role at once.
        t = performance.now();
        await rotateSecret(vault, 'DATABASE_URL', 'production', { rotator: true }, { graceMs: 0 }, nullAuditSink);
        builtin.push(performance.now() - t);
      }
    } finally {
      await admin.end();
    }
    const b = median(bare);
    console.log(`bare ALTER ROLE … PASSWORD round trip on an open connection (baseline), median of ${RUNS}: ${ms(b)}`);
    console.log(`vault-only rotation (generated value saved), median of ${RUNS}: ${ms(median(vaultOnly))}   ratio ${(median(vaultOnly) / b).toFixed(1)}×`);
    console.log(`built-in PostgreSQL rotation end to end (generate, alter, verify by logging in, save), median of ${RUNS}: ${ms(median(builtin))}   ratio ${(median(builtin) / b).toFixed(1)}×`);
  } finally {
    await cluster.destroy();
  }
}
