/**
 * Invites and join requests: how a new member's keys reach the vault's managers without the
 * relay being able to swap them, and how the joiner knows which vault (genesis) it joins.
 *
 * The invite code, passed out of band (chat, a call), carries the relay URL, the vault id,
 * an invite id, a 32-byte invite secret, the hash of the vault's membership genesis and
 * (format 2) the vault's name, so that the joiner can call it by name before it can read the
 * vault's metadata. The name is the inviter's label, shown until the metadata arrives; the
 * relay never sees the code.
 * The join request the joiner sends through the relay carries its public keys and name,
 * an HMAC under the invite secret (only someone holding the code could make it: the relay
 * cannot substitute its own keys) and the joiner's signature (it holds the key it names).
 * The name is sealed under a key derived from the secret: the relay sees no names. The
 * manager still compares fingerprints with the joiner before approving.
 */
import * as encoding from 'lib0/encoding';
import { concatBytes, equalBytes, fromBase64Url, toBase64Url, utf8 } from '../crypto/bytes';
import { hash32 } from '../crypto/hash';
import { hmacSha512 } from '../crypto/hmac';
import type { PublicIdentity } from '../crypto/identity';
import { KEY_BYTES, NONCE_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, type CryptoSuite } from '../crypto/suite';
import { ID_BYTES, type SigningKey } from '../envelope/envelope';
import { ByteReader } from '../envelope/reader';
import { TesseraError } from '../errors';

export interface Invite {
  readonly relay: string;
  readonly vaultId: Uint8Array;
  readonly inviteId: Uint8Array;
  readonly secret: Uint8Array;
  readonly genesisHash: Uint8Array;
  /** The vault's name as the inviter knows it ('' in a format 1 code). */
  readonly vaultName: string;
}

const CODE_PREFIX = 'tessera-invite-2.';
/** Codes from before the vault's name was in them: still accepted. */
const LEGACY_CODE_PREFIX = 'tessera-invite-1.';
const MAX_NAME_BYTES = 256;
const MAX_URL_BYTES = 2048;

export function encodeInviteCode(i: Invite): string {
  return CODE_PREFIX + toBase64Url(encodePayload(i));
}

function encodePayload(i: Invite): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarString(e, i.relay);
  encoding.writeUint8Array(e, i.vaultId);
  encoding.writeUint8Array(e, i.inviteId);
  encoding.writeUint8Array(e, i.secret);
  encoding.writeUint8Array(e, i.genesisHash);
  const name = utf8.encode(i.vaultName);
  if (name.length > MAX_NAME_BYTES) throw new TesseraError('INVALID_INPUT', `A vault name is at most ${MAX_NAME_BYTES} bytes`);
  encoding.writeVarUint8Array(e, name);
  return encoding.toUint8Array(e);
}

function readPayload(r: ByteReader, legacy: boolean): Invite {
  const relay = utf8.decode(r.sized(MAX_URL_BYTES));
  const fields = { relay, vaultId: r.fixed(ID_BYTES), inviteId: r.fixed(ID_BYTES), secret: r.fixed(KEY_BYTES), genesisHash: r.fixed(32) };
  const vaultName = legacy ? '' : utf8.decode(r.sized(MAX_NAME_BYTES));
  return { ...fields, vaultName };
}

/** Throws INVALID_INPUT for anything that is not a whole, well-formed invite code. */
export function decodeInviteCode(code: string): Invite {
  const trimmed = code.trim();
  const legacy = trimmed.startsWith(LEGACY_CODE_PREFIX);
  if (trimmed.startsWith(DEVICE_CODE_PREFIX)) throw new TesseraError('INVALID_INPUT', 'This is a device link code: run tessera device add CODE on the new computer');
  if (!legacy && !trimmed.startsWith(CODE_PREFIX)) throw new TesseraError('INVALID_INPUT', 'Not a Tessera invite code (it starts with tessera-invite-2.)');
  try {
    const r: ByteReader = new ByteReader(fromBase64Url(trimmed.slice(CODE_PREFIX.length)), 'invite code');
    const invite = readPayload(r, legacy);
    r.end();
    return invite;
  } catch {
    throw new TesseraError('INVALID_INPUT', 'This invite code is damaged or incomplete: ask for it again');
  }
}

/**
 * A device link code: an invite to one of the person's vaults (the vault the two devices
 * meet through) plus the sign key of the device that made it, which must sign the new
 * device's entries. Its request and approval are a join's; what the approval appends is a
 * device-add entry in every vault the person holds.
 */
export interface DeviceLink extends Invite {
  readonly linker: Uint8Array;
}

const DEVICE_CODE_PREFIX = 'tessera-device-1.';

export function encodeDeviceCode(link: DeviceLink): string {
  if (link.linker.length !== PUBLIC_KEY_BYTES) throw new TesseraError('INVALID_INPUT', 'A device link names the linking device’s sign key');
  return DEVICE_CODE_PREFIX + toBase64Url(concatBytes(encodePayload(link), link.linker));
}

/** Throws INVALID_INPUT for anything that is not a whole, well-formed device link code. */
export function decodeDeviceCode(code: string): DeviceLink {
  const trimmed = code.trim();
  if (trimmed.startsWith(CODE_PREFIX) || trimmed.startsWith(LEGACY_CODE_PREFIX)) {
    throw new TesseraError('INVALID_INPUT', 'This is an invite to a vault: run tessera join CODE');
  }
  if (!trimmed.startsWith(DEVICE_CODE_PREFIX)) throw new TesseraError('INVALID_INPUT', `Not a Tessera device link code (it starts with ${DEVICE_CODE_PREFIX})`);
  try {
    const r: ByteReader = new ByteReader(fromBase64Url(trimmed.slice(DEVICE_CODE_PREFIX.length)), 'device link code');
    const invite = readPayload(r, false);
    const linker = r.fixed(PUBLIC_KEY_BYTES);
    r.end();
    return { ...invite, linker };
  } catch {
    throw new TesseraError('INVALID_INPUT', 'This device link code is damaged or incomplete: run tessera device link again');
  }
}

export interface JoinRequest {
  readonly vaultId: Uint8Array;
  readonly inviteId: Uint8Array;
  readonly identity: PublicIdentity;
  readonly at: number;
  readonly nonce: Uint8Array;
  readonly sealedName: Uint8Array;
  readonly proof: Uint8Array;
  readonly signature: Uint8Array;
  readonly bytes: Uint8Array;
}

const nameKey = (secret: Uint8Array) => hash32('tessera/join-name/v1', secret);
const JOIN_MAGIC = utf8.encode('TSJ');

function body(r: Omit<JoinRequest, 'proof' | 'signature' | 'bytes'>): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeUint8Array(e, JOIN_MAGIC);
  encoding.writeUint8Array(e, r.vaultId);
  encoding.writeUint8Array(e, r.inviteId);
  encoding.writeUint8Array(e, r.identity.signPublicKey);
  encoding.writeUint8Array(e, r.identity.boxPublicKey);
  encoding.writeVarUint(e, r.at);
  encoding.writeUint8Array(e, r.nonce);
  encoding.writeVarUint8Array(e, r.sealedName);
  return encoding.toUint8Array(e);
}

/** The joiner's request: its keys and (sealed) name, proven with the invite and its own key. */
export function createJoinRequest(suite: CryptoSuite, invite: Invite, signer: SigningKey, boxPublicKey: Uint8Array, name: string, at = Date.now()): Uint8Array {
  const nonce = suite.randomBytes(NONCE_BYTES);
  const nameBytes = utf8.encode(name);
  if (nameBytes.length > MAX_NAME_BYTES) throw new TesseraError('INVALID_INPUT', `A name is at most ${MAX_NAME_BYTES} bytes`);
  const fields = {
    vaultId: invite.vaultId,
    inviteId: invite.inviteId,
    identity: { signPublicKey: signer.publicKey, boxPublicKey },
    at,
    nonce,
    sealedName: suite.secretbox.seal(nameBytes, nonce, nameKey(invite.secret)),
  };
  const signed = body(fields);
  const proof = hmacSha512(invite.secret, signed);
  const signature = suite.ed25519.sign(concatBytes(signed, proof), signer.seed, signer.publicKey);
  return concatBytes(signed, proof, signature);
}

/** Parses a join request and checks the joiner's signature (TAMPERED otherwise). */
export function readJoinRequest(suite: CryptoSuite, bytes: Uint8Array): JoinRequest {
  let req: JoinRequest;
  try {
    const r: ByteReader = new ByteReader(bytes, 'join request');
    if (!equalBytes(r.fixed(JOIN_MAGIC.length), JOIN_MAGIC)) r.fail('not a join request');
    const vaultId = r.fixed(ID_BYTES);
    const inviteId = r.fixed(ID_BYTES);
    const identity = { signPublicKey: r.fixed(PUBLIC_KEY_BYTES), boxPublicKey: r.fixed(PUBLIC_KEY_BYTES) };
    const at = r.varUint();
    const nonce = r.fixed(NONCE_BYTES);
    const sealedName = r.sized(MAX_NAME_BYTES + 16);
    const proof = r.fixed(64);
    const signature = r.fixed(SIGNATURE_BYTES);
    r.end();
    req = { vaultId, inviteId, identity, at, nonce, sealedName, proof, signature, bytes };
  } catch {
    throw new TesseraError('TAMPERED', 'A join request is malformed');
  }
  const signedLength = bytes.length - SIGNATURE_BYTES;
  if (!suite.ed25519.verify(bytes.subarray(0, signedLength), req.signature, req.identity.signPublicKey)) {
    throw new TesseraError('TAMPERED', 'A join request is not signed by the key it names');
  }
  return req;
}

/**
 * What only the invite's holder can check: the HMAC proves the request was made by someone
 * holding this invite's secret. Returns the joiner's name, or throws TAMPERED.
 */
export function checkJoinRequest(suite: CryptoSuite, req: JoinRequest, invite: Pick<Invite, 'inviteId' | 'secret' | 'vaultId'>): string {
  if (!equalBytes(req.inviteId, invite.inviteId) || !equalBytes(req.vaultId, invite.vaultId)) {
    throw new TesseraError('TAMPERED', 'This join request answers another invite');
  }
  const signedLength = req.bytes.length - SIGNATURE_BYTES - 64;
  if (!equalBytes(hmacSha512(invite.secret, req.bytes.subarray(0, signedLength)), req.proof)) {
    throw new TesseraError('TAMPERED', 'This join request was not made with the invite code: its keys may have been swapped', { reason: 'KEY_MISMATCH' });
  }
  const name = suite.secretbox.open(req.sealedName, req.nonce, nameKey(invite.secret));
  if (!name) throw new TesseraError('TAMPERED', 'A join request is damaged');
  return utf8.decode(name);
}
