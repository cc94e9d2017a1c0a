/**
 * Stored-bytes accounting in SQLite, for the quotas (storage.ts: Quotas). Each vault's total
 * is a column of `vaults`, each key's a row of `key_usage`; both move in the same transaction
 * as the bytes they count, so the totals are never out of step with what is stored and two
 * writes racing each other cannot both slip under a quota.
 *
 * What counts: envelope bytes (charged to the envelope's author), snapshot bytes (to the
 * snapshot's author; its `author` column remembers whom to credit when it is replaced) and
 * membership log entries (to the entry's author). Row overhead is not counted.
 */
import type Database from 'better-sqlite3';
import { decodeEnvelope } from '../src-shared/envelope/envelope';
import { decodeEntry } from '../src-shared/membership/entry';
import { overQuota, sumCharges, type Charge, type OverQuota, type Quotas } from './storage';

export type { Charge } from './storage';

/** Schema 1 → 2: the accounting columns and table, and the totals of what is already stored. */
export function migrateToUsage(db: Database.Database): void {
  db.exec(`
    ALTER TABLE vaults ADD COLUMN stored_bytes INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE snapshots ADD COLUMN author BLOB;
    CREATE TABLE key_usage (public_key BLOB PRIMARY KEY, stored_bytes INTEGER NOT NULL) WITHOUT ROWID;
    -- The registration limit counts a key's vaults.
    CREATE INDEX vaults_by_owner ON vaults (owner);
    UPDATE vaults SET stored_bytes =
        coalesce((SELECT sum(length(bytes)) FROM envelopes WHERE vault_id = vaults.id), 0)
      + coalesce((SELECT sum(length(bytes)) FROM snapshots WHERE vault_id = vaults.id), 0)
      + coalesce((SELECT sum(length(bytes)) FROM membership_log WHERE vault_id = vaults.id), 0);
    INSERT INTO key_usage (public_key, stored_bytes) SELECT author, sum(length(bytes)) FROM envelopes GROUP BY author;
  `);
  // Snapshots and log entries keep their author inside the signed bytes. Read one row at a
  // time: a snapshot may be megabytes, and better-sqlite3 cannot write while it iterates.
  const addKey = db.prepare(`INSERT INTO key_usage (public_key, stored_bytes) VALUES (?, ?)
    ON CONFLICT (public_key) DO UPDATE SET stored_bytes = stored_bytes + excluded.stored_bytes`);
  const setAuthor = db.prepare('UPDATE snapshots SET author = ? WHERE rowid = ?');
  const snapshot = db.prepare('SELECT bytes FROM snapshots WHERE rowid = ?');
  for (const { rowid } of db.prepare('SELECT rowid FROM snapshots').all() as { rowid: number }[]) {
    const { bytes } = snapshot.get(rowid) as { bytes: Buffer };
    const author = authorOf(() => decodeEnvelope(bytes).author);
    // Undecodable (it could not have been accepted): it counts for its vault, and for no key.
    if (!author) continue;
    setAuthor.run(author, rowid);
    addKey.run(author, bytes.byteLength);
  }
  const entry = db.prepare('SELECT bytes FROM membership_log WHERE rowid = ?');
  for (const { rowid } of db.prepare('SELECT rowid FROM membership_log').all() as { rowid: number }[]) {
    const { bytes } = entry.get(rowid) as { bytes: Buffer };
    const author = authorOf(() => decodeEntry(bytes).author);
    if (author) addKey.run(author, bytes.byteLength);
  }
}

function authorOf(decode: () => Uint8Array): Uint8Array | undefined {
  try {
    return decode();
  } catch {
    return undefined;
  }
}

export interface Usage {
  /**
   * Inside the caller's transaction: moves the vault's total by the sum of `charges` and each
   * key's by its own, or changes nothing and returns the quota the write would exceed. A write
   * is refused only if it makes a total grow past its quota: one that frees more than it adds
   * (a snapshot that prunes) always goes through, even where an operator lowered a quota.
   */
  change(vaultId: Uint8Array, charges: readonly Charge[], quotas: Quotas): OverQuota | undefined;
  vaultBytes(vaultId: Uint8Array): number;
  keyBytes(key: Uint8Array): number;
}

export function sqliteUsage(db: Database.Database): Usage {
  const q = {
    vault: db.prepare('SELECT stored_bytes AS n FROM vaults WHERE id = ?'),
    key: db.prepare('SELECT stored_bytes AS n FROM key_usage WHERE public_key = ?'),
    moveVault: db.prepare('UPDATE vaults SET stored_bytes = stored_bytes + ? WHERE id = ?'),
    moveKey: db.prepare(`INSERT INTO key_usage (public_key, stored_bytes) VALUES (?, ?)
      ON CONFLICT (public_key) DO UPDATE SET stored_bytes = stored_bytes + excluded.stored_bytes`),
  };
  const vaultBytes = (vaultId: Uint8Array) => (q.vault.get(vaultId) as { n: number } | undefined)?.n ?? 0;
  const keyBytes = (key: Uint8Array) => (q.key.get(key) as { n: number } | undefined)?.n ?? 0;
  return {
    change(vaultId, charges, quotas) {
      const { total, perKey } = sumCharges(charges);
      const refused =
        overQuota('vault', quotas.maxVaultBytes, vaultBytes(vaultId), total) ??
        perKey.reduce<OverQuota | undefined>((found, k) => found ?? overQuota('key', quotas.maxKeyBytes, keyBytes(k.key), k.bytes), undefined);
      if (refused) return refused;
      if (total !== 0) q.moveVault.run(total, vaultId);
      for (const k of perKey) if (k.bytes !== 0) q.moveKey.run(k.key, k.bytes);
      return undefined;
    },
    vaultBytes,
    keyBytes,
  };
}
