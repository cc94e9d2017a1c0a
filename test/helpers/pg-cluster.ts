/**
 * A throwaway PostgreSQL cluster of the test's own (initdb in a temporary folder, reached on
 * its own Unix socket, no TCP), for tests that must see the server log at
 * log_statement = 'all', stop the server, or create roles (which are cluster-wide) without
 * touching a shared server. Its superuser logs in with a password over SCRAM, as an admin
 * URL kept in a vault would. Under root the server runs as the `postgres` user (it refuses to
 * run as root). Binaries: TESSERA_PG_BIN, else the newest /usr/lib/postgresql/N/bin; in CI
 * (which installs PostgreSQL) a missing one fails instead of skipping.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

function findPgBin(): string | undefined {
  if (process.env.TESSERA_PG_BIN) return process.env.TESSERA_PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

export const PG_BIN = findPgBin();
if (process.env.CI === 'true' && !PG_BIN) throw new Error('CI runs the PostgreSQL rotator tests on a cluster of their own: install postgresql (initdb) or set TESSERA_PG_BIN');

const asRoot = process.getuid?.() === 0;

/**
 * Runs a PostgreSQL program as the user that owns the cluster, from the cluster's folder
 * (the tests' own working directory may be one that user cannot enter, such as /root).
 */
function pgTool(tool: string, args: readonly string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  const file = join(PG_BIN!, tool);
  return asRoot ? run('runuser', ['-u', 'postgres', '--', file, ...args], { cwd }) : run(file, args, { cwd });
}

export interface PgCluster {
  /** A superuser URL with its password, as a vault's admin secret holds it. */
  readonly adminUrl: string;
  readonly socketDir: string;
  readonly port: number;
  /** `postgres://USER:PASSWORD@localhost:PORT/DB?host=SOCKET` on this cluster. */
  url(user: string, password: string, db?: string): string;
  /** A query as the superuser. */
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[], db?: string): Promise<pg.QueryResult<T>>;
  /** Everything the server wrote to its log so far. */
  log(): Promise<string>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and deletes its folder. */
  destroy(): Promise<void>;
}

export async function startPgCluster(opts: { logStatement?: 'all' | 'none' } = {}): Promise<PgCluster> {
  if (!PG_BIN) throw new Error('No PostgreSQL binaries (initdb): install postgresql or set TESSERA_PG_BIN');
  const dir = await mkdtemp(join(tmpdir(), 'tessera-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const pwFile = join(dir, 'pw');
  const password = randomBytes(18).toString('base64url');
  const admin = 'tessera_admin';
  await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const uid = Number(stdout.trim());
    const { stdout: g } = await run('id', ['-g', 'postgres']);
    for (const p of [dir, pwFile]) await chown(p, uid, Number(g.trim()));
  }
  await pgTool('initdb', ['-D', data, '-U', admin, `--pwfile=${pwFile}`, '--auth=scram-sha-256', '--no-sync', '-E', 'UTF8', '--locale=C'], dir);
  await rm(pwFile);
  const port = 20_000 + randomBytes(2).readUInt16BE() % 40_000;
  const options = [`-k ${dir}`, `-p ${port}`, "-c listen_addresses=''", `-c log_statement=${opts.logStatement ?? 'all'}`, '-c logging_collector=off', '-c fsync=off', '-c log_connections=on'].join(' ');
  const start = async () => void (await pgTool('pg_ctl', ['-D', data, '-l', logFile, '-o', options, '-w', '-t', '60', 'start'], dir));
  const stop = async () => void (await pgTool('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop'], dir));
  await start();
  const url = (user: string, pw: string, db = 'postgres') => `postgres://${encodeURIComponent(user)}:${encodeURIComponent(pw)}@localhost:${port}/${db}?host=${encodeURIComponent(dir)}`;
  const adminUrl = url(admin, password);
  return {
    adminUrl,
    socketDir: dir,
    port,
    url,
    async query(sql, params, db) {
      const c = new pg.Client({ connectionString: db ? url(admin, password, db) : adminUrl });
      await c.connect();
      try {
        return await c.query(sql, params);
      } finally {
        await c.end();
      }
    },
    log: async () => (await readFile(logFile, 'utf8').catch(() => '')),
    stop,
    start,
    async destroy() {
      await stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
