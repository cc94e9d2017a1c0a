/**
 * The entry format: the layout documented in entry.ts, every kind round-trips, the
 * signature covers every byte, and the decoder refuses anything else with MALFORMED (or
 * UNSUPPORTED_VERSION for a newer format) rather than misreading it.
 */
import { describe, expect, it } from 'vitest';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { toHex, utf8 } from '../crypto/bytes';
import { envelopeHash, ZERO_HASH } from '../envelope/envelope';
import { isTesseraError } from '../errors';
import { addMember, changeMember, removeMember, rotateKeys } from './builders';
import { decodeEntry, encodeEntry, ENTRY_VERSION, entryHash, readEntry, verifyEntrySignature, type EntryBody } from './entry';
import { append, newVault, person } from './fixtures';

const suite = nodeSuite;

function errorOf(f: () => unknown): string {
  try {
    f();
    return 'returned';
  } catch (e) {
    return isTesseraError(e) ? `${e.code}/${String(e.details.reason ?? '')}` : String(e);
  }
}

describe('membership entry format', () => {
  const alice = person(suite, 'Alice');
  const bob = person(suite, 'Bob');
  const vault = newVault(suite, alice, 2, 1_234_567);
  const { log } = vault;
  const [dev, prod] = vault.envs as [string, string];
  const inviteId = suite.randomBytes(16);
  append(log, addMember(suite, log.state, alice.signing, log.allKeys, { identity: bob.identity, name: 'Bob', role: 'editor', envScopes: [dev, prod], inviteId, at: 5 }));
  append(log, changeMember(suite, log.state, alice.signing, log.allKeys, { member: bob.identity.signPublicKey, role: 'viewer', envScopes: [dev], at: 6 }));
  append(log, rotateKeys(suite, log.state, alice.signing, log.allKeys, { scopes: [vault.meta], at: 7 }));
  append(log, removeMember(suite, log.state, alice.signing, log.allKeys, { member: bob.identity.signPublicKey, at: 8 }));

  it('starts with magic, version, vault id, seq, previous hash, author and time', () => {
    const genesis = log.entries[0]!;
    expect(toHex(genesis.subarray(0, 4))).toBe(toHex(utf8.encode('TSM')) + '02');
    expect(genesis.subarray(4, 20)).toEqual(vault.vaultId);
    expect(genesis[20]).toBe(0); // seq 0
    expect(genesis.subarray(21, 53)).toEqual(ZERO_HASH);
    expect(genesis.subarray(53, 85)).toEqual(alice.identity.signPublicKey);
    const add = log.entries[1]!;
    expect(add[20]).toBe(1);
    expect(add.subarray(21, 53)).toEqual(entryHash(genesis));
  });

  it('every kind round-trips, with its signature over every byte', () => {
    const kinds = log.entries.map((bytes, seq) => {
      const e = decodeEntry(bytes);
      expect(e.seq).toBe(seq);
      expect(e.author).toEqual(alice.identity.signPublicKey);
      expect(verifyEntrySignature(suite, e)).toBe(true);
      expect(e.signedLength).toBe(bytes.length - 64);
      return e.body.kind;
    });
    expect(kinds).toEqual(['genesis', 'add', 'change', 'rotate', 'remove']);
    expect(log.entries.map((b) => decodeEntry(b).at)).toEqual([1_234_567, 5, 6, 7, 8]);

    const add = decodeEntry(log.entries[1]!).body;
    if (add.kind !== 'add') throw new Error('expected add');
    expect(add.inviteId).toEqual(inviteId);
    expect(add.member).toEqual(bob.identity);
    expect(add.role).toBe('editor');
    expect(add.envScopes.map(toHex)).toEqual([dev, prod]);
    expect(add.grants.map((g) => [toHex(g.scopeId), g.epoch])).toEqual([[vault.meta, 1], [dev, 1], [prod, 1]]);

    // Re-encoding the decoded body with the same header gives the same bytes but the signature
    // (Ed25519 is deterministic, so even that matches).
    const e = decodeEntry(log.entries[2]!);
    const again = encodeEntry(suite, { vaultId: e.vaultId, seq: e.seq, prevHash: e.prevHash, at: e.at }, e.body, alice.signing);
    expect(again).toEqual(log.entries[2]);
  });

  it('an add without an invite round-trips without one', () => {
    const carol = person(suite, 'Carol');
    const built = addMember(suite, log.state, alice.signing, log.allKeys, { identity: carol.identity, name: 'Carol', role: 'viewer', envScopes: [] });
    const body = decodeEntry(built.bytes).body;
    expect(body.kind === 'add' && body.inviteId).toBe(undefined);
  });

  it('refuses other formats, kinds and roles', () => {
    const bytes = log.entries[1]!;
    const newer = bytes.slice();
    newer[3] = ENTRY_VERSION + 2; // format 3 holds the device kinds only
    expect(errorOf(() => decodeEntry(newer))).toBe('UNSUPPORTED_VERSION/');
    expect(errorOf(() => readEntry(suite, newer))).toBe('TAMPERED/MALFORMED');
    const envelope = bytes.slice();
    envelope[2] = 'E'.charCodeAt(0);
    expect(errorOf(() => decodeEntry(envelope))).toBe('MALFORMED/');
    const kindAt = 4 + 16 + 1 + 32 + 32 + 1; // magic+version, vault, seq (1 byte), prev, author, at (5 → 1 byte)
    expect(bytes[kindAt]).toBe(2);
    for (const kind of [0, 6, 7, 8, 255]) { // 7 and 8, the device kinds, only in format 3
      const bad = bytes.slice();
      bad[kindAt] = kind;
      expect(errorOf(() => decodeEntry(bad))).toBe('MALFORMED/');
    }
    const body = decodeEntry(bytes).body;
    if (body.kind !== 'add') throw new Error('expected add');
    const roleAt = kindAt + 1 + 64 + 1 + body.sealedName.length; // kind, identity, name length (< 128), name
    expect(bytes[roleAt]).toBe(3); // editor
    for (const role of [0, 5]) {
      const bad = bytes.slice();
      bad[roleAt] = role;
      expect(errorOf(() => decodeEntry(bad))).toBe('MALFORMED/');
    }
  });

  it('refuses to encode fields of the wrong size', () => {
    const header = { vaultId: vault.vaultId, seq: 9, prevHash: ZERO_HASH, at: 0 };
    const body: EntryBody = { kind: 'remove', member: new Uint8Array(31), rotation: [] };
    expect(errorOf(() => encodeEntry(suite, header, body, alice.signing))).toBe('INVALID_INPUT/');
    expect(errorOf(() => encodeEntry(suite, { ...header, vaultId: new Uint8Array(15) }, { kind: 'rotate', rotation: [] }, alice.signing))).toBe('INVALID_INPUT/');
    expect(errorOf(() => encodeEntry(suite, { ...header, seq: -1 }, { kind: 'rotate', rotation: [] }, alice.signing))).toBe('INVALID_INPUT/');
  });

  it('hashes in its own domain', () => {
    const bytes = log.entries[0]!;
    expect(entryHash(bytes)).not.toEqual(envelopeHash(bytes));
    expect(entryHash(bytes)).toHaveLength(32);
  });
});
