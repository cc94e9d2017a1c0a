/**
 * The storage and registration limits of a real `tessera relay` process: one fresh key fills
 * its vault until the relay answers QUOTA_EXCEEDED and registers vaults until
 * REGISTRATION_LIMITED, while a member of another vault (the CLI, syncing as users do) is
 * served as before. The accounting lives in the database: a restarted relay refuses the same.
 */
import { expect, it } from 'vitest';
import { PG_URL } from '../helpers/storage-backends';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { cliProfile, onCleanup, relayInFolder } from '../helpers/cleanup';
import { requireKeychain } from '../helpers/keychain';
import { startRelay } from '../helpers/relay';
import { Author, newIdentity, randomId, RelayTestClient } from '../helpers/relay-client';

const MAX_VAULT_BYTES = 200_000;
const ENVELOPE_PLAINTEXT = 8_000;

const BACKENDS: ('sqlite' | 'postgres')[] = ['sqlite', ...(PG_URL ? (['postgres'] as const) : [])];

it.for(BACKENDS)('refuses a key past its vault quota and vault limit with their codes, through a restart, and serves the honest member throughout (%s)', { timeout: 120_000 }, async (backend, ctx) => {
  await requireKeychain(ctx);
  const args = ['--max-vault-bytes', String(MAX_VAULT_BYTES), '--max-vaults-per-key', '2', '--messages-per-second', '10000', '--message-burst', '10000'];
  let { relay, db } = await relayInFolder('tessera-relay-quota-', args, backend);

  const ada = await cliProfile('Ada');
  await ada.ok(['vault', 'create', 'Payments', '--envs', 'production', '--relay', relay.url]);
  await ada.ok(['set', 'STRIPE_KEY', '--vault', 'Payments', '--env', 'production'], { input: 'sk_live_first' });
  expect((await ada.ok(['sync', '--vault', 'Payments'])).stdout).toMatch(/pushed [1-9]/);

  // A fresh key: its vault takes envelopes until the quota, then every one is refused.
  const mallory = newIdentity();
  const attacker = await RelayTestClient.connectAs(relay.url, mallory);
  onCleanup(async () => attacker.close());
  const author = new Author(mallory, randomId(), randomId());
  expect(await attacker.register(author.vaultId)).toMatchObject({ type: 'registered' });
  let acked = 0;
  let refusal;
  for (let i = 0; i < 100 && !refusal; i++) {
    const chain = { counter: author.counter, prevHash: author.prevHash };
    const answer = await attacker.push(author.next(nodeSuite.randomBytes(ENVELOPE_PLAINTEXT)));
    if (answer.type === 'ack') acked++;
    else {
      refusal = answer;
      Object.assign(author, chain);
    }
  }
  expect(refusal).toMatchObject({ type: 'error', code: 'QUOTA_EXCEEDED', message: expect.stringContaining(`${MAX_VAULT_BYTES} bytes per vault`) });
  expect(acked * ENVELOPE_PLAINTEXT).toBeLessThanOrEqual(MAX_VAULT_BYTES);
  expect((acked + 1) * ENVELOPE_PLAINTEXT).toBeGreaterThan(MAX_VAULT_BYTES - ENVELOPE_PLAINTEXT);
  // And vaults up to its limit, then no more.
  expect(await attacker.register(randomId())).toMatchObject({ type: 'registered' });
  expect(await attacker.register(randomId())).toMatchObject({ type: 'error', code: 'REGISTRATION_LIMITED' });

  await ada.ok(['set', 'STRIPE_KEY', '--vault', 'Payments', '--env', 'production'], { input: 'sk_live_second' });
  expect((await ada.ok(['sync', '--vault', 'Payments'])).stdout).toMatch(/pushed [1-9]/);
  const port = new URL(relay.url).port;
  expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toMatchObject({ ok: true, vaults: 3 });

  // Restarted on the same database, the relay remembers what each vault and key holds.
  attacker.close();
  await relay.kill('SIGTERM');
  relay = await startRelay(db, { port: Number(port), args });
  onCleanup(() => relay.kill('SIGKILL'));
  const again = await RelayTestClient.connectAs(relay.url, mallory);
  onCleanup(async () => again.close());
  expect(await again.push(author.next(nodeSuite.randomBytes(ENVELOPE_PLAINTEXT)))).toMatchObject({ type: 'error', code: 'QUOTA_EXCEEDED' });
  expect(await again.register(randomId())).toMatchObject({ type: 'error', code: 'REGISTRATION_LIMITED' });
  await ada.ok(['set', 'STRIPE_KEY', '--vault', 'Payments', '--env', 'production'], { input: 'sk_live_third' });
  expect((await ada.ok(['sync', '--vault', 'Payments'])).stdout).toMatch(/pushed [1-9]/);
  expect((await ada.ok(['get', 'STRIPE_KEY', '--vault', 'Payments', '--env', 'production'])).stdout).toBe('sk_live_third');
});
