/**
 * The relay as a process on PostgreSQL (`tessera relay --db postgres://…`): a team shares a
 * vault through it, the relay is killed and started again on the same database and nothing
 * acked is lost, /healthz says the database answers, and a pg_dump of its database holds no
 * name or value in any encoding. Runs when TESSERA_TEST_PG names a server (CI starts one).
 */
import { describe, expect, it } from 'vitest';
import { cliProfile, pgDatabase, relayOn } from '../helpers/cleanup';
import { requireKeychain } from '../helpers/keychain';
import { pgDataDump, PG_URL } from '../helpers/storage-backends';
import { fingerprintIn } from '../helpers/cli';

const SECRETS = ['STRIPE_KEY', 'sk_live_postgres_relay_4242', 'webhook signing secret', 'payments', 'production', 'Olive', 'Jay'];

describe('the relay on PostgreSQL', () => {
  it('serves a team, survives a SIGKILL with nothing acked lost, answers /healthz, and stores no name or value', { timeout: 240_000 }, async (ctx) => {
    if (!PG_URL) return ctx.skip();
    await requireKeychain(ctx);
    const db = await pgDatabase();
    let relay = await relayOn(db);

    const health = await fetch(`http://127.0.0.1:${relay.port}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, expect.objectContaining({ ok: true, vaults: 0 })]);

    const [olive, jay] = [await cliProfile('Olive'), await cliProfile('Jay')];
    await olive.ok(['vault', 'create', 'payments', '--relay', relay.url]);
    await olive.ok(['set', 'STRIPE_KEY', '--vault', 'payments', '--env', 'production', '--description', 'webhook signing secret'], { input: 'sk_live_postgres_relay_4242' });
    await olive.ok(['sync']);
    const code = (await olive.ok(['invite', '--vault', 'payments', '--role', 'viewer', '--env', 'production'])).stdout.trim();
    const fp = fingerprintIn((await jay.ok(['join', code])).stdout)!;
    await olive.ok(['approve', fp.slice(0, 11), '--vault', 'payments']);
    await jay.ok(['sync']);
    expect((await jay.ok(['get', 'STRIPE_KEY', '--vault', 'payments', '--env', 'production'])).stdout).toBe('sk_live_postgres_relay_4242');

    // Killed without warning, started again on the same database and port: what it acked is there.
    await olive.ok(['set', 'STRIPE_KEY', '--vault', 'payments', '--env', 'production'], { input: 'sk_live_after_restart' });
    await olive.ok(['sync']);
    const port = relay.port;
    await relay.kill('SIGKILL');
    relay = await relayOn(db, { port });
    await jay.ok(['sync']);
    expect((await jay.ok(['get', 'STRIPE_KEY', '--vault', 'payments', '--env', 'production'])).stdout).toBe('sk_live_after_restart');
    expect((await olive.ok(['sync'])).stdout).toMatch(/^payments: pushed 0, pulled 0/m);

    // The database, dumped whole: ids, keys and sealed bytes only.
    const dump = (await pgDataDump(db)).toString('latin1');
    expect(dump).toContain('COPY public.envelopes');
    for (const s of [...SECRETS, 'sk_live_after_restart']) {
      const b = Buffer.from(s);
      for (const form of [s, b.toString('base64'), b.toString('hex')]) expect(dump.includes(form), `${s} as ${form}`).toBe(false);
    }
  });
});
