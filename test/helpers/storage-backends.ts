/**
 * The relay storage contract runs against every backend: SQLite in memory always, and
 * PostgreSQL when TESSERA_TEST_PG names a server (a connection URL to a database the tests may
 * create databases from, e.g. postgres:///postgres?host=/var/run/postgresql). CI sets it; there
 * a missing server fails the suite instead of skipping PostgreSQL quietly.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { openPgStorage } from '../../src-relay/pg-storage';
import { openMemoryStorage } from '../../src-relay/sqlite-storage';
import type { RelayStorage } from '../../src-relay/storage';

export const PG_URL = process.env.TESSERA_TEST_PG;
if (process.env.CI === 'true' && !PG_URL) throw new Error('CI runs the relay storage tests on PostgreSQL too: set TESSERA_TEST_PG');

/** A URL of a fresh, empty PostgreSQL database, dropped by the returned `drop`. */
export async function freshPgDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const server = process.env.TESSERA_TEST_PG; // read now: a bench may set it after loading this
  if (!server) throw new Error('PostgreSQL tests need TESSERA_TEST_PG (e.g. postgres://root@localhost/postgres?host=/var/run/postgresql)');
  const { Client } = createRequire(import.meta.url)('pg') as typeof import('pg');
  const name = `tessera_test_${Buffer.from(nodeSuite.randomBytes(6)).toString('hex')}`;
  const admin = new Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: server });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Everything a PostgreSQL database holds, as `pg_dump --data-only` writes it (bytea in hex). */
export async function pgDataDump(url: string): Promise<Buffer> {
  const { stdout } = await promisify(execFile)('pg_dump', ['--data-only', url], { maxBuffer: 64 * 1024 * 1024, encoding: 'buffer' });
  return stdout;
}

export interface Backend {
  readonly name: string;
  open(): Promise<RelayStorage>;
}

export const BACKENDS: readonly Backend[] = [
  { name: 'sqlite', open: async () => openMemoryStorage() },
  ...(PG_URL
    ? [
        {
          name: 'postgres',
          open: async () => {
            const db = await freshPgDatabase();
            const s = await openPgStorage(db.url);
            return { ...s, close: async () => (await s.close(), await db.drop()) };
          },
        },
      ]
    : []),
];
