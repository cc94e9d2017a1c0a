/**
 * What a device remembers about syncing one vault, in vaults/<id>/sync.json: the relay's
 * URL and, per scope, how far it has pulled (the relay's sequence number), which of its own
 * changes it has pushed (its local counter), and the heads of every author's chain on the
 * relay. Ids and numbers only: nothing in it is secret.
 */
import { join } from 'node:path';
import { fromBase64Url, toBase64Url } from '../../src-shared/crypto/bytes';
import type { ChainHead } from '../../src-shared/envelope/snapshot';
import { TesseraError } from '../../src-shared/errors';
import { readFileIfExists, writeFileAtomic } from '../fs/atomic-file';
import { profilePaths } from '../profile/paths';
import { readPushedCounters, writePushedCounters } from '../store/unpushed';

export interface ScopeSync {
  /** The relay sequence number of the last envelope applied here. */
  cursor: number;
  /** The highest local counter of this device's own changes the relay has acknowledged. */
  pushedLocal: number;
  /** Author (base64url) → their chain head on the relay, as far as this device has seen. */
  relayHeads: Map<string, ChainHead>;
  /** Changes pulled or pushed since the relay last got a snapshot from this device. */
  sinceSnapshot: number;
}

export interface SyncState {
  relay: string;
  scopes: Map<string, ScopeSync>;
}

interface SyncFile {
  format: 1;
  relay: string;
  /** pushedLocal: written by versions before pushed.json (read, never written). */
  scopes: Record<string, { cursor: number; pushedLocal?: number; sinceSnapshot?: number; relayHeads: Record<string, [number, string]> }>;
}

const path = (home: string, vaultId: string) => join(profilePaths(home).vault(vaultId), 'sync.json');

/**
 * A vault's relays, in the order to try them: one URL, or several separated by commas (relay
 * processes sharing one database, behind no load balancer or beside one). Each is checked
 * (checkRelayUrl); returned as stored, without repeats.
 */
export function checkRelayUrls(urls: string): string {
  const list = urls.split(',').map((u) => u.trim()).filter((u) => u !== '');
  if (list.length === 0) throw new TesseraError('INVALID_INPUT', 'No relay URL given (expected ws://host:port, or several separated by commas)');
  return [...new Set(list.map(checkRelayUrl))].join(',');
}

/** The relays of a stored (checked) list, in order. */
export const relayUrls = (relays: string): string[] => relays.split(',');

/** Accepts ws:// and wss:// URLs only (TLS belongs to a reverse proxy in front of the relay). */
export function checkRelayUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TesseraError('INVALID_INPUT', `Not a relay URL: ${JSON.stringify(url)} (expected ws://host:port or wss://host)`);
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
    throw new TesseraError('INVALID_INPUT', `A relay URL starts with ws:// or wss://, not ${u.protocol}//`);
  }
  return u.toString().replace(/\/$/, '');
}

export function scopeSync(state: SyncState, scopeId: string): ScopeSync {
  let s = state.scopes.get(scopeId);
  if (!s) state.scopes.set(scopeId, (s = { cursor: 0, pushedLocal: 0, relayHeads: new Map(), sinceSnapshot: 0 }));
  return s;
}

export async function readSyncState(home: string, vaultId: string): Promise<SyncState | null> {
  const raw = await readFileIfExists(path(home, vaultId));
  if (!raw) return null;
  let f: SyncFile;
  try {
    f = JSON.parse(raw.toString('utf8'));
    if (f.format !== 1 || typeof f.relay !== 'string') throw new Error('format');
  } catch {
    throw new TesseraError('MALFORMED', 'sync.json is damaged; set the relay again with `tessera vault relay`');
  }
  // What was pushed lives beside sync.json, where the vault reads it (store/unpushed.ts);
  // sync.json of earlier versions held it itself.
  const pushed = (await readPushedCounters(home, vaultId)) ?? new Map<string, number>();
  const scopes = new Map<string, ScopeSync>();
  for (const [id, s] of Object.entries(f.scopes ?? {})) {
    const relayHeads = new Map<string, ChainHead>();
    for (const [a, [counter, hash]] of Object.entries(s.relayHeads ?? {})) relayHeads.set(a, { counter, hash: fromBase64Url(hash) });
    scopes.set(id, { cursor: s.cursor ?? 0, pushedLocal: pushed.get(id) ?? s.pushedLocal ?? 0, relayHeads, sinceSnapshot: s.sinceSnapshot ?? 0 });
  }
  return { relay: f.relay, scopes };
}

export async function writeSyncState(home: string, vaultId: string, state: SyncState): Promise<void> {
  const f: SyncFile = { format: 1, relay: state.relay, scopes: {} };
  for (const [id, s] of state.scopes) {
    f.scopes[id] = {
      cursor: s.cursor,
      sinceSnapshot: s.sinceSnapshot,
      relayHeads: Object.fromEntries([...s.relayHeads].map(([a, h]) => [a, [h.counter, toBase64Url(h.hash)]])),
    };
  }
  // The counters first: a vault that syncs must never look, even for a moment, as if it did not.
  await writePushedCounters(home, vaultId, new Map([...state.scopes].map(([id, s]) => [id, s.pushedLocal])));
  await writeFileAtomic(path(home, vaultId), JSON.stringify(f, null, 1) + '\n');
}

/**
 * Points a vault at a relay (or a list); a different relay starts from the beginning. A list
 * that keeps the first relay is the same relay data (processes on one database), so what was
 * pulled and pushed is kept.
 */
export async function setVaultRelay(home: string, vaultId: string, url: string): Promise<string> {
  const relay = checkRelayUrls(url);
  const current = await readSyncState(home, vaultId);
  const same = current && relayUrls(current.relay)[0] === relayUrls(relay)[0];
  await writeSyncState(home, vaultId, same ? { ...current, relay } : { relay, scopes: new Map() });
  return relay;
}
