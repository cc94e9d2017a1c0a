/**
 * A teammate invited to "payments" addresses it by that name from their first command on:
 * the join step pulls the vault's metadata (where its encrypted name lives) before it
 * reports the join, and a command given a name that only a vault not pulled yet could
 * carry says what to run instead of "no such vault".
 */
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliProfile, relayInFolder } from '../helpers/cleanup';
import { requireKeychain } from '../helpers/keychain';
import { fingerprintIn, type CliProfile } from '../helpers/cli';

const VAULT = 'payments';

/** The owner's vault with one staging value on a relay, and a teammate who asked to join it. */
async function ownerAndJoiner() {
  const { relay } = await relayInFolder('tessera-join-name-');
  const [owner, joiner] = [await cliProfile('Olive'), await cliProfile('Jay')];
  await owner.ok(['vault', 'create', VAULT, '--relay', relay.url]);
  await owner.ok(['set', 'STRIPE_KEY', '--vault', VAULT, '--env', 'staging'], { input: 'staging-value' });
  await owner.ok(['sync', '--vault', VAULT]);
  const code = (await owner.ok(['invite', '--vault', VAULT, '--role', 'viewer', '--env', 'staging'])).stdout.trim();
  const joined = (await joiner.ok(['join', code])).stdout;
  // The invite carries the vault's name, so the joiner hears it at once, and what to run.
  expect(joined).toMatch(new RegExp(`^Asked to join ${VAULT} \\([0-9a-f]{12}\\)\\.`));
  expect(joined).toContain(`Once they approve, run: tessera sync --vault ${VAULT}\n`);
  const fp = fingerprintIn(joined);
  expect(fp).toBeDefined();
  // Approved by the digits read out (a fingerprint prefix), as the owner would.
  const approve = () => owner.ok(['approve', fp!.slice(0, 11), '--vault', VAULT]);
  return { relay, owner, joiner, approve };
}

/**
 * What a join leaves when the pull after it did not happen (an older client, or the relay
 * gone mid-pull): the membership log and keys, a relay, and no scope data.
 */
async function forgetPulledData(p: CliProfile, vaultId: string, relayUrl: string): Promise<void> {
  const dir = join(p.home, 'vaults', vaultId);
  for (const e of await readdir(dir, { withFileTypes: true })) if (e.isDirectory()) await rm(join(dir, e.name), { recursive: true });
  await writeFile(join(dir, 'sync.json'), JSON.stringify({ format: 1, relay: relayUrl, scopes: {} }));
}

describe('joining a vault and naming it', () => {
  it('the joiner\'s first commands are `sync --vault NAME` and `get KEY --vault NAME`, and both succeed', { timeout: 120_000 }, async (ctx) => {
    await requireKeychain(ctx);
    const { joiner, approve } = await ownerAndJoiner();
    await approve();

    const sync = await joiner.run(['sync', '--vault', VAULT]);
    expect([sync.code, sync.stderr]).toEqual([0, expect.stringMatching(/^Joined payments \([0-9a-f]{12}…\): you were approved$/m)]);
    expect(sync.stdout).toMatch(/^payments: pushed 0, pulled [1-9]\d* via ws:/m);
    expect((await joiner.ok(['get', 'STRIPE_KEY', '--vault', VAULT, '--env', 'staging'])).stdout).toBe('staging-value');
    const list = JSON.parse((await joiner.ok(['vault', 'list', '--json'])).stdout) as { name: string }[];
    expect(list.map((v) => v.name)).toEqual([VAULT]);
  });

  it('before approval, and for a vault joined but not pulled, a command given the name says what to run; `sync --vault NAME` pulls it', { timeout: 120_000 }, async (ctx) => {
    await requireKeychain(ctx);
    const { relay, joiner, approve } = await ownerAndJoiner();

    const early = await joiner.run(['get', 'STRIPE_KEY', '--vault', VAULT, '--env', 'staging']);
    expect([early.code, early.stderr]).toEqual([1, expect.stringMatching(/waiting to join 1 vault.*tessera sync --vault payments.*\[NOT_FOUND\]/)]);

    await approve();
    await joiner.ok(['sync']);
    const [vault] = JSON.parse((await joiner.ok(['vault', 'list', '--json'])).stdout) as { id: string }[];
    await forgetPulledData(joiner, vault!.id, relay.url);

    expect((await joiner.ok(['vault', 'list'])).stdout).toMatch(/\(not pulled yet: tessera sync\)/);
    const get = await joiner.run(['get', 'STRIPE_KEY', '--vault', VAULT, '--env', 'staging']);
    expect([get.code, get.stderr]).toEqual([1, expect.stringMatching(/1 vault you joined has not been pulled yet.*tessera sync --vault payments.*\[NOT_FOUND\]/)]);

    const sync = await joiner.run(['sync', '--vault', VAULT]);
    expect([sync.code, sync.stdout]).toEqual([0, expect.stringMatching(/^payments: pushed 0, pulled [1-9]\d* via ws:/m)]);
    expect((await joiner.ok(['get', 'STRIPE_KEY', '--vault', VAULT, '--env', 'staging'])).stdout).toBe('staging-value');
  });
});
