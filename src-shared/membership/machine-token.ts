/**
 * A machine token: everything a program (a CI job, a server, a container) needs to read its
 * environments of one vault, in one string it is given as TESSERA_TOKEN: the relay to ask,
 * the vault, the genesis hash to verify the membership log from, and the machine member's
 * own secret keys. The relay never sees it (only the public keys, in the signed log).
 *
 *   "tessera-token-1." base64url(
 *     var relay URL | vault id 16 | genesis hash 32 | sign seed 32 | box secret 32 |
 *     var vault name | check 8 )
 *
 * `check` is the start of a hash over the rest: a token pasted short, or with a character
 * changed, is refused as such (TOKEN_INVALID) rather than failing later as a relay refusal.
 */
import * as encoding from 'lib0/encoding';
import { equalBytes, fromBase64Url, toBase64Url, utf8 } from '../crypto/bytes';
import { hash32 } from '../crypto/hash';
import { KEY_BYTES, SEED_BYTES } from '../crypto/suite';
import { ID_BYTES } from '../envelope/envelope';
import { ByteReader } from '../envelope/reader';
import { TesseraError } from '../errors';

export interface MachineToken {
  readonly relay: string;
  readonly vaultId: Uint8Array;
  readonly genesisHash: Uint8Array;
  readonly signSeed: Uint8Array;
  readonly boxSecret: Uint8Array;
  /** The vault's name when the token was made (a label; the vault's metadata is what counts). */
  readonly vaultName: string;
}

const PREFIX = 'tessera-token-1.';
const CHECK_BYTES = 8;
const MAX_URL_BYTES = 2048;
const MAX_NAME_BYTES = 256;

const check = (body: Uint8Array) => hash32('tessera/machine-token/v1', body).subarray(0, CHECK_BYTES);

export function encodeMachineToken(t: MachineToken): string {
  const e = encoding.createEncoder();
  encoding.writeVarUint8Array(e, utf8.encode(t.relay));
  encoding.writeUint8Array(e, t.vaultId);
  encoding.writeUint8Array(e, t.genesisHash);
  encoding.writeUint8Array(e, t.signSeed);
  encoding.writeUint8Array(e, t.boxSecret);
  encoding.writeVarUint8Array(e, utf8.encode(t.vaultName));
  const body = encoding.toUint8Array(e);
  const out = new Uint8Array(body.length + CHECK_BYTES);
  out.set(body);
  out.set(check(body), body.length);
  return PREFIX + toBase64Url(out);
}

/** Throws TOKEN_INVALID (never quoting the token) for anything that is not a whole, intact token. */
export function decodeMachineToken(text: string): MachineToken {
  const trimmed = text.trim();
  if (!trimmed.startsWith(PREFIX)) throw new TesseraError('TOKEN_INVALID', `Not a Tessera machine token (it starts with ${PREFIX})`);
  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(trimmed.slice(PREFIX.length));
  } catch {
    throw new TesseraError('TOKEN_INVALID', 'This machine token is damaged: copy it again from where it was stored');
  }
  if (bytes.length <= CHECK_BYTES || !equalBytes(check(bytes.subarray(0, bytes.length - CHECK_BYTES)), bytes.subarray(bytes.length - CHECK_BYTES))) {
    throw new TesseraError('TOKEN_INVALID', 'This machine token is damaged or incomplete: copy it again from where it was stored');
  }
  try {
    const r: ByteReader = new ByteReader(bytes.subarray(0, bytes.length - CHECK_BYTES), 'machine token');
    const relay = utf8.decode(r.sized(MAX_URL_BYTES));
    const token = { relay, vaultId: r.fixed(ID_BYTES), genesisHash: r.fixed(32), signSeed: r.fixed(SEED_BYTES), boxSecret: r.fixed(KEY_BYTES), vaultName: utf8.decode(r.sized(MAX_NAME_BYTES)) };
    r.end();
    return token;
  } catch {
    throw new TesseraError('TOKEN_INVALID', 'This machine token does not parse: make a new one with tessera token create');
  }
}
