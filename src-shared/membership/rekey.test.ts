/**
 * Removing one member from a vault of 100: every scope they read gets a new key wrapped to
 * each member who stays. (How long it takes is bench:rekey's job; here, what it produces.)
 * Wraps made by the portable suite and by the Node suite open with either.
 */
import { describe, expect, it } from 'vitest';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { tweetnaclSuite } from '../crypto/tweetnacl-suite';
import { addMember, removeMember } from './builders';
import { applyEntry } from './chain';
import { append, newVault, person } from './fixtures';
import { keysFor } from './keys';
import { currentMembers } from './state';
import { unwrapKey, wrapKey } from './wrap';

describe('re-keying a vault of 100 members', () => {
  const suite = nodeSuite;
  const owner = person(suite, 'Owner');
  const vault = newVault(suite, owner, 3);
  const { log } = vault;
  const people = Array.from({ length: 100 }, (_, i) => person(suite, `Member ${i}`));
  for (const p of people) {
    append(log, addMember(suite, log.state, owner.signing, log.allKeys, { identity: p.identity, name: p.name, role: 'editor', envScopes: vault.envs }));
  }

  it('wraps made by either suite open with either', () => {
    const key = suite.randomBytes(32);
    const ctx = { vaultId: vault.vaultId, scopeId: new Uint8Array(16), epoch: 1 };
    for (const [a, b] of [[nodeSuite, tweetnaclSuite], [tweetnaclSuite, nodeSuite]] as const) {
      expect(unwrapKey(b, wrapKey(a, key, people[0]!.identity.boxPublicKey, ctx), people[0]!.boxSecret, ctx)).toEqual(key);
    }
  });

  it('gives every scope a new epoch, its key to each of the 100 who stay and not to the one removed', () => {
    const removed = people[50]!;
    const built = removeMember(suite, log.state, owner.signing, log.allKeys, { member: removed.identity.signPublicKey });
    expect(applyEntry(suite, log.state, built.bytes).head.seq).toBe(built.state.head.seq);
    for (const scope of [vault.meta, ...vault.envs]) expect(built.state.epochs.get(scope)).toBe(2);
    expect(currentMembers(built.state)).toHaveLength(100);
    const entries = [...log.entries, built.bytes];
    expect(keysFor(suite, built.state, entries, people[0]!.secrets).get(vault.meta)?.get(2)).toEqual(built.newKeys.get(vault.meta)!.get(2));
    expect(keysFor(suite, built.state, entries, owner.secrets).get(vault.envs[0]!)?.get(2)).toEqual(built.newKeys.get(vault.envs[0]!)!.get(2));
    // The removed member, with every entry, still opens the old epoch and nothing newer.
    const theirs = keysFor(suite, built.state, entries, removed.secrets);
    expect(theirs.get(vault.meta)?.get(1)).toBeDefined();
    for (const epochs of theirs.values()) expect([...epochs.keys()]).toEqual([1]);
  });
});
