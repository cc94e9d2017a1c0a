/**
 * Devices syncing through a real relay process on 127.0.0.1, on each storage backend the
 * relay has (SQLite always; PostgreSQL when TESSERA_TEST_PG names a server, as in CI). The
 * devices are the creator's own: copies of one profile (one identity, one keychain entry),
 * each with its own folder, so their chains of changes race on the relay.
 */
import { cp, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import pg from 'pg';
import { CLI_PATH, cliEnv, runCli, type RunOptions } from '../helpers/cli';
import { cliProfile, onCleanup, pgDatabase, relayOn, tempFolder } from '../helpers/cleanup';
import { requireKeychain } from '../helpers/keychain';
import type { RelayProcess } from '../helpers/relay';
import { pgDataDump, PG_URL } from '../helpers/storage-backends';

const VAULT = 'Team';
interface Device {
  readonly home: string;
  ok(args: readonly string[], opts?: RunOptions): Promise<string>;
  set(key: string, env: string, value: string): Promise<void>;
  get(key: string, env: string): Promise<string>;
  sync(): Promise<string>;
  list(): Promise<{ name: string; environments: string[] }[]>;
}

function device(home: string): Device {
  const ok = async (args: readonly string[], opts: RunOptions = {}) => {
    const r = await runCli(home, args, { timeoutMs: 30_000, ...opts });
    if (r.code !== 0) throw new Error(`tessera ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
    return r.stdout;
  };
  return {
    home,
    ok,
    set: async (key, env, value) => void (await ok(['set', key, '--vault', VAULT, '--env', env], { input: value })),
    get: (key, env) => ok(['get', key, '--vault', VAULT, '--env', env]),
    sync: () => ok(['sync', '--vault', VAULT]),
    list: async () => JSON.parse(await ok(['list', '--vault', VAULT, '--json'])),
  };
}

/** The creator's profile with a vault on the relay, plus `copies` more devices. */
async function devices(relay: RelayProcess, copies: number): Promise<Device[]> {
  const p = await cliProfile('Alice');
  await p.ok(['vault', 'create', VAULT, '--envs', 'development,production', '--relay', relay.url]);
  const out = [device(p.home)];
  for (let i = 0; i < copies; i++) {
    const home = await tempFolder('tessera-device-');
    await cp(p.home, home, { recursive: true });
    out.push(device(home));
  }
  return out;
}

/** Where a relay keeps its data, and how a test reads what it kept. */
interface RelayBackend {
  readonly name: string;
  /** A fresh database for one relay and its restarts: a file path or a URL. */
  database(): Promise<string>;
  /** How many envelopes the database holds for each scope. */
  envelopeCounts(db: string): Promise<number[]>;
  /** Everything the database holds, as stored: its files, or a dump of its data. */
  contents(db: string): Promise<{ where: string; bytes: Buffer }[]>;
}

const BACKENDS: RelayBackend[] = [
  {
    name: 'SQLite',
    database: async () => join(await tempFolder('tessera-relay-'), 'relay.db'),
    envelopeCounts: async (db) => {
      const sql = new Database(db, { readonly: true });
      try {
        return (sql.prepare('SELECT COUNT(*) AS n FROM envelopes GROUP BY scope_id').all() as { n: number }[]).map((r) => r.n);
      } finally {
        sql.close();
      }
    },
    contents: async (db) => {
      const dir = join(db, '..');
      return Promise.all((await readdir(dir)).map(async (f) => ({ where: f, bytes: await readFile(join(dir, f)) })));
    },
  },
  ...(PG_URL
    ? [
        {
          name: 'PostgreSQL',
          database: pgDatabase,
          envelopeCounts: async (db: string) => {
            const client = new pg.Client({ connectionString: db });
            await client.connect();
            try {
              return (await client.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM envelopes GROUP BY scope_id')).rows.map((r) => r.n);
            } finally {
              await client.end();
            }
          },
          contents: async (db: string) => [{ where: 'pg_dump', bytes: await pgDataDump(db) }],
        },
      ]
    : []),
];

describe.each(BACKENDS)('sync through a relay on $name', (backend) => {
  async function relayAt(): Promise<{ relay: RelayProcess; db: string }> {
    const db = await backend.database();
    return { relay: await relayOn(db), db };
  }

  it('concurrent edits to different secrets and to the same secret converge everywhere', { timeout: 120_000 }, async (ctx) => {
    await requireKeychain(ctx);
    const { relay } = await relayAt();
    const [a, b, c] = await devices(relay, 2);
    await a!.set('SHARED', 'development', 'first');
    for (const d of [a, b, c]) await d!.sync();
    // Now, without syncing in between: each device edits.
    await a!.set('SHARED', 'development', 'from-a');
    await b!.set('ONLY_B', 'production', 'b-value');
    await c!.set('ONLY_C', 'development', 'c-value');
    await b!.set('SHARED', 'development', 'from-b');
    for (const d of [a, b, c, a, b, c]) await d!.sync();
    const lists = await Promise.all([a, b, c].map((d) => d!.list()));
    const names = (l: { name: string }[]) => l.map((s) => s.name).sort();
    expect(names(lists[0]!)).toEqual(['ONLY_B', 'ONLY_C', 'SHARED']);
    expect(lists[1]).toEqual(lists[0]);
    expect(lists[2]).toEqual(lists[0]);
    const shared = await Promise.all([a, b, c].map((d) => d!.get('SHARED', 'development')));
    expect(new Set(shared).size).toBe(1);
    for (const d of [a, b, c]) {
      expect(await d!.get('ONLY_B', 'production')).toBe('b-value');
      const history = JSON.parse(await d!.ok(['history', 'SHARED', '--vault', VAULT, '--env', 'development', '--json']));
      // Both concurrent writes survive in history, on every device, in the same order.
      expect(history.map((h: { version: number }) => h.version)).toEqual([1, 2, 2]);
    }
  });

  it('offline edits on both sides converge once the relay is back, and nothing is lost', { timeout: 120_000 }, async (ctx) => {
    await requireKeychain(ctx);
    const { relay, db } = await relayAt();
    const [a, b] = await devices(relay, 1);
    await a!.sync();
    await b!.sync();
    await relay.kill('SIGKILL');
    for (let i = 0; i < 3; i++) {
      await a!.set(`A_${i}`, 'development', `a-${i}`);
      await b!.set(`B_${i}`, 'production', `b-${i}`);
    }
    const down = await runCli(a!.home, ['sync', '--vault', VAULT], { timeoutMs: 30_000 });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/RELAY_UNREACHABLE/);
    await relayOn(db, { port: relay.port });
    for (const d of [a, b, a]) await d!.sync();
    for (const d of [a, b]) {
      expect((await d!.list()).map((s) => s.name).sort()).toEqual(['A_0', 'A_1', 'A_2', 'B_0', 'B_1', 'B_2']);
      expect(await d!.get('B_2', 'production')).toBe('b-2');
      expect(await d!.get('A_0', 'development')).toBe('a-0');
    }
  });

  it('survives the relay killed with SIGKILL mid-stream: watchers reconnect, converge, nothing lost or doubled', { timeout: 150_000 }, async (ctx) => {
    await requireKeychain(ctx);
    const { relay, db } = await relayAt();
    const [a, b] = await devices(relay, 1);
    await a!.sync();
    await b!.sync();
    const watchers = [a, b].map((d) => {
      const child = spawn(process.execPath, [CLI_PATH, 'sync', '--vault', VAULT, '--watch'], { env: cliEnv(d!.home), stdio: ['ignore', 'ignore', 'pipe'] });
      let log = '';
      child.stderr.on('data', (x: Buffer) => (log += x.toString()));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      onCleanup(() => (child.kill('SIGKILL'), exited));
      return { child, exited, log: () => log };
    });
    let current = relay;
    const N = 12;
    for (let i = 0; i < N; i++) {
      await a!.set(`KEY_${i}`, 'development', `value-${i}`);
      if (i === 5) {
        await current.kill('SIGKILL');
        current = await relayOn(db, { port: relay.port });
      }
    }
    // b's watcher pulls everything a's watcher pushed, across the restart: names and values.
    let names: string[] = [];
    for (let t = 0; t < 60 && names.length < N; t++) {
      await new Promise((r) => setTimeout(r, 500));
      names = JSON.parse(await b!.ok(['list', '--vault', VAULT, '--env', 'development', '--json'])).map((s: { name: string }) => s.name);
    }
    const logs = watchers.map((w, i) => `watcher ${'ab'[i]}:\n${w.log()}`).join('\n');
    expect(names.sort(), logs).toEqual(Array.from({ length: N }, (_, i) => `KEY_${i}`).sort());
    for (const w of watchers) {
      w.child.kill('SIGINT');
      expect(await w.exited).toBe(0);
    }
    for (let i = 0; i < N; i++) {
      expect(await b!.get(`KEY_${i}`, 'development')).toBe(`value-${i}`);
      const history = JSON.parse(await b!.ok(['history', `KEY_${i}`, '--vault', VAULT, '--env', 'development', '--json']));
      expect(history).toHaveLength(1);
    }
    expect(watchers[0]!.log()).toMatch(/retrying|connected/);
    // The relay holds each change once, nothing pushed twice: the development values scope
    // has one envelope per set, the metadata scope the vault's genesis plus one per new secret.
    await current.kill('SIGTERM');
    expect((await backend.envelopeCounts(db)).sort((x, y) => x - y)).toEqual([N, N + 1]);
  });

  it('keeps the relay database free of every name and value', { timeout: 60_000 }, async (ctx) => {
    await requireKeychain(ctx);
    const { relay, db } = await relayAt();
    const [a] = await devices(relay, 0);
    const markers = ['NAME_MARKER_QX', 'value-marker-7c1d', 'description-marker-zz'];
    await a!.ok(['set', markers[0]!, '--vault', VAULT, '--env', 'production', '--description', markers[2]!], { input: markers[1]! });
    await a!.sync();
    await relay.kill('SIGTERM');
    expect((await backend.envelopeCounts(db)).length, 'scopes stored').toBeGreaterThan(0);
    const contents = await backend.contents(db);
    for (const { where, bytes } of contents) {
      for (const m of [...markers, VAULT, 'production']) {
        // As stored, base64, and hex (pg_dump writes bytea in hex).
        for (const [form, text] of [['', m], [' (base64)', Buffer.from(m).toString('base64')], [' (hex)', Buffer.from(m).toString('hex')]]) {
          expect(bytes.includes(Buffer.from(text!)), `${m}${form} in ${where}`).toBe(false);
        }
      }
    }
  });
});

describe('sync without a working relay', () => {
  it('says what is wrong with a relay URL, a vault without a relay, and a relay that is down', { timeout: 60_000 }, async (ctx) => {
    await requireKeychain(ctx);
    const p = await cliProfile('Alice');
    await p.ok(['vault', 'create', VAULT]);
    const noRelay = await p.run(['sync', '--vault', VAULT]);
    expect(noRelay.code).toBe(1);
    expect(noRelay.stderr).toMatch(/\[NO_RELAY\]/);
    const http = await p.run(['vault', 'relay', VAULT, 'http://127.0.0.1:8787']);
    expect(http.code).toBe(1);
    expect(http.stderr).toMatch(/ws:\/\/ or wss:\/\/.*\[INVALID_INPUT\]/);
    expect((await p.run(['vault', 'create', 'Other', '--relay', 'not a url'])).code).toBe(1);
    expect(JSON.parse((await p.ok(['vault', 'list', '--json'])).stdout).map((v: { name: string }) => v.name)).toEqual([VAULT]);
    await p.ok(['vault', 'relay', VAULT, 'wss://relay.invalid:9']); // accepted: TLS belongs to a proxy in front of the relay
    await p.ok(['vault', 'relay', VAULT, 'ws://127.0.0.1:9']);
    const down = await p.run(['sync', '--vault', VAULT], { timeoutMs: 30_000 });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/\[RELAY_UNREACHABLE\]/);
  });
});
