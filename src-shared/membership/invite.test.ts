import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeSuite as suite } from '../../src-node/crypto/node-suite';
import { checkJoinRequest, createJoinRequest, decodeInviteCode, encodeInviteCode, readJoinRequest, type Invite } from './invite';

const invite = (): Invite => ({
  relay: 'wss://relay.example.org',
  vaultId: suite.randomBytes(16),
  inviteId: suite.randomBytes(16),
  secret: suite.randomBytes(32),
  genesisHash: suite.randomBytes(32),
  vaultName: 'payments ünïcode',
});
const joiner = () => {
  const seed = suite.randomBytes(32);
  const boxSecret = suite.randomBytes(32);
  return { signer: { seed, publicKey: suite.ed25519.publicKeyFromSeed(seed) }, boxPublicKey: suite.box.publicKeyFromSecret(boxSecret) };
};
const codeOf = (f: () => unknown) => {
  try {
    f();
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? 'other';
  }
};

describe('invite codes', () => {
  it('round-trip, and anything damaged is INVALID_INPUT', () => {
    const i = invite();
    const code = encodeInviteCode(i);
    expect(code.startsWith('tessera-invite-2.')).toBe(true);
    expect(decodeInviteCode(`  ${code}\n`)).toEqual(i);
    expect(codeOf(() => decodeInviteCode(code.slice(0, -4)))).toBe('INVALID_INPUT');
    expect(codeOf(() => decodeInviteCode(code + 'AAAA'))).toBe('INVALID_INPUT');
    expect(codeOf(() => decodeInviteCode('hello'))).toBe('INVALID_INPUT');
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(['ok', 'INVALID_INPUT']).toContain(codeOf(() => decodeInviteCode(`tessera-invite-2.${s}`)));
      }),
    );
  });

  it('still reads a format 1 code, which names no vault', () => {
    const i = invite();
    // Format 1 is format 2 without the trailing name (here one byte of length plus the name).
    const v2 = Buffer.from(encodeInviteCode(i).slice('tessera-invite-2.'.length), 'base64url');
    const v1 = `tessera-invite-1.${v2.subarray(0, v2.length - 1 - Buffer.byteLength(i.vaultName)).toString('base64url')}`;
    expect(decodeInviteCode(v1)).toEqual({ ...i, vaultName: '' });
  });
});

describe('join requests', () => {
  it('carry the joiner keys and sealed name, proven by the invite secret and the joiner key', () => {
    const i = invite();
    const j = joiner();
    const bytes = createJoinRequest(suite, i, j.signer, j.boxPublicKey, 'Bob Builder');
    expect(Buffer.from(bytes).includes(Buffer.from('Bob Builder'))).toBe(false); // the relay sees no name
    const req = readJoinRequest(suite, bytes);
    expect(req.identity.signPublicKey).toEqual(j.signer.publicKey);
    expect(req.identity.boxPublicKey).toEqual(j.boxPublicKey);
    expect(checkJoinRequest(suite, req, i)).toBe('Bob Builder');
  });

  it('refuse a relay that swaps in its own keys, another invite, and any flipped bit', () => {
    const i = invite();
    const j = joiner();
    const mallory = joiner();
    // The relay builds a request for its own keys without the invite secret.
    const forged = createJoinRequest(suite, { ...i, secret: suite.randomBytes(32) }, mallory.signer, mallory.boxPublicKey, 'Bob');
    expect(codeOf(() => checkJoinRequest(suite, readJoinRequest(suite, forged), i))).toBe('TAMPERED');
    const real = createJoinRequest(suite, i, j.signer, j.boxPublicKey, 'Bob');
    expect(codeOf(() => checkJoinRequest(suite, readJoinRequest(suite, real), { ...i, inviteId: suite.randomBytes(16) }))).toBe('TAMPERED');
    for (let pos = 0; pos < real.length; pos++) {
      const bad = real.slice();
      bad[pos]! ^= 0x10;
      expect(codeOf(() => checkJoinRequest(suite, readJoinRequest(suite, bad), i)), `byte ${pos}`).toBe('TAMPERED');
    }
  });
});
