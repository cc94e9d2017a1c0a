/**
 * The person's vault directory, handed to a newly linked device inside the device-add entry
 * of the vault the two devices met through: which other vaults to fetch, from which relay,
 * and the genesis hash to verify each one's log from. Sealed to the new device's box key, so
 * the relay (which stores the entry) learns only its length; signed with the entry, so the
 * relay cannot hand the device another list.
 *
 *   directory = wrapped key 136 (wrap.ts, to the device, for this vault at epoch 0) | nonce 24 |
 *               secretbox(JSON { vaults: [{ id, relay, genesisHash, name }] })
 */
import { concatBytes, utf8 } from '../crypto/bytes';
import { KEY_BYTES, NONCE_BYTES } from '../crypto/suite';
import type { CryptoSuite } from '../crypto/suite';
import { ID_BYTES } from '../envelope/envelope';
import { TesseraError } from '../errors';
import { unwrapKey, wrapKey, WRAPPED_KEY_BYTES } from './wrap';

export interface DirectoryVault {
  /** Vault id, hex. */
  readonly id: string;
  readonly relay: string;
  /** The vault's membership genesis hash, hex: what the new device pins. */
  readonly genesisHash: string;
  readonly name: string;
}

/** Not a scope of any vault (scope ids are random): the wrap belongs to the directory only. */
const DIRECTORY_SCOPE = new Uint8Array(ID_BYTES);
const context = (vaultId: Uint8Array) => ({ vaultId, scopeId: DIRECTORY_SCOPE, epoch: 0 });

export function sealDirectory(suite: CryptoSuite, vaults: readonly DirectoryVault[], vaultId: Uint8Array, deviceBoxKey: Uint8Array): Uint8Array {
  const key = suite.randomBytes(KEY_BYTES);
  const nonce = suite.randomBytes(NONCE_BYTES);
  const plain = utf8.encode(JSON.stringify({ vaults }));
  return concatBytes(wrapKey(suite, key, deviceBoxKey, context(vaultId)), nonce, suite.secretbox.seal(plain, nonce, key));
}

/** The directory in a device-add entry of `vaultId`; throws TAMPERED when it does not open for this device. */
export function openDirectory(suite: CryptoSuite, sealed: Uint8Array, vaultId: Uint8Array, boxSecret: Uint8Array, boxPublic: Uint8Array): DirectoryVault[] {
  if (sealed.length <= WRAPPED_KEY_BYTES + NONCE_BYTES) throw new TesseraError('TAMPERED', 'The vault directory for this device is missing or cut short');
  const key = unwrapKey(suite, sealed.subarray(0, WRAPPED_KEY_BYTES), boxSecret, context(vaultId), boxPublic);
  const nonce = sealed.subarray(WRAPPED_KEY_BYTES, WRAPPED_KEY_BYTES + NONCE_BYTES);
  const plain = suite.secretbox.open(sealed.subarray(WRAPPED_KEY_BYTES + NONCE_BYTES), nonce, key);
  if (!plain) throw new TesseraError('TAMPERED', 'The vault directory for this device does not open');
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(plain));
  } catch {
    throw new TesseraError('TAMPERED', 'The vault directory for this device is damaged');
  }
  const vaults = (parsed as { vaults?: unknown }).vaults;
  const ok = (v: unknown): v is DirectoryVault => {
    const d = v as DirectoryVault;
    return typeof d?.id === 'string' && /^[0-9a-f]{32}$/.test(d.id) && typeof d.relay === 'string' && typeof d.genesisHash === 'string' && /^[0-9a-f]{64}$/.test(d.genesisHash) && typeof d.name === 'string';
  };
  if (!Array.isArray(vaults) || !vaults.every(ok)) throw new TesseraError('TAMPERED', 'The vault directory for this device is damaged');
  return vaults;
}
