/**
 * Which of this device's changes are only here: per scope, the highest local counter that
 * has reached the relay (vaults/<id>/pushed.json). The file's presence means the vault syncs,
 * so a compaction must keep the frames above those counters in the logs (what sync still has
 * to push); a vault without it keeps nothing back. Sync writes it; the vault only reads it,
 * so the document core knows "what is not yet elsewhere", not how syncing works.
 */
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../fs/atomic-file';
import { profilePaths } from '../profile/paths';

const file = (home: string, vaultId: string) => join(profilePaths(home).vault(vaultId), 'pushed.json');

/** Scope id → highest local counter pushed; null when the vault does not sync. */
export async function readPushedCounters(home: string, vaultId: string): Promise<Map<string, number> | null> {
  const raw = await readFileIfExists(file(home, vaultId));
  if (!raw) return legacyCounters(home, vaultId);
  try {
    const f = JSON.parse(raw.toString('utf8')) as { format?: unknown; scopes?: Record<string, unknown> };
    if (f.format !== 1) throw new Error('format');
    return new Map(Object.entries(f.scopes ?? {}).filter((e): e is [string, number] => Number.isSafeInteger(e[1])));
  } catch {
    // Damaged: keep every local change back (the safe way), until sync writes it again.
    return new Map();
  }
}

export async function writePushedCounters(home: string, vaultId: string, counters: ReadonlyMap<string, number>): Promise<void> {
  await writeFileAtomic(file(home, vaultId), JSON.stringify({ format: 1, scopes: Object.fromEntries(counters) }) + '\n');
}

/**
 * A vault synced by a version from before this file kept the counters in its sync.json;
 * read them from there until the next sync writes this file (a compaction in between must
 * not drop what was never pushed).
 */
async function legacyCounters(home: string, vaultId: string): Promise<Map<string, number> | null> {
  const raw = await readFileIfExists(join(profilePaths(home).vault(vaultId), 'sync.json'));
  if (!raw) return null;
  try {
    const f = JSON.parse(raw.toString('utf8')) as { scopes?: Record<string, { pushedLocal?: unknown }> };
    return new Map(Object.entries(f.scopes ?? {}).map(([id, s]) => [id, Number.isSafeInteger(s.pushedLocal) ? (s.pushedLocal as number) : 0]));
  } catch {
    return new Map();
  }
}
