/**
 * Scope keys in transit between members: wrapped to one member's X25519 key, or sealed
 * under a newer epoch of the same scope (history), each bound to where it belongs.
 *
 *   wrapped  = ephemeral X25519 public key 32 | nonce 24 | box(context 32 ‖ key 32) 80
 *   history  = nonce 24 | secretbox(context 32 ‖ previous epoch's key 32) 80
 *
 * The wrap is an anonymous sealed box (a fresh ephemeral key per wrap, like libsodium's
 * crypto_box_seal but with a random nonce): the author is proven by the entry's signature,
 * not by the box. The context hash names vault, scope, epoch and recipient, and is checked
 * on opening, so a key cannot be presented as another scope's or another epoch's even by
 * someone able to assemble entries (a member copying a wrap from one entry into another).
 */
import * as encoding from 'lib0/encoding';
import { concatBytes, equalBytes, utf8, wipe } from '../crypto/bytes';
import { hash32, HASH_BYTES } from '../crypto/hash';
import { KEY_BYTES, MAC_BYTES, NONCE_BYTES, PUBLIC_KEY_BYTES, type CryptoSuite } from '../crypto/suite';
import { TesseraError } from '../errors';
import { refuse } from './refusal';

export const WRAPPED_KEY_BYTES = PUBLIC_KEY_BYTES + NONCE_BYTES + MAC_BYTES + HASH_BYTES + KEY_BYTES;
export const SEALED_HISTORY_BYTES = NONCE_BYTES + MAC_BYTES + HASH_BYTES + KEY_BYTES;
export const MAX_NAME_BYTES = 256;
/** Size bounds of a sealed display name, for the decoder. */
export const SEALED_NAME_MIN = NONCE_BYTES + MAC_BYTES + HASH_BYTES + 1;
export const SEALED_NAME_MAX = NONCE_BYTES + MAC_BYTES + HASH_BYTES + MAX_NAME_BYTES;

/** Where a wrapped key belongs: one scope's key at one epoch, for one member. */
export interface WrapContext {
  readonly vaultId: Uint8Array;
  readonly scopeId: Uint8Array;
  readonly epoch: number;
}

function contextHash(domain: string, ctx: WrapContext, recipient?: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeUint8Array(e, ctx.vaultId);
  encoding.writeUint8Array(e, ctx.scopeId);
  encoding.writeVarUint(e, ctx.epoch);
  if (recipient) encoding.writeUint8Array(e, recipient);
  return hash32(domain, encoding.toUint8Array(e));
}

const WRAP_DOMAIN = 'tessera/membership/wrap/v1';
const HISTORY_DOMAIN = 'tessera/membership/history/v1';
const NAME_DOMAIN = 'tessera/membership/name/v1';
const ENVIRONMENT_NAME_DOMAIN = 'tessera/membership/environment-name/v1';

// X25519 points of small order (libsodium's has_small_order blocklist, compared with the top
// bit masked off): the shared secret with them is a constant, so a "wrap" to such a key is
// readable by anyone. tweetnacl boxes to them without complaint; libsodium refuses.
/** X25519 public keys of small order (libsodium's blocklist), compared without the top bit. */
export const SMALL_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map((h) => Uint8Array.from({ length: 32 }, (_, i) => parseInt(h.slice(i * 2, i * 2 + 2), 16)));

/** True for an X25519 public key nobody should wrap to (small order, any encoding of it). */
export function isWeakBoxKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES) return true;
  return SMALL_ORDER.some((b) => {
    let d = (publicKey[31]! & 0x7f) ^ b[31]!;
    for (let i = 0; i < 31; i++) d |= publicKey[i]! ^ b[i]!;
    return d === 0;
  });
}

/** Wraps a 32-byte scope key to `recipient` (an X25519 public key). Throws INVALID_INPUT (WEAK_KEY). */
export function wrapKey(suite: CryptoSuite, key: Uint8Array, recipient: Uint8Array, ctx: WrapContext): Uint8Array {
  if (key.length !== KEY_BYTES) refuse('NO_KEY', 'A scope key must be 32 bytes');
  if (isWeakBoxKey(recipient)) refuse('WEAK_KEY', 'Refusing to wrap a key to a weak public key');
  const ephemeralSecret = suite.randomBytes(KEY_BYTES);
  const ephemeralPublic = suite.box.publicKeyFromSecret(ephemeralSecret);
  const nonce = suite.randomBytes(NONCE_BYTES);
  const plain = concatBytes(contextHash(WRAP_DOMAIN, ctx, recipient), key);
  const boxed = suite.box.seal(plain, nonce, recipient, ephemeralSecret);
  wipe(plain, ephemeralSecret);
  return concatBytes(ephemeralPublic, nonce, boxed);
}

/**
 * Opens a wrap addressed to this member, checking it belongs to `ctx`. `myBoxPublicKey`
 * saves deriving it again when opening many. Throws TAMPERED (BAD_WRAP) when it does not
 * open or belongs elsewhere.
 */
export function unwrapKey(
  suite: CryptoSuite,
  wrapped: Uint8Array,
  myBoxSecretKey: Uint8Array,
  ctx: WrapContext,
  myBoxPublicKey: Uint8Array = suite.box.publicKeyFromSecret(myBoxSecretKey),
): Uint8Array {
  if (wrapped.length !== WRAPPED_KEY_BYTES) refuse('BAD_WRAP', 'A wrapped key has the wrong size');
  const ephemeralPublic = wrapped.subarray(0, PUBLIC_KEY_BYTES);
  // X25519 ignores the top bit of a public key, so a wrap with it flipped would still open:
  // refuse that second spelling, so that a wrap has exactly one valid form.
  if (ephemeralPublic[PUBLIC_KEY_BYTES - 1]! & 0x80) refuse('BAD_WRAP', 'A wrapped key has a non-canonical ephemeral key');
  const nonce = wrapped.subarray(PUBLIC_KEY_BYTES, PUBLIC_KEY_BYTES + NONCE_BYTES);
  const plain = suite.box.open(wrapped.subarray(PUBLIC_KEY_BYTES + NONCE_BYTES), nonce, ephemeralPublic, myBoxSecretKey);
  return checkedKey(plain, contextHash(WRAP_DOMAIN, ctx, myBoxPublicKey), 'A wrapped key');
}

/** Seals the key of epoch `ctx.epoch` under the key of the epoch after it. */
export function sealHistory(suite: CryptoSuite, previousKey: Uint8Array, newKey: Uint8Array, ctx: WrapContext): Uint8Array {
  if (previousKey.length !== KEY_BYTES) refuse('NO_KEY', 'A scope key must be 32 bytes');
  const nonce = suite.randomBytes(NONCE_BYTES);
  const plain = concatBytes(contextHash(HISTORY_DOMAIN, ctx), previousKey);
  const sealed = suite.secretbox.seal(plain, nonce, newKey);
  wipe(plain);
  return concatBytes(nonce, sealed);
}

/** Opens a history key with the newer epoch's key. Throws TAMPERED (BAD_WRAP). */
export function openHistory(suite: CryptoSuite, sealed: Uint8Array, newKey: Uint8Array, ctx: WrapContext): Uint8Array {
  if (sealed.length !== SEALED_HISTORY_BYTES) refuse('BAD_WRAP', 'A history key has the wrong size');
  const plain = suite.secretbox.open(sealed.subarray(NONCE_BYTES), sealed.subarray(0, NONCE_BYTES), newKey);
  return checkedKey(plain, contextHash(HISTORY_DOMAIN, ctx), 'A history key');
}

/**
 * Seals a member's display name under the meta scope key of `ctx.epoch`: the relay stores
 * the log and must never see a name (DESIGN.md, threat model), while every member holds the
 * meta key. Bound to the member's signing key so a name cannot be moved to someone else.
 * Throws INVALID_NAME for an empty name or one over MAX_NAME_BYTES.
 */
export function sealName(suite: CryptoSuite, name: string, metaKey: Uint8Array, ctx: WrapContext, member: Uint8Array): Uint8Array {
  return sealUnder(suite, NAME_DOMAIN, name, metaKey, ctx, member);
}

/** Opens a sealed display name with the meta key of its epoch. Throws TAMPERED (BAD_WRAP). */
export function openName(suite: CryptoSuite, sealed: Uint8Array, metaKey: Uint8Array, ctx: WrapContext, member: Uint8Array): string {
  return openUnder(suite, NAME_DOMAIN, sealed, metaKey, ctx, member, 'A display name');
}

/**
 * Seals an environment's name for the membership log, bound to its scope id so that a name
 * cannot be moved to another environment. Throws INVALID_NAME as sealName.
 */
export function sealEnvironmentName(suite: CryptoSuite, name: string, metaKey: Uint8Array, ctx: WrapContext, scopeId: Uint8Array): Uint8Array {
  return sealUnder(suite, ENVIRONMENT_NAME_DOMAIN, name, metaKey, ctx, scopeId);
}

/** Opens an environment name sealed by sealEnvironmentName. Throws TAMPERED (BAD_WRAP). */
export function openEnvironmentName(suite: CryptoSuite, sealed: Uint8Array, metaKey: Uint8Array, ctx: WrapContext, scopeId: Uint8Array): string {
  return openUnder(suite, ENVIRONMENT_NAME_DOMAIN, sealed, metaKey, ctx, scopeId, 'An environment name');
}

function sealUnder(suite: CryptoSuite, domain: string, name: string, metaKey: Uint8Array, ctx: WrapContext, subject: Uint8Array): Uint8Array {
  const text = utf8.encode(name.normalize('NFC'));
  if (text.length === 0 || text.length > MAX_NAME_BYTES || name.trim() !== name) {
    throw new TesseraError('INVALID_NAME', `A display name must be 1 to ${MAX_NAME_BYTES} bytes, without surrounding spaces`);
  }
  const nonce = suite.randomBytes(NONCE_BYTES);
  return concatBytes(nonce, suite.secretbox.seal(concatBytes(contextHash(domain, ctx, subject), text), nonce, metaKey));
}

function openUnder(suite: CryptoSuite, domain: string, sealed: Uint8Array, metaKey: Uint8Array, ctx: WrapContext, subject: Uint8Array, what: string): string {
  const plain = sealed.length > NONCE_BYTES ? suite.secretbox.open(sealed.subarray(NONCE_BYTES), sealed.subarray(0, NONCE_BYTES), metaKey) : null;
  if (!plain || plain.length <= HASH_BYTES) return refuse('BAD_WRAP', `${what} does not open`);
  if (!equalBytes(plain.subarray(0, HASH_BYTES), contextHash(domain, ctx, subject))) {
    refuse('BAD_WRAP', `${what} belongs to another ${domain === NAME_DOMAIN ? 'member' : 'environment'} or epoch`);
  }
  return utf8.decode(plain.subarray(HASH_BYTES));
}

function checkedKey(plain: Uint8Array | null, expectedContext: Uint8Array, what: string): Uint8Array {
  if (!plain || plain.length !== HASH_BYTES + KEY_BYTES) return refuse('BAD_WRAP', `${what} does not open`);
  const ok = equalBytes(plain.subarray(0, HASH_BYTES), expectedContext);
  const key = plain.slice(HASH_BYTES);
  wipe(plain);
  if (!ok) refuse('BAD_WRAP', `${what} belongs to another scope, epoch or member`);
  return key;
}
