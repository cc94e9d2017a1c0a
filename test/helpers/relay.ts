/**
 * A real relay process on 127.0.0.1 (the bundled `tessera relay`), on an ephemeral port,
 * for integration tests: start, kill (SIGKILL or SIGTERM), restart on the same database.
 */
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { decodeEnvelope } from '../../src-shared/envelope/envelope';
import { CLI_PATH } from './cli';

export interface RelayProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

/** `dbFromEnv`: name the database in TESSERA_RELAY_DB rather than --db (as a URL with a password should be). */
export function startRelay(db: string, opts: { port?: number; args?: string[]; dbFromEnv?: boolean } = {}): Promise<RelayProcess> {
  const dbArgs = opts.dbFromEnv ? [] : ['--db', db];
  const child = spawn(process.execPath, [CLI_PATH, 'relay', '--host', '127.0.0.1', '--port', String(opts.port ?? 0), ...dbArgs, ...(opts.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: opts.dbFromEnv ? { ...process.env, TESSERA_RELAY_DB: db } : process.env,
  });
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`relay did not start: ${output}`));
    }, 15_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /listening on (ws:\/\/[^\s]+?:(\d+))/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1]!,
          port: Number(m[2]),
          child,
          exited,
          kill: (signal = 'SIGKILL') => {
            child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited (${code}) before listening: ${output}`));
    });
  });
}

/** Everything a SQLite relay database at `db` holds that a key might open: every envelope and snapshot, and the membership log. */
export function relayEnvelopes(db: string) {
  const sql = new Database(db, { readonly: true });
  const rows = [...(sql.prepare('SELECT bytes FROM envelopes').all() as { bytes: Buffer }[]), ...(sql.prepare('SELECT bytes FROM snapshots').all() as { bytes: Buffer }[])];
  const log = (sql.prepare('SELECT bytes FROM membership_log ORDER BY seq').all() as { bytes: Buffer }[]).map((r) => new Uint8Array(r.bytes));
  sql.close();
  return { envelopes: rows.map((r) => decodeEnvelope(new Uint8Array(r.bytes))), log };
}
