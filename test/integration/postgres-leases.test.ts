/**
 * Short-lived database credentials (`tessera run --lease`, `tessera lease list/revoke`)
 * against a real PostgreSQL of the test's own, logging every statement: the program gets a
 * login of its own in the template group, dropped when it ends; when tessera is killed with
 * SIGKILL the database refuses it after its time by itself; each step is audited; no
 * password reaches the disk or the server log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { CLI_PATH, cliEnv, createCliProfile, makeTempDir, type CliProfile } from '../helpers/cli';
import { requireKeychain } from '../helpers/keychain';
import { PG_BIN, startPgCluster, type PgCluster } from '../helpers/pg-cluster';

const describePg = PG_BIN ? describe : describe.skip;

let cluster: PgCluster;
let shared: Promise<CliProfile> | undefined;
let dir: string;
const passwords = new Set<string>();
const group = `readonly_${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  if (!PG_BIN) return;
  dir = await makeTempDir('tessera-lease-');
  cluster = await startPgCluster({ logStatement: 'all' });
  await cluster.query('CREATE DATABASE app');
  await cluster.query(`CREATE ROLE ${group} NOLOGIN`);
  await cluster.query('CREATE TABLE orders (id int)', [], 'app');
  await cluster.query('INSERT INTO orders VALUES (1), (2)', [], 'app');
  await cluster.query(`GRANT SELECT ON orders TO ${group}`, [], 'app');
  passwords.add(new URL(cluster.adminUrl).password);
}, 120_000);

afterAll(async () => {
  await (await shared?.catch(() => undefined))?.dispose();
  await cluster?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function profile(ctx: TestContext): Promise<CliProfile> {
  await requireKeychain(ctx);
  shared ??= (async () => {
    const p = await createCliProfile();
    await p.ok(['vault', 'create', 'Leases', '--envs', 'production']);
    // The admin URL names the application's database: leases log in to the same one.
    await p.ok(['set', 'PG_ADMIN', '--vault', 'Leases', '--env', 'production'], { input: cluster.adminUrl.replace('/postgres?', '/app?') });
    return p;
  })();
  return shared;
}

const leaseRun = (ttl: string, script: string) => ['run', '--vault', 'Leases', '--env', 'production', '--lease', `DATABASE_URL=postgres:${group}`, '--lease-admin', 'PG_ADMIN', '--ttl', ttl, '--', process.execPath, '-e', script];

/** A script that writes the URL it was given to `file` and then waits to be killed. */
const holdScript = (file: string) => `require("fs").writeFileSync(${JSON.stringify(file)}, process.env.DATABASE_URL); setInterval(() => {}, 1000)`;

/** Starts tessera in a process group of its own (so its program dies with it), resolving once the program wrote its URL. */
async function startHolding(p: CliProfile, ttl: string): Promise<{ child: ChildProcess; url: string; kill: () => void }> {
  const file = join(dir, `url-${randomBytes(4).toString('hex')}`);
  const child = spawn(process.execPath, [CLI_PATH, ...leaseRun(ttl, holdScript(file))], { env: cliEnv(p.home), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const url = await readFile(file, 'utf8').catch(() => '');
    if (url !== '') {
      passwords.add(decodeURIComponent(new URL(url).password));
      return { child, url, kill: () => process.kill(-child.pid!, 'SIGKILL') };
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the leased program did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function logsIn(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.end();
    return true;
  } catch (e) {
    if (!['28P01', '28000'].includes((e as { code?: string }).code ?? '')) throw e;
    return false;
  }
}

async function leaseRoles(): Promise<string[]> {
  return (await cluster.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname LIKE 'tessera_lease_%' ORDER BY 1")).rows.map((r) => r.rolname);
}

/** The detail of the audit event `action` about lease `role`. */
async function audited(p: CliProfile, action: string, role: string): Promise<Record<string, unknown> | undefined> {
  const events = JSON.parse((await p.ok(['audit', '--action', action, '--json'])).stdout) as { detail: Record<string, unknown> }[];
  const about = events.filter((e) => e.detail.role === role);
  expect(about.length, `${action} events about ${role}`).toBe(1);
  return about[0]?.detail;
}

async function leasesFile(p: CliProfile): Promise<string> {
  return readFile(join(p.home, 'leases.json'), 'utf8').catch(() => '');
}

describePg('tessera run --lease', () => {
  it('gives the program a login of its own in the template group, and drops it when the program ends', async (ctx) => {
    const p = await profile(ctx);
    const script = `const pg = require("pg"); const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
      c.connect().then(() => c.query("SELECT session_user AS s, current_user AS u, (SELECT count(*) FROM orders)::int AS n"))
        .then((r) => { console.log(JSON.stringify(r.rows[0])); console.log(process.env.DATABASE_URL); return c.end(); })`;
    const r = await p.ok(leaseRun('1h', script));
    const [row, shown] = r.stdout.trim().split('\n');
    const seen = JSON.parse(row!) as { s: string; u: string; n: number };
    expect(seen.s).toMatch(/^tessera_lease_[0-9a-f]{12}$/);
    // Its sessions act as the group: what it creates belongs to the group, not to a role about to go.
    expect(seen).toMatchObject({ u: group, n: 2 });
    expect(shown).toBe('<concealed by tessera>');
    expect(r.stderr).toContain(`Leased DATABASE_URL: ${seen.s} in ${group} until`);
    expect(r.stderr).toContain(`Dropped lease ${seen.s}`);
    expect(await leaseRoles()).toEqual([]);
    expect(JSON.parse(await leasesFile(p))).toEqual({ leases: [] });
    expect(await audited(p, 'lease-created', seen.s)).toMatchObject({ provider: 'postgres', template: group, ttlSeconds: 3600 });
    expect(await audited(p, 'lease-revoked', seen.s)).toMatchObject({ reason: 'the command ended' });
  });

  it('expires by VALID UNTIL when tessera and the program are killed with SIGKILL, and lease list then drops it', async (ctx) => {
    const p = await profile(ctx);
    const held = await startHolding(p, '4s');
    const startedAt = Date.now();
    const role = decodeURIComponent(new URL(held.url).username);
    held.kill();
    await new Promise((r) => held.child.once('close', r));
    // Nothing dropped it: the role is there, and logs in until its time is up…
    expect(await leaseRoles()).toEqual([role]);
    expect(await logsIn(held.url)).toBe(true);
    const onDisk = await leasesFile(p);
    expect(onDisk).toContain(role);
    for (const s of passwords) expect(onDisk).not.toContain(s);
    expect(JSON.parse((await p.ok(['lease', 'list', '--json'])).stdout)).toEqual([expect.objectContaining({ role, state: 'active', template: group, variable: 'DATABASE_URL' })]);

    await new Promise((r) => setTimeout(r, Math.max(0, startedAt + 4500 - Date.now())));
    // …then the database refuses it by itself.
    expect(await logsIn(held.url)).toBe(false);
    expect(await leaseRoles()).toEqual([role]);
    // The next lease command drops what expired and records it.
    expect(JSON.parse((await p.ok(['lease', 'list', '--json'])).stdout)).toEqual([]);
    expect(await leaseRoles()).toEqual([]);
    expect(await audited(p, 'lease-expired', role)).toMatchObject({ reason: 'expired' });
    expect(await audited(p, 'lease-created', role)).toMatchObject({ ttlSeconds: 4 });
  }, 60_000);

  it('revokes a running lease', async (ctx) => {
    const p = await profile(ctx);
    const held = await startHolding(p, '1h');
    const role = decodeURIComponent(new URL(held.url).username);
    try {
      expect(await logsIn(held.url)).toBe(true);
      await p.ok(['lease', 'revoke', role]);
      expect(await logsIn(held.url)).toBe(false);
      expect(await leaseRoles()).toEqual([]);
      const missing = await p.run(['lease', 'revoke', role]);
      expect([missing.code, missing.stderr]).toEqual([1, expect.stringContaining('[LEASE_NOT_FOUND]')]);
    } finally {
      // SIGTERM to tessera alone: it forwards it to the program, then ends its leases.
      const closed = new Promise((r) => held.child.once('close', r));
      process.kill(held.child.pid!, 'SIGTERM');
      await closed;
    }
    // Once: the run that ended afterwards found it gone and recorded nothing more.
    expect(await audited(p, 'lease-revoked', role)).toMatchObject({ reason: 'revoked' });
  });

  it('refuses a template that is missing, or a superuser', async (ctx) => {
    const p = await profile(ctx);
    const r = await p.run(['run', '--vault', 'Leases', '--env', 'production', '--lease', 'DATABASE_URL=postgres:no_such_group', '--lease-admin', 'PG_ADMIN', '--', process.execPath, '-e', '']);
    expect([r.code, r.stderr]).toEqual([1, expect.stringContaining('[ROLE_MISSING]')]);
    const su = await p.run(['run', '--vault', 'Leases', '--env', 'production', '--lease', 'DATABASE_URL=postgres:tessera_admin', '--lease-admin', 'PG_ADMIN', '--', process.execPath, '-e', '']);
    expect([su.code, su.stderr]).toEqual([1, expect.stringContaining('is a superuser')]);
    expect(await leaseRoles()).toEqual([]);
  });

  it("never lets a lease's password reach the server log", async () => {
    const log = await cluster.log();
    expect(log).toMatch(/statement: CREATE ROLE "tessera_lease_[0-9a-f]{12}" LOGIN PASSWORD 'SCRAM-SHA-256\$4096:/);
    expect(passwords.size).toBeGreaterThanOrEqual(3);
    for (const s of passwords) expect(log.includes(s), 'a password in the server log').toBe(false);
  });
});
