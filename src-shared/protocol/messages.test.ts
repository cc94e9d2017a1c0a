// The wire protocol: every message survives a round trip, and whatever else arrives
// (truncated, extended, flipped, random) decodes to a TesseraError MALFORMED or
// UNSUPPORTED_VERSION, never another exception: a relay or client must not crash on it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTesseraError } from '../errors';
import {
  authMessage,
  decodeClientMessage,
  decodeRelayMessage,
  encodeClientMessage,
  encodeRelayMessage,
  MAX_RUN_ENVELOPES,
  PROTOCOL_VERSION,
  type ClientMessage,
  type RelayErrorCode,
  type RelayMessage,
} from './messages';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const id = bytes(16);
const requestId = fc.nat();
const seq = fc.maxSafeNat();
const blob = fc.uint8Array({ maxLength: 600 });
const cursors = fc.array(fc.record({ scopeId: id, since: seq }), { maxLength: 20 });
const text = fc.string({ unit: 'grapheme', maxLength: 200 });
const code = fc.constantFrom<RelayErrorCode>('MALFORMED_FRAME', 'REPLAY', 'STALE_EPOCH', 'INTERNAL');

const relayMessage: fc.Arbitrary<RelayMessage> = fc.oneof(
  fc.record({ type: fc.constant('challenge' as const), nonce: bytes(32) }),
  fc.constant({ type: 'auth-ok' as const }),
  fc.record({ type: fc.constant('error' as const), requestId, code, message: text }),
  fc.record({ type: fc.constant('ack' as const), requestId, scopeId: id, seq }),
  fc.record({ type: fc.constant('registered' as const), requestId }),
  fc.record({ type: fc.constant('deliver' as const), vaultId: id, scopeId: id, seq, envelope: blob }),
  fc.record({ type: fc.constant('synced' as const), requestId, vaultId: id, heads: cursors }),
  fc.record({ type: fc.constant('deliver-run' as const), vaultId: id, scopeId: id, firstSeq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), envelopes: fc.array(blob, { minLength: 1, maxLength: 8 }) }),
);

const clientMessage: fc.Arbitrary<ClientMessage> = fc.oneof(
  fc.record({ type: fc.constant('auth' as const), publicKey: bytes(32), signature: bytes(64) }),
  fc.record({ type: fc.constant('register' as const), requestId, vaultId: id }),
  fc.record({ type: fc.constant('subscribe' as const), requestId, vaultId: id, cursors }),
  fc.record({ type: fc.constant('push' as const), requestId, envelope: blob }),
  fc.record({ type: fc.constant('unsubscribe' as const), vaultId: id }),
);

const ALL_RELAY_TYPES = ['challenge', 'auth-ok', 'error', 'ack', 'registered', 'deliver', 'synced', 'deliver-run'];
const ALL_CLIENT_TYPES = ['auth', 'register', 'subscribe', 'push', 'unsubscribe'];

/** Decodes, or throws only the two errors the protocol promises. */
function decodesOrRefuses(decode: (b: Uint8Array) => unknown, input: Uint8Array): unknown {
  try {
    return decode(input);
  } catch (e) {
    if (isTesseraError(e) && (e.code === 'MALFORMED' || e.code === 'UNSUPPORTED_VERSION')) return e;
    throw e;
  }
}

const sides = [
  { name: 'relay → client', arb: relayMessage as fc.Arbitrary<unknown>, encode: (m: unknown) => encodeRelayMessage(m as RelayMessage), decode: (b: Uint8Array) => decodeRelayMessage(b) },
  { name: 'client → relay', arb: clientMessage as fc.Arbitrary<unknown>, encode: (m: unknown) => encodeClientMessage(m as ClientMessage), decode: (b: Uint8Array) => decodeClientMessage(b) },
];

describe.each(sides)('$name messages', ({ arb, encode, decode }) => {
  it('round-trip', () => {
    fc.assert(
      fc.property(arb, (m) => {
        expect(decode(encode(m))).toEqual(m);
      }),
      { numRuns: 500 },
    );
  });

  it('refuse every truncation', () => {
    fc.assert(
      fc.property(arb, (m) => {
        const full = encode(m);
        for (let n = 0; n < full.length; n++) {
          const e = decodesOrRefuses(decode, full.subarray(0, n));
          expect(isTesseraError(e), `prefix of ${n}/${full.length} bytes`).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuse any extension', () => {
    fc.assert(
      fc.property(arb, fc.uint8Array({ minLength: 1, maxLength: 40 }), (m, extra) => {
        const full = encode(m);
        const longer = new Uint8Array(full.length + extra.length);
        longer.set(full);
        longer.set(extra, full.length);
        expect(decodesOrRefuses(decode, longer)).toMatchObject({ code: 'MALFORMED' });
      }),
      { numRuns: 300 },
    );
  });

  it('refuse another protocol version', () => {
    fc.assert(
      fc.property(arb, fc.integer({ min: 0, max: 255 }).filter((v) => v !== PROTOCOL_VERSION), (m, version) => {
        const frame = encode(m).slice();
        frame[0] = version;
        expect(decodesOrRefuses(decode, frame)).toMatchObject({ code: 'UNSUPPORTED_VERSION' });
      }),
    );
  });

  it('never throw anything else on flipped bytes', () => {
    fc.assert(
      fc.property(arb, fc.nat(), fc.integer({ min: 1, max: 255 }), (m, at, xor) => {
        const frame = encode(m).slice();
        frame[at % frame.length]! ^= xor;
        const out = decodesOrRefuses(decode, frame);
        // What still decodes is a well-formed message that encodes again.
        if (!isTesseraError(out)) expect(decode(encode(out))).toEqual(out);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throw anything else on random bytes', () => {
    const version = fc.uint8Array({ maxLength: 200 }).map((b) => (b.length > 0 ? Uint8Array.of(PROTOCOL_VERSION, ...b) : b));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), version), (b) => {
        const out = decodesOrRefuses(decode, b);
        if (!isTesseraError(out)) expect(decode(encode(out))).toEqual(out);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('message types', () => {
  it('cover every type on each side, each with its own code', () => {
    const seen = (arb: fc.Arbitrary<{ type: string }>) => new Set(fc.sample(arb, 500).map((m) => m.type));
    expect([...seen(relayMessage)].sort()).toEqual([...ALL_RELAY_TYPES].sort());
    expect([...seen(clientMessage)].sort()).toEqual([...ALL_CLIENT_TYPES].sort());
    // A relay frame is never a valid client frame and the other way round.
    for (const m of fc.sample(relayMessage, 200)) expect(isTesseraError(decodesOrRefuses(decodeClientMessage, encodeRelayMessage(m)))).toBe(true);
    for (const m of fc.sample(clientMessage, 200)) expect(isTesseraError(decodesOrRefuses(decodeRelayMessage, encodeClientMessage(m)))).toBe(true);
  });

  it('refuse an envelope over the given limit', () => {
    const frame = encodeClientMessage({ type: 'push', requestId: 1, envelope: new Uint8Array(100) });
    expect(decodesOrRefuses((b) => decodeClientMessage(b, 99), frame)).toMatchObject({ code: 'MALFORMED' });
    expect(decodeClientMessage(frame, 100)).toMatchObject({ type: 'push' });
  });

  it('refuse a run that is empty, too long, or starts at seq 0', () => {
    const run = (firstSeq: number, n: number) =>
      encodeRelayMessage({ type: 'deliver-run', vaultId: new Uint8Array(16), scopeId: new Uint8Array(16), firstSeq, envelopes: Array.from({ length: n }, () => new Uint8Array(1)) });
    expect(decodeRelayMessage(run(1, MAX_RUN_ENVELOPES))).toMatchObject({ type: 'deliver-run', firstSeq: 1 });
    for (const frame of [run(1, 0), run(1, MAX_RUN_ENVELOPES + 1), run(0, 1)]) {
      expect(decodesOrRefuses((b) => decodeRelayMessage(b), frame)).toMatchObject({ code: 'MALFORMED' });
    }
  });

  it('sign the challenge under a domain of its own', () => {
    const nonce = new Uint8Array(32).fill(7);
    const signed = authMessage(nonce);
    expect(new TextDecoder().decode(signed.subarray(0, signed.length - 32))).toBe('tessera/relay-auth/v1\0');
    expect(signed.subarray(-32)).toEqual(nonce);
  });
});

describe('membership and join messages', () => {
  const id = () => new Uint8Array(16).map((_, i) => i + 1);
  it('round-trip', () => {
    const entries = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(300).fill(7)];
    for (const m of [
      { type: 'log-append', requestId: 5, vaultId: id(), entry: entries[2]! },
      { type: 'log-fetch', requestId: 6, vaultId: id(), from: 3 },
      { type: 'join', requestId: 7, vaultId: id(), request: entries[0]! },
      { type: 'join-list', requestId: 8, vaultId: id() },
      { type: 'register', requestId: 9, vaultId: id(), genesis: entries[2]! },
      { type: 'register', requestId: 10, vaultId: id() },
    ] as const) {
      expect(decodeClientMessage(encodeClientMessage(m))).toEqual(m);
    }
    for (const m of [
      { type: 'logged', requestId: 1, seq: 4 },
      { type: 'log', requestId: 0, vaultId: id(), from: 2, entries, length: 5 },
      { type: 'join-ok', requestId: 3 },
      { type: 'joins', requestId: 4, vaultId: id(), requests: entries },
    ] as const) {
      expect(decodeRelayMessage(encodeRelayMessage(m))).toEqual(m);
    }
  });
});
