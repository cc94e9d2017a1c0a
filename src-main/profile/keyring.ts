/**
 * The local keyring: the identity's secret keys and every scope key this profile holds,
 * sealed with the device key into one file. Nothing in it is readable without the
 * device key (OS keychain or passphrase).
 */
import { fromBase64Url, toBase64Url, utf8, wipe } from '../../src-shared/crypto/bytes';
import { KEY_BYTES, NONCE_BYTES, type CryptoSuite } from '../../src-shared/crypto/suite';
import { TesseraError } from '../../src-shared/errors';
import { readFileIfExists, writeFileAtomic } from '../fs/atomic-file';

export interface VaultKeys {
  /** Scope id → epoch → 32-byte key. */
  readonly scopes: Map<string, Map<number, Uint8Array>>;
  readonly metaScope: string;
  /**
   * The hash of the vault's membership genesis (hex), pinned here, under the device key, so
   * that neither the relay nor someone who can write the profile folder can swap the chain.
   */
  readonly genesisHash?: string;
  /** Invites this device issued and that are not used yet, by invite id (hex). */
  readonly invites?: Map<string, PendingInvite>;
  /**
   * The vault's name when last opened here: the index that lets a lookup by name open one
   * vault, not all (names are sealed in each vault's metadata). A hint: checked on open.
   */
  readonly name?: string;
}

/** An invite's secret and what its holder will get (the secret is why it lives here). */
export interface PendingInvite {
  readonly secret: Uint8Array;
  readonly role: 'admin' | 'editor' | 'viewer';
  /** Environment scope ids (hex). */
  readonly envScopes: readonly string[];
  readonly createdAt: number;
  readonly expiresAt: number;
  /** A device link (devices.ts): answered by a device-add, never approved as a member; role and scopes unused. */
  readonly device?: true;
}

/** A vault this profile asked to join, waiting for a manager's approval. */
export interface PendingJoin {
  readonly relay: string;
  readonly inviteId: string;
  readonly genesisHash: string;
  readonly requestedAt: number;
  /** The vault's name as the invite gave it (the inviter's label until the metadata arrives). */
  readonly vaultName?: string;
  /** Set when this is a device link: the sign key (hex) of the device that made the code, which must sign our entry. */
  readonly linker?: string;
}

export interface KeyringData {
  readonly signSeed: Uint8Array;
  readonly boxSecret: Uint8Array;
  readonly vaults: Map<string, VaultKeys>;
  /** Vault id (hex) → a join waiting for approval. */
  readonly joins: Map<string, PendingJoin>;
}

type InviteJson = Omit<PendingInvite, 'secret'> & { secret: string };

interface SealedKeyringFile {
  format: 1;
  nonce: string;
  sealed: string;
}

interface KeyringJson {
  identity: { signSeed: string; boxSecret: string };
  vaults: Record<string, { metaScope: string; genesisHash?: string; name?: string; scopes: Record<string, Record<string, string>>; invites?: Record<string, InviteJson> }>;
  joins?: Record<string, PendingJoin>;
}

function toJson(k: KeyringData): KeyringJson {
  const vaults: KeyringJson['vaults'] = {};
  for (const [vaultId, v] of k.vaults) {
    const scopes: Record<string, Record<string, string>> = {};
    for (const [scopeId, epochs] of v.scopes) {
      scopes[scopeId] = Object.fromEntries([...epochs].map(([e, key]) => [String(e), toBase64Url(key)]));
    }
    const invites = v.invites?.size
      ? { invites: Object.fromEntries([...v.invites].map(([id, i]) => [id, { ...i, secret: toBase64Url(i.secret) }])) }
      : {};
    vaults[vaultId] = { metaScope: v.metaScope, scopes, ...(v.genesisHash ? { genesisHash: v.genesisHash } : {}), ...(v.name ? { name: v.name } : {}), ...invites };
  }
  const joins = k.joins.size ? { joins: Object.fromEntries(k.joins) } : {};
  return { identity: { signSeed: toBase64Url(k.signSeed), boxSecret: toBase64Url(k.boxSecret) }, vaults, ...joins };
}

function key32(s: unknown): Uint8Array {
  const b = typeof s === 'string' ? fromBase64Url(s) : null;
  if (!b || b.length !== KEY_BYTES) throw new TesseraError('MALFORMED', 'Keyring holds a key of the wrong size');
  return b;
}

function fromJson(j: KeyringJson): KeyringData {
  const vaults = new Map<string, VaultKeys>();
  for (const [vaultId, v] of Object.entries(j.vaults ?? {})) {
    const scopes = new Map<string, Map<number, Uint8Array>>();
    for (const [scopeId, epochs] of Object.entries(v.scopes ?? {})) {
      scopes.set(scopeId, new Map(Object.entries(epochs).map(([e, key]) => [Number(e), key32(key)])));
    }
    const invites = new Map(Object.entries(v.invites ?? {}).map(([id, i]) => [id, { ...i, secret: key32(i.secret) }]));
    vaults.set(vaultId, {
      metaScope: String(v.metaScope),
      scopes,
      ...(typeof v.genesisHash === 'string' ? { genesisHash: v.genesisHash } : {}),
      ...(typeof v.name === 'string' ? { name: v.name } : {}),
      ...(invites.size ? { invites } : {}),
    });
  }
  const joins = new Map(Object.entries(j.joins ?? {}));
  return { signSeed: key32(j.identity?.signSeed), boxSecret: key32(j.identity?.boxSecret), vaults, joins };
}

export async function writeKeyring(suite: CryptoSuite, path: string, deviceKey: Uint8Array, data: KeyringData): Promise<void> {
  const nonce = suite.randomBytes(NONCE_BYTES);
  const plain = utf8.encode(JSON.stringify(toJson(data)));
  const sealed = suite.secretbox.seal(plain, nonce, deviceKey);
  wipe(plain);
  const file: SealedKeyringFile = { format: 1, nonce: toBase64Url(nonce), sealed: toBase64Url(sealed) };
  await writeFileAtomic(path, JSON.stringify(file) + '\n');
}

/** Throws NO_PROFILE when missing, TAMPERED when it does not open with this device key. */
export async function readKeyring(suite: CryptoSuite, path: string, deviceKey: Uint8Array): Promise<KeyringData> {
  const raw = await readFileIfExists(path);
  if (!raw) throw new TesseraError('NO_PROFILE', 'This profile has no keyring (run `tessera init`)');
  let file: SealedKeyringFile;
  try {
    file = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new TesseraError('TAMPERED', 'The keyring file is damaged');
  }
  if (file?.format !== 1 || typeof file.nonce !== 'string' || typeof file.sealed !== 'string') {
    throw new TesseraError('TAMPERED', 'The keyring file is damaged');
  }
  const nonce = fromBase64Url(file.nonce);
  if (nonce.length !== NONCE_BYTES) throw new TesseraError('TAMPERED', 'The keyring file is damaged');
  const plain = suite.secretbox.open(fromBase64Url(file.sealed), nonce, deviceKey);
  if (!plain) throw new TesseraError('TAMPERED', 'The keyring does not open with this device key (damaged, or a different device key)');
  try {
    return fromJson(JSON.parse(utf8.decode(plain)));
  } finally {
    wipe(plain);
  }
}

export function wipeKeyring(k: KeyringData): void {
  wipe(k.signSeed, k.boxSecret);
  for (const v of k.vaults.values()) {
    for (const epochs of v.scopes.values()) for (const key of epochs.values()) wipe(key);
    for (const i of v.invites?.values() ?? []) wipe(i.secret);
  }
}

/** The newest epoch of a scope and its key. */
export function currentEpoch(keys: VaultKeys, scopeId: string): { epoch: number; key: Uint8Array } | undefined {
  const epochs = keys.scopes.get(scopeId);
  if (!epochs || epochs.size === 0) return undefined;
  const epoch = Math.max(...epochs.keys());
  return { epoch, key: epochs.get(epoch)! };
}
