/**
 * The PostgreSQL relay's schema: its versions, applied in order at start inside one
 * transaction under an advisory lock (two relays starting at once migrate once), and a
 * database of a newer schema refused. The hot writes are server-side functions, so that one
 * append, or a whole round of them, is one statement (pg-storage.ts calls them).
 */
import type { PoolClient } from 'pg';
import { TesseraError } from '../src-shared/errors';

export const PG_SCHEMA_VERSION = 2;

/** The channel relay processes tell each other on (LISTEN/NOTIFY): a notice per commit, ids and numbers only. */
export const NOTICE_CHANNEL = 'tessera_relay';
/** The database's clock in milliseconds, stamped on each notice for the fan-out lag. */
export const NOW_MS = `floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint`;

const MIGRATIONS: Record<number, string> = {
  1: `
CREATE TABLE vaults (id bytea PRIMARY KEY, owner bytea NOT NULL, created_at bigint NOT NULL, stored_bytes bigint NOT NULL DEFAULT 0);
CREATE INDEX vaults_by_owner ON vaults (owner);
CREATE TABLE members (
  vault_id bytea NOT NULL, public_key bytea NOT NULL,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
  PRIMARY KEY (vault_id, public_key));
CREATE TABLE scopes (vault_id bytea NOT NULL, scope_id bytea NOT NULL, last_seq bigint NOT NULL, epoch bigint NOT NULL, PRIMARY KEY (vault_id, scope_id));
CREATE TABLE chain_heads (
  vault_id bytea NOT NULL, scope_id bytea NOT NULL, author bytea NOT NULL,
  counter bigint NOT NULL, hash bytea NOT NULL, seq bigint NOT NULL,
  PRIMARY KEY (vault_id, scope_id, author));
CREATE TABLE envelopes (
  vault_id bytea NOT NULL, scope_id bytea NOT NULL, seq bigint NOT NULL, author bytea NOT NULL,
  counter bigint NOT NULL, hash bytea NOT NULL, bytes bytea NOT NULL,
  PRIMARY KEY (vault_id, scope_id, seq),
  UNIQUE (vault_id, scope_id, author, counter));
CREATE TABLE snapshots (vault_id bytea NOT NULL, scope_id bytea NOT NULL, covers bigint NOT NULL, bytes bytea NOT NULL, author bytea, PRIMARY KEY (vault_id, scope_id));
CREATE TABLE membership_log (vault_id bytea NOT NULL, seq bigint NOT NULL, bytes bytea NOT NULL, PRIMARY KEY (vault_id, seq));
CREATE TABLE join_requests (vault_id bytea NOT NULL, joiner bytea NOT NULL, bytes bytea NOT NULL, at bigint NOT NULL, PRIMARY KEY (vault_id, joiner));
CREATE TABLE key_usage (public_key bytea PRIMARY KEY, stored_bytes bigint NOT NULL);
-- One update's append, in one round trip (appendOne in TypeScript would take a dozen): under
-- the scope's row lock, then the vault's, then the key's, the same checks and writes as SQLite.
CREATE FUNCTION tessera_append(v bytea, sc bytea, who bytea, ctr bigint, ep bigint, h bytea, body bytea, max_vault bigint, max_key bigint,
  OUT ok boolean, OUT seq bigint, OUT quota text, OUT lim bigint, OUT used bigint, OUT adding bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
  fresh boolean;
  cur record;
  head bigint;
  vb bigint;
  kb bigint;
  n bigint := octet_length(body);
BEGIN
  ok := false;
  INSERT INTO scopes (vault_id, scope_id, last_seq, epoch) VALUES (v, sc, 0, ep) ON CONFLICT DO NOTHING;
  fresh := FOUND;
  SELECT last_seq, epoch INTO cur FROM scopes WHERE vault_id = v AND scope_id = sc FOR UPDATE;
  SELECT counter INTO head FROM chain_heads WHERE vault_id = v AND scope_id = sc AND chain_heads.author = who;
  IF (NOT fresh AND cur.epoch > ep) OR coalesce(head, 0) <> ctr - 1 THEN
    IF fresh THEN DELETE FROM scopes WHERE vault_id = v AND scope_id = sc; END IF;
    RETURN;
  END IF;
  SELECT stored_bytes INTO vb FROM vaults WHERE id = v FOR UPDATE;
  vb := coalesce(vb, 0);
  IF n > 0 AND vb + n > max_vault THEN
    IF fresh THEN DELETE FROM scopes WHERE vault_id = v AND scope_id = sc; END IF;
    quota := 'vault'; lim := max_vault; used := vb; adding := n;
    RETURN;
  END IF;
  INSERT INTO key_usage (public_key, stored_bytes) VALUES (who, 0) ON CONFLICT DO NOTHING;
  SELECT stored_bytes INTO kb FROM key_usage WHERE public_key = who FOR UPDATE;
  IF n > 0 AND kb + n > max_key THEN
    IF fresh THEN DELETE FROM scopes WHERE vault_id = v AND scope_id = sc; END IF;
    quota := 'key'; lim := max_key; used := kb; adding := n;
    RETURN;
  END IF;
  seq := cur.last_seq + 1;
  UPDATE scopes SET last_seq = seq, epoch = greatest(epoch, ep) WHERE vault_id = v AND scope_id = sc;
  INSERT INTO envelopes (vault_id, scope_id, seq, author, counter, hash, bytes) VALUES (v, sc, seq, who, ctr, h, body);
  INSERT INTO chain_heads (vault_id, scope_id, author, counter, hash, seq) VALUES (v, sc, who, ctr, h, seq)
    ON CONFLICT (vault_id, scope_id, author) DO UPDATE SET counter = excluded.counter, hash = excluded.hash, seq = excluded.seq;
  UPDATE vaults SET stored_bytes = stored_bytes + n WHERE id = v;
  UPDATE key_usage SET stored_bytes = stored_bytes + n WHERE public_key = who;
  ok := true;
END $$;
`,
  // Fan-out across relay processes: an append tells the others, in the transaction that stores
  // it, so the notice goes out exactly when the update is committed (NOTIFY is transactional).
  2: `
CREATE FUNCTION tessera_push(origin text, v bytea, sc bytea, who bytea, ctr bigint, ep bigint, h bytea, body bytea, max_vault bigint, max_key bigint,
  OUT ok boolean, OUT seq bigint, OUT quota text, OUT lim bigint, OUT used bigint, OUT adding bigint)
LANGUAGE plpgsql AS $$
BEGIN
  SELECT * INTO ok, seq, quota, lim, used, adding FROM tessera_append(v, sc, who, ctr, ep, h, body, max_vault, max_key);
  IF ok THEN
    PERFORM pg_notify('${NOTICE_CHANNEL}', concat_ws(' ', origin, 'u', encode(v, 'hex'), encode(sc, 'hex'), seq, ${NOW_MS}));
  END IF;
END $$;
-- A round of pushes in one statement, so in one round trip and one transaction: each in turn,
-- a refused one (ok false) leaving the others to go on, as appendUpdates promises.
CREATE FUNCTION tessera_push_many(origin text, vs bytea[], scs bytea[], whos bytea[], ctrs bigint[], eps bigint[], hs bytea[], bodies bytea[], max_vault bigint, max_key bigint)
RETURNS TABLE (ok boolean, seq bigint, quota text, lim bigint, used bigint, adding bigint)
LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1 .. coalesce(array_length(vs, 1), 0) LOOP
    SELECT * INTO ok, seq, quota, lim, used, adding FROM tessera_push(origin, vs[i], scs[i], whos[i], ctrs[i], eps[i], hs[i], bodies[i], max_vault, max_key);
    RETURN NEXT;
  END LOOP;
END $$;
`,
};

/** Any constant: the advisory lock two relays starting together migrate under. */
const MIGRATION_LOCK = 0x7e55e7a;

/** Inside the caller's transaction: brings the schema to PG_SCHEMA_VERSION, or refuses a newer one. */
export async function migrate(c: PoolClient): Promise<void> {
  await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
  await c.query('CREATE TABLE IF NOT EXISTS tessera_schema (version integer NOT NULL)');
  const { rows } = await c.query<{ v: number | null }>('SELECT max(version) AS v FROM tessera_schema');
  const current = rows[0]?.v ?? 0;
  if (current > PG_SCHEMA_VERSION) {
    throw new TesseraError('UNSUPPORTED_VERSION', `The relay database has schema ${current}; this version of Tessera knows up to ${PG_SCHEMA_VERSION}`);
  }
  for (let v = current + 1; v <= PG_SCHEMA_VERSION; v++) await c.query(MIGRATIONS[v]!);
  if (current === 0) await c.query('INSERT INTO tessera_schema (version) VALUES ($1)', [PG_SCHEMA_VERSION]);
  else if (current < PG_SCHEMA_VERSION) await c.query('UPDATE tessera_schema SET version = $1', [PG_SCHEMA_VERSION]);
}
