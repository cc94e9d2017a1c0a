/**
 * The attacks of the security review, each reproduced through a real relay process: a
 * member's client that misbehaves (edits the metadata or its own records as it likes, signs
 * what it wants), and a relay that does (a test proxy in the middle, or rows written into its
 * database). Each is refused or detected with a clear code, and honest members keep working.
 */
import Database from 'better-sqlite3';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createOsKeychain } from '../../src-main/keychain/os-keychain';
import { unlockProfile } from '../../src-main/profile/profile';
import { RelayClient } from '../../src-main/sync/relay-client';
import { setSecret } from '../../src-main/vaults/secrets';
import { openVault } from '../../src-main/vaults/vaults';
import type { Vault } from '../../src-main/vaults/vault';
import { fromHex } from '../../src-shared/crypto/bytes';
import { decodeEnvelope } from '../../src-shared/envelope/envelope';
import { encodeEntry } from '../../src-shared/membership/entry';
import { sealEnvironmentName } from '../../src-shared/membership/wrap';
import { encodeVersion } from '../../src-shared/vault/records';
import { ValuesScope } from '../../src-shared/vault/values-scope';
import { cliProfile, onCleanup, relayInFolder } from '../helpers/cleanup';
import { requireKeychain } from '../helpers/keychain';
import { tamperingProxy } from '../helpers/tampering-proxy';
import { fingerprintIn, type CliProfile } from '../helpers/cli';

const VAULT = 'Team';
const VALUES = { development: 'development-secret-3b1e', production: 'production-secret-9f42' };

/** `p`'s profile opened in this process: what a member's own (modified) client can do. */
async function clientOf(p: CliProfile): Promise<Vault> {
  const { session } = await unlockProfile(nodeSuite, p.home, { keychain: createOsKeychain() });
  onCleanup(async () => session.lock());
  return openVault(session, VAULT);
}

/** Alice owns Team (development, production); Mallory edits development; Carol views it. */
async function team() {
  const { relay, db } = await relayInFolder('tessera-attacks-');
  const [alice, mallory, carol] = [await cliProfile('Alice'), await cliProfile('Mallory'), await cliProfile('Carol')];
  await alice.ok(['vault', 'create', VAULT, '--envs', 'development,production', '--relay', relay.url]);
  for (const [env, value] of Object.entries(VALUES)) await alice.ok(['set', 'API_KEY', '--vault', VAULT, '--env', env], { input: value });
  await alice.ok(['sync', '--vault', VAULT]);
  for (const [who, role] of [[mallory, 'editor'], [carol, 'viewer']] as const) {
    const code = (await alice.ok(['invite', '--vault', VAULT, '--role', role, '--env', 'development'])).stdout.trim();
    const fp = fingerprintIn((await who.ok(['join', code])).stdout)!;
    await alice.ok(['approve', fp.slice(0, 11), '--vault', VAULT]);
    await who.ok(['sync']);
  }
  const get = (p: CliProfile, key: string, env: string) => p.run(['get', key, '--vault', VAULT, '--env', env]);
  return { relay, db, alice, mallory, carol, get };
}

const envIds = (v: Vault) => Object.fromEntries(v.environments().map((e) => [e.name, e.id])) as Record<string, string>;

/** Writes an envelope into the relay's database as a relay that inserts changes would. */
function insertIntoRelay(db: string, bytes: Uint8Array): void {
  const env = decodeEnvelope(bytes);
  const sql = new Database(db);
  sql.pragma('busy_timeout = 5000');
  sql.transaction(() => {
    const { last_seq } = sql.prepare('SELECT last_seq FROM scopes WHERE vault_id = ? AND scope_id = ?').get(Buffer.from(env.vaultId), Buffer.from(env.scopeId)) as { last_seq: number };
    sql.prepare('UPDATE scopes SET last_seq = ? WHERE vault_id = ? AND scope_id = ?').run(last_seq + 1, Buffer.from(env.vaultId), Buffer.from(env.scopeId));
    sql.prepare('INSERT INTO envelopes (vault_id, scope_id, seq, author, counter, hash, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      Buffer.from(env.vaultId), Buffer.from(env.scopeId), last_seq + 1, Buffer.from(env.author), env.counter, Buffer.alloc(32), Buffer.from(bytes),
    );
  })();
  sql.close();
}

function relayRows(db: string, query: string, ...args: unknown[]): unknown[] {
  const sql = new Database(db, { readonly: true });
  try {
    return sql.prepare(query).all(...args);
  } finally {
    sql.close();
  }
}

describe('an editor of development relabelling environments', () => {
  it('swaps development and production in the metadata: nothing follows the swap, and a forged names entry is refused', { timeout: 240_000 }, async (ctx) => {
    await requireKeychain(ctx);
    const { relay, alice, mallory, get } = await team();
    const m = await clientOf(mallory);
    const ids = envIds(m);
    // Mallory's client rewrites the environments map of the metadata, which editors write.
    await m.edit(() => {
      const envs = m.meta.doc.getMap<Record<string, unknown>>('environments');
      envs.set(ids.development!, { ...envs.get(ids.development!), name: 'production' });
      envs.set(ids.production!, { ...envs.get(ids.production!), name: 'development' });
    });
    expect(m.meta.environmentByName('production')?.id).toBe(ids.development); // the metadata says so now
    await mallory.ok(['sync']);
    await alice.ok(['sync', '--vault', VAULT]);

    // Alice's names come from the signed log: production is still production.
    const listed = JSON.parse((await alice.ok(['vault', 'list', '--json'])).stdout)[0];
    expect(listed.environments.map((e: { name: string }) => e.name)).toEqual(['development', 'production']);
    await alice.ok(['set', 'PROD_ONLY', '--vault', VAULT, '--env', 'production'], { input: 'prod-only-value-71c0' });
    await alice.ok(['sync', '--vault', VAULT]);
    await mallory.ok(['sync']);
    expect((await get(mallory, 'PROD_ONLY', 'development')).code).toBe(1); // not written into development
    expect((await get(mallory, 'PROD_ONLY', 'production')).stderr).toMatch(/\[NO_ACCESS\]/);
    const exported = JSON.parse((await alice.ok(['export', '--vault', VAULT, '--env', 'production', '--format', 'json'])).stdout);
    expect(exported).toEqual({ API_KEY: VALUES.production, PROD_ONLY: 'prod-only-value-71c0' });
    // An invite for development still hands out development's keys.
    const dave = await cliProfile('Dave');
    const code = (await alice.ok(['invite', '--vault', VAULT, '--role', 'viewer', '--env', 'development'])).stdout.trim();
    await alice.ok(['approve', fingerprintIn((await dave.ok(['join', code])).stdout)!.slice(0, 11), '--vault', VAULT]);
    await dave.ok(['sync']);
    expect((await get(dave, 'API_KEY', 'development')).stdout).toBe(VALUES.development);
    expect((await get(dave, 'API_KEY', 'production')).stderr).toMatch(/\[NO_ACCESS\]/);

    // Nor can Mallory sign the names into the log herself: only an owner binds them.
    const { state } = m.membership!;
    const metaEpoch = state.epochs.get(state.metaScope)!;
    const metaKey = m.session.keys.vaults.get(m.id)!.scopes.get(state.metaScope)!.get(metaEpoch)!;
    const sealedIn = { vaultId: state.vaultId, scopeId: fromHex(state.metaScope), epoch: metaEpoch };
    const names = [
      [ids.development!, 'production'],
      [ids.production!, 'development'],
    ].map(([scope, name]) => ({ scopeId: fromHex(scope!), sealedName: sealEnvironmentName(nodeSuite, name!, metaKey, sealedIn, fromHex(scope!)) }));
    const swapped = encodeEntry(nodeSuite, { vaultId: state.vaultId, seq: state.head.seq + 1, prevHash: state.head.hash, at: Date.now() }, { kind: 'environments', names }, m.session.signingKey);
    const client = await RelayClient.connect(relay.url, nodeSuite, m.session.signingKey);
    try {
      await expect(client.request({ type: 'log-append', vaultId: fromHex(m.id), entry: swapped }, 'logged')).rejects.toMatchObject({
        code: 'RELAY_REJECTED',
        details: { relayCode: 'MEMBERSHIP_REFUSED' },
      });
    } finally {
      client.close();
    }
  });
});

describe('writes that their authors may not make', () => {
  it('a record in another member\'s name, a removed member\'s change the relay inserts, a viewer\'s snapshot: each refused', { timeout: 240_000 }, async (ctx) => {
    await requireKeychain(ctx);
    const { relay, db, alice, mallory, carol, get } = await team();
    const aliceId = JSON.parse(await readFile(join(alice.home, 'profile.json'), 'utf8')).identity.memberId as string;

    // 1. Mallory, an editor, writes a version of API_KEY that says Alice wrote it.
    const m = await clientOf(mallory);
    const secretId = m.meta.secretByName('API_KEY')!.id;
    const dev = await m.environment('development');
    await m.edit(() => {
      dev.values.doc.getArray<string>('versions').push([encodeVersion({ secretId, n: 50, at: Date.now(), versionId: 'forged-by-mallory' }, aliceId, 'rotated by Alice', 'mallory-chosen-value')]);
    });
    await mallory.ok(['sync']); // the relay cannot read it: it takes it
    const forged = await alice.ok(['sync', '--vault', VAULT]);
    expect(forged.stdout).toMatch(/1 rejected/);
    expect((await get(alice, 'API_KEY', 'development')).stdout).toBe(VALUES.development);

    // 2. Alice removes Mallory. Mallory's client still holds the old keys and writes under
    // the head it last knew; the relay refuses her push, so a relay that inserts it does.
    await alice.ok(['remove', 'Mallory', '--vault', VAULT]);
    await setSecret(m, 'API_KEY', 'development', 'mallory-after-removal');
    const store = (await m.scopeStore(envIds(m).development!))!;
    const afterRemoval = store.frames.at(-1)!.bytes;
    const client = await RelayClient.connect(relay.url, nodeSuite, m.session.signingKey);
    await expect(client.request({ type: 'push', envelope: afterRemoval }, 'ack')).rejects.toMatchObject({ details: { relayCode: 'NOT_A_MEMBER' } });
    client.close();
    insertIntoRelay(db, afterRemoval);
    const inserted = await alice.ok(['sync', '--vault', VAULT]);
    expect(inserted.stdout).toMatch(/1 rejected/);
    await carol.ok(['sync']);
    for (const p of [alice, carol]) expect((await get(p, 'API_KEY', 'development')).stdout).toBe(VALUES.development);
    const history = JSON.parse((await alice.ok(['history', 'API_KEY', '--vault', VAULT, '--env', 'development', '--json'])).stdout) as { by: string }[];
    expect(history.map((v) => v.by)).toEqual(['Alice']); // one version, Alice's own

    // 3. Carol, a viewer, seals a snapshot of development holding a value of her own; a
    // relay hands it to Alice as if it covered more than she has.
    const c = await clientOf(carol);
    const carolDev = (await c.scopeStore(envIds(c).development!))!;
    carolDev.doc.transact(() => new ValuesScope(carolDev.doc).addVersion('snap-by-carol', secretId, 'carol-snapshot-value', { by: 'carol', at: Date.now() }));
    const { last_seq } = (relayRows(db, 'SELECT last_seq FROM scopes WHERE scope_id = ?', Buffer.from(fromHex(envIds(c).development!))) as { last_seq: number }[])[0]!;
    const snapshot = carolDev.sealSnapshot(c.session.signingKey, carolDev.heads, last_seq + 1);
    const proxy = await tamperingProxy(relay.url, (msg) =>
      msg.type === 'synced' ? [{ type: 'deliver', vaultId: msg.vaultId, scopeId: fromHex(envIds(c).development!), seq: last_seq + 1, envelope: snapshot }, msg] : msg,
    );
    onCleanup(() => proxy.close());
    await alice.ok(['vault', 'relay', VAULT, proxy.url]);
    const snapped = await alice.ok(['sync', '--vault', VAULT]);
    expect(snapped.stdout).toMatch(/\d rejected/);
    expect((await get(alice, 'API_KEY', 'development')).stdout).toBe(VALUES.development);
    // Back on the honest relay, Alice syncs on as before.
    await alice.ok(['vault', 'relay', VAULT, relay.url]);
    await alice.ok(['set', 'AFTER', '--vault', VAULT, '--env', 'development'], { input: 'after-the-attacks' });
    // (A new relay URL starts from the beginning: Mallory's inserted change, still in the
    // relay's database, is refused once more.)
    expect((await alice.ok(['sync', '--vault', VAULT])).stdout).toMatch(/, 1 rejected/);
    await carol.ok(['sync']);
    expect((await get(carol, 'AFTER', 'development')).stdout).toBe('after-the-attacks');
  });
});

describe('references across environments and vaults', () => {
  it('follow only what the referencing value\'s writer could read, and other vaults only when allowed', { timeout: 240_000 }, async (ctx) => {
    await requireKeychain(ctx);
    const { alice, mallory } = await team();
    await alice.ok(['vault', 'create', 'Other', '--envs', 'production']);
    await alice.ok(['set', 'OTHER_KEY', '--vault', 'Other', '--env', 'production'], { input: 'other-vault-secret-55aa' });
    // Mallory, who reads development only, plants references in development values.
    await mallory.ok(['set', 'LEAK', '--vault', VAULT, '--env', 'development'], { input: 'https://collect.example/?k=${production/API_KEY}' });
    await mallory.ok(['sync']);
    await alice.ok(['sync', '--vault', VAULT]);
    const node = ['node', '-e', 'console.log(process.env.LEAK)'];
    const run = await alice.run(['run', '--vault', VAULT, '--env', 'development', '--no-masking', '--', ...node]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/LEAK \(development\) refers to production\/API_KEY, which whoever wrote it cannot read: not followed \[REFERENCE_NOT_ALLOWED\]\n$/);
    expect(run.stdout + run.stderr).not.toContain(VALUES.production);
    expect((await alice.run(['export', '--vault', VAULT, '--env', 'development'])).stderr).toMatch(/\[REFERENCE_NOT_ALLOWED\]/);

    await mallory.ok(['set', 'LEAK', '--vault', VAULT, '--env', 'development'], { input: 'x${Other/production/OTHER_KEY}' });
    await mallory.ok(['sync']);
    await alice.ok(['sync', '--vault', VAULT]);
    const cross = await alice.run(['get', 'LEAK', '--vault', VAULT, '--env', 'development']);
    expect(cross.stderr).toMatch(/in another vault: allow it with --allow-vault Other \[REFERENCE_NOT_ALLOWED\]/);
    // Allowing the vault is not enough: Mallory is no member of Other.
    const allowed = await alice.run(['get', 'LEAK', '--vault', VAULT, '--env', 'development', '--allow-vault', 'Other']);
    expect(allowed.stderr).toMatch(/cannot read: not followed \[REFERENCE_NOT_ALLOWED\]/);
    expect(allowed.stdout).toBe('');

    // Alice's own references reach what she reads.
    await alice.ok(['set', 'MINE', '--vault', VAULT, '--env', 'development'], { input: '${production/API_KEY}|${Other/production/OTHER_KEY}' });
    expect((await alice.ok(['get', 'MINE', '--vault', VAULT, '--env', 'development', '--allow-vault', 'Other'])).stdout).toBe(`${VALUES.production}|other-vault-secret-55aa`);
  });
});

describe('a relay withholding a removal', () => {
  it('shows a member changes written after it, but not the removal: the member writes nothing until it sees it', { timeout: 240_000 }, async (ctx) => {
    await requireKeychain(ctx);
    const { relay, db, alice, mallory, get } = await team();
    const bob = await cliProfile('Bob');
    const code = (await alice.ok(['invite', '--vault', VAULT, '--role', 'editor', '--env', 'development'])).stdout.trim();
    await alice.ok(['approve', fingerprintIn((await bob.ok(['join', code])).stdout)!.slice(0, 11), '--vault', VAULT]);
    await bob.ok(['sync']);
    const { length } = (relayRows(db, 'SELECT count(*) AS length FROM membership_log') as { length: number }[])[0]!;

    // Bob's relay hides every entry from the removal on.
    const proxy = await tamperingProxy(relay.url, (msg) =>
      msg.type === 'log' ? { ...msg, entries: msg.entries.filter((_, i) => msg.from + i < length), length: Math.min(msg.length, length) } : msg,
    );
    onCleanup(() => proxy.close());
    await bob.ok(['vault', 'relay', VAULT, proxy.url]);
    await alice.ok(['remove', 'Mallory', '--vault', VAULT]);
    await alice.ok(['set', 'API_KEY', '--vault', VAULT, '--env', 'development'], { input: 'rotated-after-mallory' });
    await alice.ok(['sync', '--vault', VAULT]);

    await bob.ok(['set', 'BOB_NOTE', '--vault', VAULT, '--env', 'development'], { input: 'bob-under-old-keys' });
    const bobKey = (await clientOf(bob)).session.signingKey.publicKey;
    const pushedByBob = () => (relayRows(db, 'SELECT count(*) AS n FROM envelopes WHERE author = ?', Buffer.from(bobKey)) as { n: number }[])[0]!.n;
    const before = pushedByBob();
    const withheld = await bob.run(['sync', '--vault', VAULT]);
    expect(withheld.code).toBe(1);
    expect(withheld.stderr).toMatch(/membership entry \d+, which the relay does not hand over: nothing was pushed .*\[MEMBERSHIP_BEHIND\]\n$/);
    expect(pushedByBob()).toBe(before);
    // Through the honest relay Bob learns of the removal, takes the new keys, and pushes.
    await bob.ok(['vault', 'relay', VAULT, relay.url]);
    await bob.ok(['sync', '--vault', VAULT]);
    expect(pushedByBob()).toBeGreaterThan(before);
    expect((await get(bob, 'API_KEY', 'development')).stdout).toBe('rotated-after-mallory');
    await mallory.run(['sync']);
    expect((await get(mallory, 'BOB_NOTE', 'development')).code).toBe(1);
  });
});
