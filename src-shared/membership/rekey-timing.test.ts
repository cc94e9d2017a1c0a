/**
 * What removing one member from a vault of 100 costs: every scope they read (here all four)
 * gets a new key wrapped to each of the 99 + 1 who stay, about 400 X25519 boxes. The target
 * is 300 ms. This prints the time with nodeSuite (whose box is tweetnacl today) next to the
 * same work with libsodium's box (sodium-native, already a dependency), which is the fix if
 * tweetnacl is the bottleneck. Times are printed, not asserted: machines differ.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { nodeSuite } from '../../src-main/crypto/node-suite';
import { fromHex } from '../crypto/bytes';
import type { CryptoSuite } from '../crypto/suite';
import { addMember, removeMember } from './builders';
import { applyEntry } from './chain';
import { append, newVault, person } from './fixtures';
import { keysFor } from './keys';
import { unwrapKey, wrapKey } from './wrap';

interface SodiumBox {
  crypto_scalarmult_base(q: Uint8Array, n: Uint8Array): void;
  crypto_box_easy(c: Uint8Array, m: Uint8Array, n: Uint8Array, pk: Uint8Array, sk: Uint8Array): void;
  crypto_box_open_easy(m: Uint8Array, c: Uint8Array, n: Uint8Array, pk: Uint8Array, sk: Uint8Array): boolean;
}
const native = createRequire(import.meta.url)('sodium-native') as SodiumBox;

/** nodeSuite with libsodium's crypto_box in place of tweetnacl's: same bytes, native speed. */
const sodiumBoxSuite: CryptoSuite = {
  ...nodeSuite,
  name: `${nodeSuite.name} (libsodium box)`,
  box: {
    publicKeyFromSecret(secretKey) {
      const pk = new Uint8Array(32);
      native.crypto_scalarmult_base(pk, secretKey);
      return pk;
    },
    seal(plaintext, nonce, theirPublicKey, mySecretKey) {
      const out = new Uint8Array(plaintext.length + 16);
      native.crypto_box_easy(out, plaintext, nonce, theirPublicKey, mySecretKey);
      return out;
    },
    open(sealed, nonce, theirPublicKey, mySecretKey) {
      if (sealed.length < 16) return null;
      const out = new Uint8Array(sealed.length - 16);
      return native.crypto_box_open_easy(out, sealed, nonce, theirPublicKey, mySecretKey) ? out : null;
    },
  },
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(runs: number, f: () => void): number {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    f();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

describe('re-keying a vault of 100 members', () => {
  const suite = nodeSuite;
  const owner = person(suite, 'Owner');
  const vault = newVault(suite, owner, 3);
  const { log } = vault;
  const people = Array.from({ length: 100 }, (_, i) => person(suite, `Member ${i}`));
  for (const p of people) {
    append(log, addMember(suite, log.state, owner.signing, log.allKeys, { identity: p.identity, name: p.name, role: 'editor', envScopes: vault.envs }));
  }
  const recipients = people.map((p) => p.identity.boxPublicKey);
  const scopes = [vault.meta, ...vault.envs];

  it.each([nodeSuite, sodiumBoxSuite])('wrapKey × 100 members × 4 scopes with $name', (s) => {
    const key = s.randomBytes(32);
    const ms = time(3, () => {
      for (const scope of scopes) {
        const ctx = { vaultId: vault.vaultId, scopeId: fromHex(scope), epoch: 2 };
        for (const r of recipients) wrapKey(s, key, r, ctx);
      }
    });
    console.log(`[membership] 400 wrapKey calls, ${s.name}: ${ms.toFixed(1)} ms (median of 3)`);
    // The two suites' wraps are interchangeable.
    const ctx = { vaultId: vault.vaultId, scopeId: new Uint8Array(16), epoch: 1 };
    expect(unwrapKey(nodeSuite, wrapKey(s, key, recipients[0]!, ctx), people[0]!.boxSecret, ctx)).toEqual(key);
  });

  it.each([nodeSuite, sodiumBoxSuite])('removeMember (build, sign, self-check) and verification with $name', (s) => {
    const target = people[50]!.identity.signPublicKey;
    let built = removeMember(s, log.state, owner.signing, log.allKeys, { member: target });
    const buildMs = time(3, () => {
      built = removeMember(s, log.state, owner.signing, log.allKeys, { member: target });
    });
    const verifyMs = time(3, () => applyEntry(s, log.state, built.bytes));
    const entries = [...log.entries, built.bytes];
    const keysMs = time(1, () => keysFor(s, built.state, entries, people[0]!.secrets));
    console.log(
      `[membership] remove 1 of 101 (4 scopes, ${built.bytes.length} bytes), ${s.name}: ` +
        `build ${buildMs.toFixed(1)} ms, verify ${verifyMs.toFixed(1)} ms, a member's keysFor over ${entries.length} entries ${keysMs.toFixed(1)} ms`,
    );
    expect(built.state.epochs.get(vault.meta)).toBe(2);
    expect(keysFor(s, built.state, entries, people[0]!.secrets).get(vault.meta)?.get(2)).toEqual(built.newKeys.get(vault.meta)!.get(2));
  });
});
