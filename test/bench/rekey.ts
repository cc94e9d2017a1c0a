/**
 * bench:rekey — removing one member from a vault of 100 members, 3 environments and 10,000
 * secrets: the client's time to build the removal (new epoch keys for every scope, wrapped
 * to the 99 who stay, history keys sealed under them), store it and take the new keys, then
 * write fresh snapshots of every scope under the new keys. The relay round trip is not in it.
 * Also revoking one of a member's 3 devices (a lost laptop): the same re-key, the person stays.
 * Baseline, same run: the same fresh snapshots without any re-keying (a plain compaction).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createMemoryKeychain } from '../../src-main/keychain/memory-keychain';
import { saveLog } from '../../src-main/membership/log-sync';
import { writeVaultLog } from '../../src-main/membership/vault-log';
import { createProfile } from '../../src-main/profile/profile';
import { importEntries } from '../../src-main/vaults/secrets';
import { createVault } from '../../src-main/vaults/vaults';
import { addDevice, addMember, removeMember, revokeDevice } from '../../src-shared/membership/builders';
import { keysFor } from '../../src-shared/membership/keys';

const MEMBERS = 100;
const SECRETS = Number(process.env.BENCH_SECRETS ?? 10_000);
const RUNS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'tessera-bench-rekey-'));
  try {
    const session = await createProfile(nodeSuite, home, { name: 'Owner', keychain: createMemoryKeychain() });
    const vault = await createVault(session, 'Big', ['development', 'staging', 'production']);
    for (const env of ['development', 'staging', 'production']) {
      await importEntries(vault, env, Array.from({ length: SECRETS }, (_, i) => ({ key: `SERVICE_${i}_KEY`, value: `${env}-${i}-${Buffer.from(nodeSuite.randomBytes(12)).toString('hex')}` })));
    }
    let log = vault.membership!;
    const envScopes = vault.environments().map((e) => e.id);
    const people = Array.from({ length: MEMBERS - 1 }, (_, i) => {
      const seed = nodeSuite.randomBytes(32);
      const box = nodeSuite.randomBytes(32);
      return { i, seed, box, identity: { signPublicKey: nodeSuite.ed25519.publicKeyFromSeed(seed), boxPublicKey: nodeSuite.box.publicKeyFromSecret(box) } };
    });
    for (const p of people) {
      const built = addMember(nodeSuite, log.state, session.signingKey, session.keys.vaults.get(vault.id)!.scopes, {
        identity: p.identity, name: `Member ${p.i}`, role: p.i % 3 === 0 ? 'viewer' : 'editor', envScopes,
      });
      log = { entries: [...log.entries, built.bytes], state: built.state };
    }
    // RUNS members (after those the removals take) each link two more devices: 3 each.
    const lost: Uint8Array[] = [];
    for (const p of people.slice(RUNS, 2 * RUNS)) {
      for (const d of [0, 1]) {
        const held = keysFor(nodeSuite, log.state, log.entries, { signPublicKey: p.identity.signPublicKey, boxSecretKey: p.box });
        const box = nodeSuite.randomBytes(32);
        const identity = { signPublicKey: nodeSuite.ed25519.publicKeyFromSeed(nodeSuite.randomBytes(32)), boxPublicKey: nodeSuite.box.publicKeyFromSecret(box) };
        const built = addDevice(nodeSuite, log.state, { seed: p.seed, publicKey: p.identity.signPublicKey }, held, { identity, name: `device ${d + 2}` });
        log = { entries: [...log.entries, built.bytes], state: built.state };
        if (d === 0) lost.push(identity.signPublicKey);
      }
    }
    await writeVaultLog(session, vault.id, log.entries);
    vault.setMembership(log);
    console.log(`bench:rekey — ${MEMBERS} members, 3 environments, ${SECRETS} secrets; crypto: ${nodeSuite.name}`);

    const baseline: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const t = performance.now();
      await vault.compact();
      baseline.push(performance.now() - t);
    }
    const rekey: number[] = [];
    const build: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const target = people[r]!.identity.signPublicKey;
      const t = performance.now();
      const built = removeMember(nodeSuite, log.state, session.signingKey, session.keys.vaults.get(vault.id)!.scopes, { member: target });
      build.push(performance.now() - t);
      log = { entries: [...log.entries, built.bytes], state: built.state };
      await saveLog(session, vault.id, log);
      vault.setMembership(log);
      await vault.compact(); // fresh snapshots, sealed under the new epoch keys
      rekey.push(performance.now() - t);
    }
    const revoke: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const t = performance.now();
      const built = revokeDevice(nodeSuite, log.state, session.signingKey, session.keys.vaults.get(vault.id)!.scopes, { device: lost[r]! });
      log = { entries: [...log.entries, built.bytes], state: built.state };
      await saveLog(session, vault.id, log);
      vault.setMembership(log);
      await vault.compact();
      revoke.push(performance.now() - t);
    }
    const r = median(rekey);
    const b = median(baseline);
    console.log(`removal entry built (re-key, ${(MEMBERS - 2) * 4} wraps), median of ${RUNS}: ${median(build).toFixed(1)} ms`);
    console.log(`re-key + store + fresh snapshots, median of ${RUNS}: ${r.toFixed(1)} ms   (target ≤ 300 ms)`);
    const d = median(revoke);
    console.log(`revoking one of a member's 3 devices (re-key + store + fresh snapshots), median of ${RUNS}: ${d.toFixed(1)} ms   (target ≤ 300 ms; ratio to baseline ${(d / median(baseline)).toFixed(2)}×)`);
    console.log(`baseline: fresh snapshots alone (a plain compaction), median of ${RUNS}: ${b.toFixed(1)} ms   ratio ${(r / b).toFixed(2)}×`);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
