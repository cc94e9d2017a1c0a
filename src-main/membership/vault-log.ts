/**
 * A vault's membership log on this device: vaults/<id>/membership.log, the entries' bytes
 * in order (length-prefixed). Every load verifies the whole chain from the genesis hash
 * pinned in the keyring; a log that does not verify is refused, never repaired by guessing.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import * as encoding from 'lib0/encoding';
import { equalBytes, fromHex } from '../../src-shared/crypto/bytes';
import { ByteReader } from '../../src-shared/envelope/reader';
import { TesseraError } from '../../src-shared/errors';
import { applyEntry, verifyChain } from '../../src-shared/membership/chain';
import { entryHash } from '../../src-shared/membership/entry';
import type { MembershipState } from '../../src-shared/membership/state';
import { readFileIfExists, writeFileAtomic } from '../fs/atomic-file';
import { profilePaths } from '../profile/paths';
import type { Session } from '../profile/profile';

export interface VaultLog {
  readonly entries: readonly Uint8Array[];
  readonly state: MembershipState;
}

const hashes = new WeakMap<readonly Uint8Array[], Uint8Array[]>();

/** The hash of our entry at `seq` (what an envelope naming that head must carry), if we hold it. */
export function entryHashAt(log: VaultLog, seq: number): Uint8Array | undefined {
  let known = hashes.get(log.entries);
  if (!known) hashes.set(log.entries, (known = []));
  const bytes = log.entries[seq];
  if (!bytes) return undefined;
  return (known[seq] ??= entryHash(bytes));
}

const file = (home: string, vaultId: string) => join(profilePaths(home).vault(vaultId), 'membership.log');
const MAX_ENTRY_BYTES = 16 * 1024 * 1024;

function encodeLog(entries: readonly Uint8Array[]): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 1); // format
  encoding.writeVarUint(e, entries.length);
  for (const entry of entries) encoding.writeVarUint8Array(e, entry);
  return encoding.toUint8Array(e);
}

function decodeLog(bytes: Uint8Array): Uint8Array[] {
  const r: ByteReader = new ByteReader(bytes, 'membership log');
  if (r.varUint() !== 1) r.fail('unknown format');
  const n = r.varUint();
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) out.push(r.sized(MAX_ENTRY_BYTES));
  r.end();
  return out;
}

/** The verified log, or null for a vault that has none yet (made before sharing existed). */
export async function readVaultLog(session: Session, vaultId: string): Promise<VaultLog | null> {
  const pinned = session.keys.vaults.get(vaultId)?.genesisHash;
  const raw = await readFileIfExists(file(session.home, vaultId));
  if (!pinned) return null;
  if (!raw) throw new TesseraError('TAMPERED', 'The membership log of this vault is missing', { reason: 'MISSING_LOG' });
  const entries = decodeLog(raw);
  return { entries, state: verifyChain(session.suite, fromHex(pinned), entries) };
}

/**
 * The log as another process may have extended it since `log` was read (a `tessera approve`
 * while the app is open): the entries past ours are verified on our state; a file that is
 * not an extension of ours is verified whole, from the pinned genesis.
 */
export async function readNewerVaultLog(session: Session, vaultId: string, log: VaultLog): Promise<VaultLog> {
  const raw = await readFileIfExists(file(session.home, vaultId));
  if (!raw) return log;
  const entries = decodeLog(raw);
  if (entries.length <= log.entries.length) return log;
  const head = log.entries.length - 1;
  if (!equalBytes(entries[head]!, log.entries[head]!)) return (await readVaultLog(session, vaultId)) ?? log;
  let state = log.state;
  for (const e of entries.slice(log.entries.length)) state = applyEntry(session.suite, state, e);
  return { entries, state };
}

/** Saves a log that extends what is stored (the caller verified it). */
export async function writeVaultLog(session: Session, vaultId: string, entries: readonly Uint8Array[]): Promise<void> {
  await fs.mkdir(profilePaths(session.home).vault(vaultId), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file(session.home, vaultId), encodeLog(entries));
}
