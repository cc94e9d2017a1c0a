/**
 * The envelope is what the disk and the relay hold, so everything here is about untrusted
 * bytes: the layout is exactly the one documented in envelope.ts, the signature covers every
 * byte, and whatever is done to the bytes, openVerifiedEnvelope either returns the original
 * plaintext or throws TAMPERED, never garbage and never another error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { concatBytes, equalBytes, toBase64Url, utf8 } from '../crypto/bytes';
import { HASH_BYTES } from '../crypto/hash';
import { KEY_BYTES, NONCE_BYTES, SEED_BYTES, type CryptoSuite } from '../crypto/suite';
import { tweetnaclSuite } from '../crypto/tweetnacl-suite';
import { isTesseraError } from '../errors';
import {
  decodeEnvelope,
  ENVELOPE_VERSION,
  MAX_SEALED_BYTES,
  openEnvelope,
  openVerifiedEnvelope,
  sealEnvelope,
  verifyEnvelope,
  ZERO_HASH,
  type EnvelopeHeader,
  type SigningKey,
} from './envelope';
import { decodeSnapshot, encodeSnapshot, type ChainHeads } from './snapshot';

// tweetnacl verifies about a hundred signatures a second; every tamper case costs one.
const SUITES = [
  { name: tweetnaclSuite.name, suite: tweetnaclSuite, tamperRuns: 40 },
  { name: nodeSuite.name, suite: nodeSuite, tamperRuns: 300 },
];

const fill = (n: number, byte: number) => new Uint8Array(n).fill(byte);
const flip = (b: Uint8Array, position: number, bit: number): Uint8Array => {
  const out = b.slice();
  out[position]! ^= 1 << bit;
  return out;
};

function signerFor(suite: CryptoSuite, byte: number): SigningKey {
  const seed = fill(SEED_BYTES, byte);
  return { seed, publicKey: suite.ed25519.publicKeyFromSeed(seed) };
}

const UPDATE: Omit<EnvelopeHeader, 'author'> = {
  kind: 'update',
  vaultId: fill(16, 0x11),
  scopeId: fill(16, 0x22),
  epoch: 5,
  counter: 7,
  prevHash: fill(HASH_BYTES, 0x33),
  covers: 0,
  logHead: { seq: 9, hash: fill(HASH_BYTES, 0x55) },
};
const SNAPSHOT: Omit<EnvelopeHeader, 'author'> = { ...UPDATE, kind: 'snapshot', counter: 0, covers: 1234, prevHash: ZERO_HASH };
const KEY = fill(KEY_BYTES, 0x44);
const PLAINTEXT = utf8.encode('k=v');

/** Runs `f` and returns the TesseraError code it threw, 'returned', or the foreign error's name. */
function outcome(f: () => unknown): string {
  try {
    f();
    return 'returned';
  } catch (e) {
    return isTesseraError(e) ? e.code : `${(e as Error)?.name}: ${(e as Error)?.message}`;
  }
}

describe.each(SUITES)('$name', ({ suite, tamperRuns }) => {
  const signer = signerFor(suite, 0x55);
  const small = sealEnvelope(suite, UPDATE, PLAINTEXT, KEY, signer);
  const open = (bytes: Uint8Array, opts?: { skipSignature?: boolean }) => openVerifiedEnvelope(suite, bytes, () => KEY, opts);

  describe('round trip', () => {
    it.each([
      ['update', UPDATE],
      ['snapshot', SNAPSHOT],
    ] as const)('seal → decode → verify → open (%s)', (_kind, header) => {
      const plaintext = suite.randomBytes(1000);
      const bytes = sealEnvelope(suite, header, plaintext, KEY, signer);
      const env = decodeEnvelope(bytes);
      expect(verifyEnvelope(suite, env)).toBe(true);
      expect(openEnvelope(suite, env, KEY)).toEqual(plaintext);
      const both = openVerifiedEnvelope(suite, bytes, () => KEY);
      expect(both.plaintext).toEqual(plaintext);
      expect(both.envelope.kind).toBe(header.kind);
    });

    it('round-trips any plaintext, including empty', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 2048 }), fc.constantFrom(UPDATE, SNAPSHOT), (plaintext, header) => {
          expect(open(sealEnvelope(suite, header, plaintext, KEY, signer)).plaintext).toEqual(plaintext);
        }),
        { numRuns: tamperRuns / 2 },
      );
    });

    it('the other suite reads what this one writes', () => {
      const other = suite === nodeSuite ? tweetnaclSuite : nodeSuite;
      const bytes = sealEnvelope(suite, UPDATE, PLAINTEXT, KEY, signer);
      expect(openVerifiedEnvelope(other, bytes, () => KEY).plaintext).toEqual(PLAINTEXT);
    });

    it('asks for the key of the epoch the envelope names', () => {
      const keys = new Map([
        [5, KEY],
        [6, fill(KEY_BYTES, 0x66)],
      ]);
      const bytes = sealEnvelope(suite, { ...UPDATE, epoch: 6 }, PLAINTEXT, keys.get(6)!, signer);
      const epochs: number[] = [];
      const { plaintext } = openVerifiedEnvelope(suite, bytes, (env) => {
        epochs.push(env.epoch);
        return keys.get(env.epoch)!;
      });
      expect(epochs).toEqual([6]);
      expect(plaintext).toEqual(PLAINTEXT);
    });

    it('a fresh nonce every time: sealing twice gives different bytes', () => {
      const again = sealEnvelope(suite, UPDATE, PLAINTEXT, KEY, signer);
      expect(decodeEnvelope(again).nonce).not.toEqual(decodeEnvelope(small).nonce);
    });
  });

  describe('layout', () => {
    it('decodeEnvelope returns the exact header fields', () => {
      for (const header of [UPDATE, SNAPSHOT]) {
        const env = decodeEnvelope(sealEnvelope(suite, header, PLAINTEXT, KEY, signer));
        expect({
          kind: env.kind,
          vaultId: env.vaultId,
          scopeId: env.scopeId,
          epoch: env.epoch,
          author: env.author,
          counter: env.counter,
          prevHash: env.prevHash,
          covers: env.covers,
          logHead: env.logHead,
        }).toEqual({ ...header, author: signer.publicKey });
      }
    });

    it('puts every field where the format says, and signs exactly the bytes before the signature', () => {
      const b = small;
      const env = decodeEnvelope(b);
      const sealedLength = PLAINTEXT.length + 16;
      expect(b.length).toBe(3 + 1 + 1 + 16 + 16 + 1 + 32 + 1 + 32 + 1 + 1 + 32 + 24 + 1 + sealedLength + 64);
      expect([...b.subarray(0, 3)]).toEqual([0x54, 0x53, 0x45]); // "TSE"
      const o = 3;
      expect(b[o]).toBe(ENVELOPE_VERSION);
      expect(b[o + 1]).toBe(1); // update
      expect(b.subarray(o + 2, o + 18)).toEqual(UPDATE.vaultId);
      expect(b.subarray(o + 18, o + 34)).toEqual(UPDATE.scopeId);
      expect(b[o + 34]).toBe(5); // epoch, one-byte varuint
      expect(b.subarray(o + 35, o + 67)).toEqual(signer.publicKey);
      expect(b[o + 67]).toBe(7); // counter
      expect(b.subarray(o + 68, o + 100)).toEqual(UPDATE.prevHash);
      expect(b[o + 100]).toBe(0); // covers
      expect(b[o + 101]).toBe(9); // membership head seq
      expect(b.subarray(o + 102, o + 134)).toEqual(UPDATE.logHead.hash);
      expect(env.logHead).toEqual(UPDATE.logHead);
      expect(b.subarray(o + 134, o + 158)).toEqual(env.nonce);
      expect(b[o + 158]).toBe(sealedLength);
      expect(b.subarray(o + 159, o + 159 + sealedLength)).toEqual(env.sealed);
      expect(env.signedLength).toBe(o + 159 + sealedLength);
      expect(b.subarray(env.signedLength)).toEqual(env.signature);
      expect(env.bytes).toBe(b);

      // The ciphertext is plain XSalsa20-Poly1305 under the epoch key and the stored nonce…
      expect(env.sealed).toEqual(suite.secretbox.seal(PLAINTEXT, env.nonce, KEY));
      // …and the signature is Ed25519 over every byte before it, magic included (Ed25519 is
      // deterministic, so signing again gives the same 64 bytes).
      const signed = b.subarray(0, env.signedLength);
      expect(suite.ed25519.sign(signed, signer.seed, signer.publicKey)).toEqual(env.signature);
    });

    it('writes snapshots with kind 2, counter 0 and multi-byte varuints', () => {
      const header = { ...SNAPSHOT, epoch: 300, covers: 2 ** 40 };
      const b = sealEnvelope(suite, header, PLAINTEXT, KEY, signer);
      expect(b[4]).toBe(2);
      expect([...b.subarray(37, 39)]).toEqual([0xac, 0x02]); // 300 as LEB128
      const env = decodeEnvelope(b);
      expect([env.kind, env.epoch, env.counter, env.covers]).toEqual(['snapshot', 300, 0, 2 ** 40]);
    });

    it('carries the largest safe counter', () => {
      const env = decodeEnvelope(sealEnvelope(suite, { ...UPDATE, counter: Number.MAX_SAFE_INTEGER }, PLAINTEXT, KEY, signer));
      expect(env.counter).toBe(Number.MAX_SAFE_INTEGER);
    });

    it.each([
      ['an update with counter 0', { counter: 0 }],
      ['a snapshot with a counter', { kind: 'snapshot', counter: 1 }],
      ['a 15-byte vault id', { vaultId: fill(15, 1) }],
      ['a 17-byte scope id', { scopeId: fill(17, 1) }],
      ['a 31-byte previous hash', { prevHash: fill(31, 1) }],
      ['a negative epoch', { epoch: -1 }],
      ['a fractional epoch', { epoch: 1.5 }],
      ['an unsafe counter', { counter: 2 ** 53 }],
      ['a NaN covers', { covers: Number.NaN }],
    ] as const)('refuses to seal %s (INVALID_INPUT)', (_what, change) => {
      expect(outcome(() => sealEnvelope(suite, { ...UPDATE, ...change }, PLAINTEXT, KEY, signer))).toBe('INVALID_INPUT');
    });
  });

  describe('tampering', () => {
    it('flipping any one bit makes openVerifiedEnvelope throw TAMPERED', () => {
      fc.assert(
        fc.property(fc.nat(small.length - 1), fc.nat(7), (position, bit) => {
          expect(outcome(() => open(flip(small, position, bit)))).toBe('TAMPERED');
        }),
        { numRuns: tamperRuns },
      );
    });

    // Every bit of every byte (1,672 cases), so only with the native suite: the two
    // suites' verify() agree (suites.test.ts), and tweetnacl gets the sampled property above.
    it.runIf(suite === nodeSuite)('every bit of every byte is covered (exhaustive)', () => {
      const wrong: string[] = [];
      for (let position = 0; position < small.length; position++) {
        for (let bit = 0; bit < 8; bit++) {
          const result = outcome(() => open(flip(small, position, bit)));
          if (result !== 'TAMPERED') wrong.push(`byte ${position} bit ${bit}: ${result}`);
        }
      }
      expect(wrong).toEqual([]);
    });

    it('truncation at every length is TAMPERED', () => {
      const wrong: string[] = [];
      for (let n = 0; n < small.length; n++) {
        const result = outcome(() => open(small.subarray(0, n)));
        if (result !== 'TAMPERED') wrong.push(`length ${n}: ${result}`);
      }
      expect(wrong).toEqual([]);
    });

    it('appended bytes are TAMPERED', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }), (extra) => {
          expect(outcome(() => open(concatBytes(small, extra)))).toBe('TAMPERED');
        }),
        { numRuns: 100 },
      );
    });

    it('overwriting random bytes with random values is TAMPERED', () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(small.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (writes) => {
          const b = small.slice();
          for (const [at, value] of writes) b[at] = value;
          fc.pre(!equalBytes(b, small));
          expect(outcome(() => open(b))).toBe('TAMPERED');
        }),
        { numRuns: tamperRuns },
      );
    });

    it('the wrong epoch key is TAMPERED', () => {
      expect(outcome(() => openVerifiedEnvelope(suite, small, () => fill(KEY_BYTES, 0x45)))).toBe('TAMPERED');
    });

    it('a signature by another key, over the same bytes claiming the original author, is TAMPERED', () => {
      const env = decodeEnvelope(small);
      const signed = small.subarray(0, env.signedLength);
      const mallory = signerFor(suite, 0x66);
      const forged = concatBytes(small.subarray(0, env.signedLength), suite.ed25519.sign(signed, mallory.seed, mallory.publicKey));
      expect(decodeEnvelope(forged).author).toEqual(signer.publicKey);
      expect(outcome(() => open(forged))).toBe('TAMPERED');
      // Control: the author's own key reproduces the original bytes exactly.
      expect(concatBytes(small.subarray(0, env.signedLength), suite.ed25519.sign(signed, signer.seed, signer.publicKey))).toEqual(small);
    });

    it('an envelope re-sealed by another author names that author (callers compare)', () => {
      const mallory = signerFor(suite, 0x66);
      const env = openVerifiedEnvelope(suite, sealEnvelope(suite, UPDATE, PLAINTEXT, KEY, mallory), () => KEY).envelope;
      expect(equalBytes(env.author, mallory.publicKey)).toBe(true);
      expect(equalBytes(env.author, signer.publicKey)).toBe(false);
    });

    it('a valid envelope from another vault decodes with its own vault id (callers compare)', () => {
      const otherVault = fill(16, 0x77);
      const { envelope } = open(sealEnvelope(suite, { ...UPDATE, vaultId: otherVault }, PLAINTEXT, KEY, signer));
      expect(envelope.vaultId).toEqual(otherVault);
      expect(equalBytes(envelope.vaultId, UPDATE.vaultId)).toBe(false);
    });

    it('reads a version 1 envelope (no membership head) as naming head 0', () => {
      // Version 1 is version 2 without the two head fields, signed over its own bytes.
      const v2 = decodeEnvelope(small);
      const headAt = v2.signedLength - (24 + 1 + v2.sealed.length) - 33;
      const body = concatBytes(small.subarray(0, headAt), small.subarray(headAt + 33, v2.signedLength));
      body[3] = 1;
      const v1 = concatBytes(body, suite.ed25519.sign(body, signer.seed, signer.publicKey));
      const { envelope, plaintext } = open(v1);
      expect([envelope.version, envelope.logHead.seq, equalBytes(envelope.logHead.hash, ZERO_HASH)]).toEqual([1, 0, true]);
      expect(plaintext).toEqual(PLAINTEXT);
    });

    it('an unknown format version is UNSUPPORTED_VERSION to decode and TAMPERED to open', () => {
      const b = small.slice();
      b[3] = 3;
      expect(outcome(() => decodeEnvelope(b))).toBe('UNSUPPORTED_VERSION');
      expect(outcome(() => open(b))).toBe('TAMPERED');
    });

    it('a snapshot relabelled as an update (counter 0) is MALFORMED to decode', () => {
      const b = sealEnvelope(suite, SNAPSHOT, PLAINTEXT, KEY, signer);
      b[4] = 1;
      expect(outcome(() => decodeEnvelope(b))).toBe('MALFORMED');
      expect(outcome(() => open(b))).toBe('TAMPERED');
    });

    // Accepting S + L would let anyone turn one valid envelope into a second, byte-different
    // valid one (a different envelopeHash for the same update).
    it('a re-encoded signature (S + L) is TAMPERED', () => {
      const L = (1n << 252n) + 27742317777372353535851937790883648493n;
      const b = small.slice();
      const at = b.length - 32;
      let s = 0n;
      for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(b[at + i]!);
      s += L;
      for (let i = 0; i < 32; i++, s >>= 8n) b[at + i] = Number(s & 0xffn);
      expect(outcome(() => open(b))).toBe('TAMPERED');
    });

    // Accepting small-order keys would let anyone relabel a genuine ciphertext as written by
    // the identity point, with the signature (R = identity, S = 0).
    it('an envelope claiming a small-order author with a trivial signature is TAMPERED', () => {
      const env = decodeEnvelope(small);
      const identity = new Uint8Array(32);
      identity[0] = 1;
      const b = small.slice(0, env.signedLength);
      b.set(identity, 35); // the author field
      const forged = concatBytes(b, identity, new Uint8Array(32));
      expect(outcome(() => open(forged))).toBe('TAMPERED');
    });
  });

  describe('skipSignature', () => {
    const env = decodeEnvelope(small);
    const sealedStart = env.signedLength - env.sealed.length;
    const nonceStart = sealedStart - 1 - NONCE_BYTES; // one-byte length before the ciphertext

    it('still rejects any flipped bit in the nonce or ciphertext (the MAC)', () => {
      const wrong: string[] = [];
      for (let position = nonceStart; position < env.signedLength; position++) {
        for (let bit = 0; bit < 8; bit++) {
          const result = outcome(() => open(flip(small, position, bit), { skipSignature: true }));
          if (result !== 'TAMPERED') wrong.push(`byte ${position} bit ${bit}: ${result}`);
        }
      }
      expect(wrong).toEqual([]);
    });

    it('skips the signature and nothing else: the header is then unauthenticated', () => {
      const badSignature = flip(small, small.length - 1, 0);
      expect(open(badSignature, { skipSignature: true }).plaintext).toEqual(PLAINTEXT);
      const otherScope = flip(small, 21, 0); // the scope id
      expect(open(otherScope, { skipSignature: true }).envelope.scopeId).not.toEqual(UPDATE.scopeId);
      expect(outcome(() => open(otherScope))).toBe('TAMPERED');
    });
  });
});

describe('decoding random bytes', () => {
  const allowed = new Set(['returned', 'MALFORMED', 'UNSUPPORTED_VERSION']);
  const garbage = fc.oneof(
    fc.uint8Array({ maxLength: 400 }),
    // Past the magic, version and kind bytes, so the fuzz reaches the later fields.
    fc.tuple(fc.constantFrom(1, 2), fc.uint8Array({ maxLength: 400 })).map(([kind, rest]) => concatBytes(new Uint8Array([0x54, 0x53, 0x45, 1, kind]), rest)),
  );

  it('decodeEnvelope returns or throws MALFORMED / UNSUPPORTED_VERSION, nothing else', () => {
    fc.assert(
      fc.property(garbage, (b) => {
        expect(allowed.has(outcome(() => decodeEnvelope(b)))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('openVerifiedEnvelope throws TAMPERED', () => {
    fc.assert(
      fc.property(garbage, (b) => {
        expect(outcome(() => openVerifiedEnvelope(nodeSuite, b, () => KEY))).toBe('TAMPERED');
      }),
      { numRuns: 500 },
    );
  });

  it('a sealed length above the limit is MALFORMED before anything is read', () => {
    const env = decodeEnvelope(sealEnvelope(nodeSuite, UPDATE, PLAINTEXT, KEY, signerFor(nodeSuite, 1)));
    const prefix = env.bytes.subarray(0, env.signedLength - env.sealed.length - 1);
    const tooLong = [0x81, 0x80, 0x80, 0x80, 0x01]; // 2^28 + 1 as LEB128
    expect(MAX_SEALED_BYTES).toBeLessThan(2 ** 28 + 1);
    expect(outcome(() => decodeEnvelope(concatBytes(prefix, new Uint8Array(tooLong))))).toBe('MALFORMED');
  });
});

describe('snapshot codec', () => {
  const head = fc.record({ author: fc.uint8Array({ minLength: 32, maxLength: 32 }), counter: fc.maxSafeNat(), hash: fc.uint8Array({ minLength: 32, maxLength: 32 }) });
  const snapshot = fc.tuple(fc.array(head, { maxLength: 20 }), fc.uint8Array({ maxLength: 2048 })).map(([list, state]) => {
    const heads: ChainHeads = new Map(list.map((h) => [toBase64Url(h.author), { counter: h.counter, hash: h.hash }]));
    return { heads, state };
  });
  const malformedOrReturned = (b: Uint8Array) => ['returned', 'MALFORMED'].includes(outcome(() => decodeSnapshot(b)));

  it('decode(encode(x)) is x, and encoding is canonical', () => {
    fc.assert(
      fc.property(snapshot, ({ heads, state }) => {
        const bytes = encodeSnapshot(heads, state);
        const decoded = decodeSnapshot(bytes);
        expect(decoded.heads).toEqual(heads);
        expect(decoded.state).toEqual(state);
        expect(encodeSnapshot(decoded.heads, decoded.state)).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });

  it('travels inside a snapshot envelope', () => {
    const signer = signerFor(nodeSuite, 9);
    const heads: ChainHeads = new Map([[toBase64Url(signer.publicKey), { counter: 42, hash: fill(32, 0xab) }]]);
    const state = utf8.encode('yjs state');
    const bytes = sealEnvelope(nodeSuite, SNAPSHOT, encodeSnapshot(heads, state), KEY, signer);
    const { plaintext, envelope } = openVerifiedEnvelope(nodeSuite, bytes, () => KEY);
    expect(envelope.kind).toBe('snapshot');
    expect(decodeSnapshot(plaintext)).toEqual({ heads, state });
  });

  it('random bytes decode or throw MALFORMED, never crash', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }).map((b) => concatBytes(new Uint8Array([1]), b))), (b) => {
        expect(malformedOrReturned(b)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('a valid snapshot with bytes overwritten decodes or throws MALFORMED', () => {
    fc.assert(
      fc.property(snapshot, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), ({ heads, state }, writes) => {
        const b = encodeSnapshot(heads, state);
        for (const [at, value] of writes) b[at % b.length] = value;
        expect(malformedOrReturned(b)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('truncated or extended snapshots are MALFORMED', () => {
    fc.assert(
      fc.property(snapshot, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 40 }), ({ heads, state }, cut, extra) => {
        const b = encodeSnapshot(heads, state);
        expect(outcome(() => decodeSnapshot(b.subarray(0, cut % b.length)))).toBe('MALFORMED');
        expect(outcome(() => decodeSnapshot(concatBytes(b, extra)))).toBe('MALFORMED');
      }),
      { numRuns: 200 },
    );
  });

  it.each([
    ['empty input', []],
    ['an unknown snapshot format', [2, 0, 0]],
    ['more than a million authors', [1, 0xc1, 0x84, 0x3d, 0]], // 1_000_001
    ['an overlong varuint', [1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]],
    ['a state longer than the input', [1, 0, 10, 1, 2, 3]],
    ['a state above the size limit', [1, 0, 0x81, 0x80, 0x80, 0x80, 0x01]],
  ])('%s is MALFORMED', (_what, b) => {
    expect(outcome(() => decodeSnapshot(new Uint8Array(b)))).toBe('MALFORMED');
  });

  // A 31-byte author or hash would yield a snapshot no one can decode; a counter of -1 would
  // be written as 127.
  it('encodeSnapshot refuses chain heads it could not read back', () => {
    const author = toBase64Url(fill(32, 1));
    const bad: ChainHeads[] = [
      new Map([[toBase64Url(fill(31, 1)), { counter: 1, hash: fill(32, 2) }]]),
      new Map([[author, { counter: 1, hash: fill(31, 2) }]]),
      new Map([[author, { counter: -1, hash: fill(32, 2) }]]),
    ];
    for (const heads of bad) expect(outcome(() => encodeSnapshot(heads, new Uint8Array(0)))).not.toBe('returned');
  });
});
