/**
 * The built-in PostgreSQL rotator through the CLI, against a real server of the test's own
 * (test/helpers/pg-cluster.ts) logging every statement: the dual-role strategy with a
 * client on the old credential, a bare password, failures that leave the database and the
 * vault as they were, and the server log never holding a password.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { scramVerifier } from '../../src-main/rotation/builtin/postgres-scram';
import { createCliProfile, errorLine, type CliProfile, type CliResult, type RunOptions } from '../helpers/cli';
import { requireKeychain } from '../helpers/keychain';
import { PG_BIN, startPgCluster, type PgCluster } from '../helpers/pg-cluster';

const describePg = PG_BIN ? describe : describe.skip;

let cluster: PgCluster;
let shared: Promise<CliProfile> | undefined;
/** Every credential a secret held or the test made: none may appear in CLI output or the server log. */
const secrets = new Set<string>();

beforeAll(async () => {
  if (!PG_BIN) return;
  cluster = await startPgCluster({ logStatement: 'all' });
  await cluster.query('CREATE DATABASE app');
  await cluster.query('CREATE DATABASE locked');
  // Nobody but the superuser may connect to it: a credential for it never verifies.
  await cluster.query('REVOKE CONNECT ON DATABASE locked FROM PUBLIC');
  secrets.add(new URL(cluster.adminUrl).password);
}, 120_000);

afterAll(async () => {
  await (await shared?.catch(() => undefined))?.dispose();
  await cluster?.destroy();
});

async function profile(ctx: TestContext): Promise<CliProfile> {
  await requireKeychain(ctx);
  shared ??= (async () => {
    const p = await createCliProfile();
    await p.ok(['vault', 'create', 'Db', '--envs', 'staging,production']);
    await p.ok(['set', 'PG_ADMIN', '--vault', 'Db', '--env', 'production'], { input: cluster.adminUrl });
    return p;
  })();
  return shared;
}

async function tessera(p: CliProfile, args: readonly string[], opts?: RunOptions): Promise<CliResult> {
  const r = await p.run(args, opts);
  if (args[0] !== 'get') for (const s of secrets) expect(r.stdout + r.stderr, `a credential in the output of tessera ${args.join(' ')}`).not.toContain(s);
  return r;
}

async function ok(p: CliProfile, args: readonly string[], opts?: RunOptions): Promise<CliResult> {
  const r = await tessera(p, args, opts);
  expect(r.code, `tessera ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

async function fails(p: CliProfile, args: readonly string[], code: string): Promise<CliResult> {
  const r = await tessera(p, args);
  expect([r.code, r.stderr], `tessera ${args.join(' ')}`).toEqual([1, expect.stringMatching(errorLine(code))]);
  return r;
}

async function get(p: CliProfile, key: string): Promise<string> {
  const v = (await ok(p, ['get', key, '--vault', 'Db', '--env', 'production'])).stdout;
  secrets.add(v);
  secrets.add(v.startsWith('postgres://') ? decodeURIComponent(new URL(v).password) : v);
  return v;
}

/** A group role with its two login roles; the first gets `password` (set by verifier, so the log stays clean). */
async function makeRoles(): Promise<{ group: string; password: string }> {
  const group = `app_user_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(18).toString('base64url');
  secrets.add(password);
  await cluster.query(`CREATE ROLE ${group} NOLOGIN`);
  await cluster.query(`CREATE ROLE ${group}_1 LOGIN IN ROLE ${group} PASSWORD '${scramVerifier(password)}'`);
  await cluster.query(`CREATE ROLE ${group}_2 LOGIN IN ROLE ${group}`);
  return { group, password };
}

/** Connects with a credential; resolves to the client, or rejects with the server's error. */
async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

async function logsIn(url: string): Promise<boolean> {
  try {
    await (await connect(url)).end();
    return true;
  } catch (e) {
    if ((e as { code?: string }).code !== '28P01') throw e;
    return false;
  }
}

/**
 * What the database holds for the roles: verifiers, expiries and group memberships, to
 * compare before and after. No expiry reads alike whether stored as NULL or 'infinity'
 * (ALTER ROLE can write back only the second).
 */
async function roleState(group: string): Promise<unknown> {
  return (await cluster.query(
    `SELECT rolname, rolpassword, rolcanlogin, coalesce(rolvaliduntil, 'infinity')::text AS valid_until,
            array(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = a.oid ORDER BY 1) AS member_of
       FROM pg_authid a WHERE rolname IN ($1, $2, $3) ORDER BY rolname`,
    [group, `${group}_1`, `${group}_2`],
  )).rows;
}

async function history(p: CliProfile, key: string, vault = 'Db'): Promise<{ version: number; note: string; standing: string }[]> {
  return JSON.parse((await ok(p, ['history', key, '--vault', vault, '--env', 'production', '--json'])).stdout);
}

async function getIn(p: CliProfile, vault: string, key: string): Promise<string> {
  const v = (await ok(p, ['get', key, '--vault', vault, '--env', 'production'])).stdout;
  secrets.add(v);
  return v;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describePg('tessera rotator set --builtin postgres', () => {
  it('rotates twice: a client on the old credential keeps working until the grace ends, then is refused', async (ctx) => {
    const p = await profile(ctx);
    const { group, password } = await makeRoles();
    const first = cluster.url(`${group}_1`, password, 'app');
    await ok(p, ['set', 'DATABASE_URL', '--vault', 'Db', '--env', 'production'], { input: first });
    const set = await ok(p, ['rotator', 'set', 'DATABASE_URL', '--vault', 'Db', '--env', 'production', '--builtin', 'postgres', '--admin', 'PG_ADMIN', '--role', group]);
    expect(set.stderr).toContain(`built-in postgres, role ${group}`);

    const app = await connect(first);
    const rotated = await ok(p, ['rotate', 'DATABASE_URL', '--vault', 'Db', '--env', 'production', '--rotator', '--grace', '4s']);
    const rotatedAt = Date.now();
    expect(rotated.stderr).toContain(`version 2 (${group}_2 at the provider`);
    expect(rotated.stderr).toMatch(/Version 1 stays valid until/);
    const second = await get(p, 'DATABASE_URL');
    expect(new URL(second).username).toBe(`${group}_2`);
    expect(second).toMatch(/^postgres:\/\/app_user_[0-9a-f]+_2:[A-Za-z0-9]{32}@localhost:\d+\/app\?host=/);
    expect(await logsIn(second)).toBe(true);
    // Within the grace: the running client and new logins on the old credential both work.
    expect((await app.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(await logsIn(first)).toBe(true);

    // Rotating again now would take the old credential's role away from the client on it.
    const early = await fails(p, ['rotate', 'DATABASE_URL', '--vault', 'Db', '--env', 'production', '--rotator', '--grace', '4s'], 'GRACE_NOT_OVER');
    expect(early.stderr).toContain(`${group}_1's previous password stays valid until`);
    expect(await get(p, 'DATABASE_URL')).toBe(second);

    await sleep(Math.max(0, rotatedAt + 4500 - Date.now()));
    expect(await logsIn(first)).toBe(false); // VALID UNTIL passed: new logins refused
    expect(await logsIn(second)).toBe(true);

    await ok(p, ['rotate', 'DATABASE_URL', '--vault', 'Db', '--env', 'production', '--rotator', '--grace', '4s']);
    const secondRotatedAt = Date.now();
    const third = await get(p, 'DATABASE_URL');
    expect(new URL(third).username).toBe(`${group}_1`);
    expect(await logsIn(third)).toBe(true);
    expect(await logsIn(first)).toBe(false);
    expect(await logsIn(second)).toBe(true); // now in its own grace
    // The session opened with the first password, whose grace ended, is ended by the rotation that reuses its role.
    await expect(app.query('SELECT 1')).rejects.toThrow();
    await app.end().catch(() => undefined);

    await sleep(Math.max(0, secondRotatedAt + 4500 - Date.now()));
    expect(await logsIn(second)).toBe(false);
    expect(await logsIn(third)).toBe(true);
    expect((await history(p, 'DATABASE_URL')).map((v) => [v.version, v.note, v.standing.replace(/\d.*/, 'DATE')])).toEqual([
      [1, '', 'revoked'],
      [2, `rotated by the postgres rotator: ${group}_2`, 'revoked'],
      [3, `rotated by the postgres rotator: ${group}_1`, 'current'],
    ]);
  });

  it('rotates a bare password, finding which login role it belongs to', async (ctx) => {
    const p = await profile(ctx);
    const { group, password } = await makeRoles();
    await ok(p, ['set', 'DB_PASSWORD', '--vault', 'Db', '--env', 'production'], { input: password });
    await ok(p, ['rotator', 'set', 'DB_PASSWORD', '--vault', 'Db', '--env', 'production', '--builtin', 'postgres', '--admin', 'PG_ADMIN', '--role', group, '--grace', '0s']);
    await ok(p, ['rotate', 'DB_PASSWORD', '--vault', 'Db', '--env', 'production', '--rotator']);
    const next = await get(p, 'DB_PASSWORD');
    expect(next).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(await logsIn(cluster.url(`${group}_2`, next, 'app'))).toBe(true);
    // --grace 0s: the replaced password stops at once.
    expect(await logsIn(cluster.url(`${group}_1`, password, 'app'))).toBe(false);
  });

  it('changes nothing, with a clear code, when the admin credential is wrong, the server is down or a role is missing', async (ctx) => {
    const p = await profile(ctx);
    const { group, password } = await makeRoles();
    const url = cluster.url(`${group}_1`, password, 'app');
    await ok(p, ['set', 'APP_DB', '--vault', 'Db', '--env', 'production'], { input: url });
    const wrongAdmin = cluster.url('tessera_admin', 'not-the-password');
    secrets.add('not-the-password');
    await ok(p, ['set', 'WRONG_ADMIN', '--vault', 'Db', '--env', 'production'], { input: wrongAdmin });
    const before = await roleState(group);
    const unchanged = async () => {
      expect(await roleState(group)).toEqual(before);
      expect(await get(p, 'APP_DB')).toBe(url);
      expect((await history(p, 'APP_DB')).length).toBe(1);
    };
    const rotate = ['rotate', 'APP_DB', '--vault', 'Db', '--env', 'production', '--rotator'];
    const builtin = (admin: string, role: string, ...more: string[]) => ['rotator', 'set', 'APP_DB', '--vault', 'Db', '--env', 'production', '--builtin', 'postgres', '--admin', admin, '--role', role, ...more];

    // Checked when it is set…
    await fails(p, builtin('WRONG_ADMIN', group), 'ADMIN_CREDENTIAL_REFUSED');
    const missing = await fails(p, builtin('PG_ADMIN', `${group}_gone`), 'ROLE_MISSING');
    expect(missing.stderr).toContain(`no role ${group}_gone`);
    // …and when it runs (set with --no-check, or the database changed since).
    await ok(p, builtin('WRONG_ADMIN', group, '--no-check'));
    await fails(p, rotate, 'ADMIN_CREDENTIAL_REFUSED');
    await unchanged();

    await ok(p, builtin('PG_ADMIN', `${group}_gone`, '--no-check'));
    await fails(p, rotate, 'ROLE_MISSING');
    await unchanged();
    await ok(p, builtin('PG_ADMIN', group));
    await cluster.query(`REVOKE ${group} FROM ${group}_2`);
    const outside = await fails(p, rotate, 'ROLE_MISSING');
    expect(outside.stderr).toContain(`${group}_2 is not a member of ${group}`);
    await cluster.query(`GRANT ${group} TO ${group}_2`);
    await unchanged();

    await cluster.stop();
    try {
      await fails(p, rotate, 'PROVIDER_UNREACHABLE');
    } finally {
      await cluster.start();
    }
    await unchanged();
  }, 60_000);

  it('rotates with an admin that is not a superuser (CREATEROLE)', async (ctx) => {
    const p = await profile(ctx);
    const { group, password } = await makeRoles();
    const adminPassword = randomBytes(18).toString('base64url');
    secrets.add(adminPassword);
    const admin = `rot_admin_${randomBytes(4).toString('hex')}`;
    await cluster.query(`CREATE ROLE ${admin} LOGIN CREATEROLE PASSWORD '${scramVerifier(adminPassword)}'`);
    await cluster.query(`GRANT pg_signal_backend TO ${admin}`);
    await ok(p, ['set', 'LIMITED_ADMIN', '--vault', 'Db', '--env', 'production'], { input: cluster.url(admin, adminPassword) });
    await ok(p, ['set', 'LIMITED_DB', '--vault', 'Db', '--env', 'production'], { input: cluster.url(`${group}_1`, password, 'app') });
    await ok(p, ['rotator', 'set', 'LIMITED_DB', '--vault', 'Db', '--env', 'production', '--builtin', 'postgres', '--admin', 'LIMITED_ADMIN', '--role', group]);
    const r = await ok(p, ['rotate', 'LIMITED_DB', '--vault', 'Db', '--env', 'production', '--rotator']);
    expect(r.stderr).not.toContain('warning:');
    const next = await get(p, 'LIMITED_DB');
    expect(new URL(next).username).toBe(`${group}_2`);
    expect(await logsIn(next)).toBe(true);
  });

  it('puts both roles back when the new credential does not log in', async (ctx) => {
    const p = await profile(ctx);
    const { group, password } = await makeRoles();
    // The secret points at a database its roles may not connect to: no new credential verifies there.
    const url = cluster.url(`${group}_1`, password, 'locked');
    await ok(p, ['set', 'LOCKED_DB', '--vault', 'Db', '--env', 'production'], { input: url });
    await ok(p, ['rotator', 'set', 'LOCKED_DB', '--vault', 'Db', '--env', 'production', '--builtin', 'postgres', '--admin', 'PG_ADMIN', '--role', group]);
    const before = await roleState(group);
    const r = await fails(p, ['rotate', 'LOCKED_DB', '--vault', 'Db', '--env', 'production', '--rotator'], 'NEW_CREDENTIAL_FAILED');
    expect(r.stderr).toContain('the database was put back as it was');
    expect(await roleState(group)).toEqual(before);
    expect(await get(p, 'LOCKED_DB')).toBe(url);
  });

  it('refuses a built-in rotator in an environment it was not set for, and one whose admin secret is missing', async (ctx) => {
    const p = await profile(ctx);
    const { group, password } = await makeRoles();
    await ok(p, ['set', 'STAGING_DB', '--vault', 'Db', '--env', 'staging'], { input: cluster.url(`${group}_1`, password) });
    await fails(p, ['rotator', 'set', 'STAGING_DB', '--vault', 'Db', '--env', 'staging', '--builtin', 'postgres', '--admin', 'NO_SUCH_ADMIN', '--role', group], 'NOT_FOUND');
    // PG_ADMIN has no value in staging.
    await fails(p, ['rotator', 'set', 'STAGING_DB', '--vault', 'Db', '--env', 'staging', '--builtin', 'postgres', '--admin', 'PG_ADMIN', '--role', group], 'NOT_FOUND');
    await ok(p, ['rotator', 'set', 'STAGING_DB', '--vault', 'Db', '--env', 'production', '--builtin', 'postgres', '--admin', 'PG_ADMIN', '--role', group, '--no-check']);
    await fails(p, ['rotate', 'STAGING_DB', '--vault', 'Db', '--env', 'staging', '--rotator'], 'INVALID_INPUT');
    await fails(p, ['rotator', 'set', 'STAGING_DB', '--vault', 'Db', '--env', 'production', '--builtin', 'mysql', '--admin', 'PG_ADMIN', '--role', group], 'INVALID_INPUT');
  });

  it('rotate --due rotates a due built-in and a due command rotator, reports a failing one (shown in Health), and leaves one not due', async (ctx) => {
    const p = await profile(ctx);
    const { group, password } = await makeRoles();
    const v = ['--vault', 'Due'];
    const prod = [...v, '--env', 'production'];
    await ok(p, ['vault', 'create', 'Due', '--envs', 'production']);
    await ok(p, ['set', 'PG_ADMIN', ...prod], { input: cluster.adminUrl });
    const longAgo = new Date(Date.now() - 60 * 86_400_000).toISOString().slice(0, 10);
    const node = (script: string) => ['--', process.execPath, '-e', script];

    await ok(p, ['set', 'DUE_DB', ...prod], { input: cluster.url(`${group}_1`, password, 'app') });
    await ok(p, ['rotator', 'set', 'DUE_DB', ...prod, '--builtin', 'postgres', '--admin', 'PG_ADMIN', '--role', group]);
    for (const [name, script] of [
      ['DUE_TOKEN', 'console.log("tok_" + require("crypto").randomBytes(16).toString("hex"))'],
      ['FAILING', 'console.error("the provider said no"); process.exit(3)'],
      ['NOT_DUE', 'console.log("tok_" + require("crypto").randomBytes(16).toString("hex"))'],
    ] as const) {
      await ok(p, ['set', name, ...prod], { input: `first_${name}_${randomBytes(8).toString('hex')}` });
      await ok(p, ['rotator', name, ...v, ...node(script)]);
      // Approved once, interactively as it were (a schedule has nobody to ask); FAILING fails already.
      await tessera(p, ['rotate', name, ...prod, '--rotator', '--trust-rotator']);
    }
    for (const name of ['DUE_DB', 'DUE_TOKEN', 'FAILING']) await ok(p, ['policy', name, ...v, '--every', '30d', '--rotated-at', longAgo]);
    await ok(p, ['policy', 'NOT_DUE', ...v, '--every', '30d']);
    const notDueBefore = await history(p, 'NOT_DUE', 'Due');

    const due = await tessera(p, ['rotate', '--due', ...v, '--json']);
    expect([due.code, due.stderr]).toEqual([1, expect.stringMatching(errorLine('ROTATION_FAILED'))]);
    const results = (JSON.parse(due.stdout) as { secret: string }[]).sort((a, b) => a.secret.localeCompare(b.secret));
    expect(results).toEqual([
      { vault: 'Due', secret: 'DUE_DB', environment: 'production', state: 'overdue', rotator: 'postgres', result: 'rotated', version: 2, account: `${group}_2` },
      { vault: 'Due', secret: 'DUE_TOKEN', environment: 'production', state: 'overdue', rotator: 'command', result: 'rotated', version: 3 },
      { vault: 'Due', secret: 'FAILING', environment: 'production', state: 'overdue', rotator: 'command', result: 'failed', code: 'ROTATOR_FAILED', message: expect.stringContaining('exited with code 3') },
    ]);
    expect(await logsIn(await getIn(p, 'Due', 'DUE_DB'))).toBe(true);
    expect(await getIn(p, 'Due', 'DUE_TOKEN')).toMatch(/^tok_[0-9a-f]{32}$/);
    expect(await history(p, 'NOT_DUE', 'Due')).toEqual(notDueBefore);
    expect(notDueBefore.length).toBe(2);

    const health = await tessera(p, ['health', ...v, '--json']);
    const findings = JSON.parse(health.stdout) as { kind: string; secret: string; environment?: string; message: string }[];
    expect(findings.filter((f) => f.kind === 'rotation-failed')).toEqual([
      expect.objectContaining({ secret: 'FAILING', environment: 'production', message: expect.stringMatching(/failed \[ROTATOR_FAILED\]: The rotator \(.*\) exited with code 3/) }),
    ]);
    // The rotated ones are no longer due; the failed one still is.
    expect(findings.filter((f) => f.kind === 'rotation-overdue').map((f) => f.secret)).toEqual(['FAILING']);

    // Nothing due any more but the failing one: a second run rotates nothing else.
    const again = await tessera(p, ['rotate', '--due', ...v]);
    expect(again.stdout).toMatch(/^failed {3}Due\/FAILING \(production, overdue\): .*\[ROTATOR_FAILED\]\n$/);
  }, 60_000);

  it("never shows the new password in pg_stat_activity while it rotates", async (ctx) => {
    const p = await profile(ctx);
    const { group, password } = await makeRoles();
    await ok(p, ['set', 'WATCHED_DB', '--vault', 'Db', '--env', 'production'], { input: cluster.url(`${group}_1`, password, 'app') });
    await ok(p, ['rotator', 'set', 'WATCHED_DB', '--vault', 'Db', '--env', 'production', '--builtin', 'postgres', '--admin', 'PG_ADMIN', '--role', group]);
    // Another session reads every backend's statement text as fast as it can while the rotation runs.
    const watcher = await connect(cluster.adminUrl);
    const seen: string[] = [];
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const r = await watcher.query<{ query: string }>("SELECT query FROM pg_stat_activity WHERE application_name = 'tessera' AND pid <> pg_backend_pid()");
        seen.push(...r.rows.map((x) => x.query));
      }
    })();
    try {
      await ok(p, ['rotate', 'WATCHED_DB', '--vault', 'Db', '--env', 'production', '--rotator']);
    } finally {
      watching = false;
      await watch;
      await watcher.end();
    }
    const next = decodeURIComponent(new URL(await get(p, 'WATCHED_DB')).password);
    expect(seen.length, "the watcher saw the rotator's sessions").toBeGreaterThan(0);
    for (const q of seen) expect(q.includes(next), 'the password in pg_stat_activity').toBe(false);
  });

  // Last: by now the server has logged every statement of the tests above.
  it("never lets a password reach the server's log at log_statement = 'all'", async () => {
    const log = await cluster.log();
    // The log does hold the rotator's statements, with verifiers in place of passwords…
    expect(log).toMatch(/statement: ALTER ROLE "app_user_[0-9a-f]+_2" PASSWORD 'SCRAM-SHA-256\$4096:/);
    expect(secrets.size).toBeGreaterThan(6);
    // …and no credential any secret held, nor the admin's password.
    for (const s of secrets) expect(log.includes(s), 'a credential in the server log').toBe(false);
  });
});
