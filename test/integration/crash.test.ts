/**
 * A writer killed mid-write (SIGKILL: no cleanup runs) must cost nothing that was reported
 * saved. The store's log is append-only frames ('T' 'S', u32 LE length, envelope); a kill can
 * leave a partial frame at the end, which readers ignore and the next writer sets aside
 * (`log-….tse.torn-…`, warning TORN_WRITE) before appending.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI_PATH, cliEnv, createCliProfile, makeTempDir, type CliProfile } from '../helpers/cli';
import { requireKeychain } from '../helpers/keychain';

const VAULT = 'Crash';
const ROUNDS = 5;
const SETS_PER_ROUND = 6; // more than fit in the longest delay
const VALUE_BYTES = 1_500_000; // ~2 MB once base64: long enough writes to land a kill in one

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function keychainProfile(): Promise<CliProfile> {
  const p = await createCliProfile();
  cleanups.push(() => p.dispose());
  return p;
}

/**
 * A writer that SIGKILL stopped while holding the profile lock leaves the lock behind; it
 * goes stale after 10 s and the next writer takes it over. Age it rather than wait.
 */
async function ageLeftoverLocks(home: string): Promise<void> {
  for (const name of await readdir(home)) {
    if (!name.endsWith('.lock')) continue;
    const old = new Date(Date.now() - 60_000);
    await utimes(join(home, name), old, old).catch(() => undefined);
  }
}

/**
 * Starts `import` of file i (one line, BIG_<round>_<i>=value) for i = 1…count in a bash
 * loop; `done <i>` after each exit 0. Import, not set: a value on stdin is bounded at
 * 256 KiB, and these are made large so that a kill lands inside a write.
 */
function startWriter(p: CliProfile, valuesDir: string, round: number, count: number) {
  const script = [
    'for i in $(seq 1 "$COUNT"); do',
    '  "$NODE" "$CLI" import "$VALUES/$i" --vault "$VAULT" --env dev || exit 1',
    '  echo "done $i"',
    'done',
  ].join('\n');
  const child = spawn('bash', ['-c', script], {
    detached: true, // its own process group, so one kill stops bash and the tessera it runs
    stdio: ['ignore', 'pipe', 'pipe'],
    env: cliEnv(p.home, { NODE: process.execPath, CLI: CLI_PATH, VALUES: valuesDir, VAULT, ROUND: String(round), COUNT: String(count) }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // ESRCH: the loop already finished.
    }
  };
  cleanups.push(async () => killGroup());
  return {
    exited,
    killGroup,
    done: () => [...stdout.matchAll(/^done (\d+)$/gm)].map((m) => Number(m[1])),
    stderr: () => stderr,
  };
}

/** The newest log-*.tse of each scope folder of the profile's one vault. */
async function newestLogs(home: string): Promise<Map<string, { file: string; size: number }>> {
  const vaultsDir = join(home, 'vaults');
  const [vaultId, ...others] = await readdir(vaultsDir);
  expect(others).toEqual([]);
  const out = new Map<string, { file: string; size: number }>();
  // Scope folders only: the vault folder also holds its membership log (and sync state).
  for (const scope of (await readdir(join(vaultsDir, vaultId!), { withFileTypes: true })).filter((e) => e.isDirectory())) {
    const dir = join(vaultsDir, vaultId!, scope.name);
    const logs = (await readdir(dir)).filter((n) => /^log-\d+\.tse$/.test(n)).sort();
    const newest = logs[logs.length - 1];
    if (newest) out.set(dir, { file: join(dir, newest), size: (await stat(join(dir, newest))).size });
  }
  return out;
}

describe('a writer killed mid-write', () => {
  it('loses nothing reported done, and the next writer and readers carry on', { timeout: 120_000 }, async (ctx) => {
    await requireKeychain(ctx);
    const p = await keychainProfile();
    const valuesDir = await makeTempDir('tessera-crash-values-');
    cleanups.push(() => rm(valuesDir, { recursive: true, force: true }));
    await p.ok(['vault', 'create', VAULT, '--envs', 'dev']);

    const intended = new Map<string, string>(); // key → sha256 of the value imported
    const reportedDone = new Set<string>();
    let tornSeen = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      for (let i = 1; i <= SETS_PER_ROUND; i++) {
        const value = randomBytes(VALUE_BYTES).toString('base64');
        await writeFile(join(valuesDir, String(i)), `BIG_${round}_${i}=${value}\n`);
        intended.set(`BIG_${round}_${i}`, sha256(value));
      }
      const writer = startWriter(p, valuesDir, round, SETS_PER_ROUND);
      await Promise.race([sleep(300 + Math.floor(Math.random() * 1200)), writer.exited]);
      writer.killGroup();
      const code = await writer.exited;
      // Null: killed. 0: all sets finished before the kill. Anything else: a set failed.
      expect(code === null || code === 0, `writer loop exited ${code}: ${writer.stderr()}`).toBe(true);
      for (const i of writer.done()) reportedDone.add(`BIG_${round}_${i}`);
      await ageLeftoverLocks(p.home);

      // Readers need no lock and ignore a torn tail; every value present is whole.
      const exported = await p.ok(['export', '--vault', VAULT, '--env', 'dev', '--format', 'json']);
      expect(exported.stderr).not.toMatch(/TAMPERED|MALFORMED|INCOMPLETE/);
      const values = JSON.parse(exported.stdout) as Record<string, string>;
      for (const key of reportedDone) {
        expect(values[key] === undefined ? 'missing' : sha256(values[key]), `round ${round}: ${key} was reported done`).toBe(intended.get(key));
      }
      for (const [key, value] of Object.entries(values)) {
        if (key.startsWith('BIG_')) expect(sha256(value), `round ${round}: ${key}`).toBe(intended.get(key));
      }
      expect((await p.run(['list', '--vault', VAULT])).code).toBe(0);

      // The next writer succeeds, setting any torn tail aside.
      const tornBefore = await countTorn(p.home);
      const after = await p.ok(['set', `AFTER_${round}`, '--vault', VAULT, '--env', 'dev'], { input: `after round ${round}\n` });
      // The store's repairs are reported once the command's own work is done, so any
      // TORN_WRITE warnings follow the "Created" line.
      const [created, ...lines] = after.stderr.trimEnd().split('\n');
      expect(created).toMatch(new RegExp(`^Created AFTER_${round} in dev \\(version 1\\)$`));
      for (const line of lines) expect(line).toMatch(/^warning: TORN_WRITE in log-\d+\.tse: .* \(\d+ bytes set aside\)$/);
      expect(await countTorn(p.home)).toBe(tornBefore + lines.length);
      tornSeen += lines.length;

      // Reopened, the profile reports no problems.
      const reopened = await p.ok(['get', `AFTER_${round}`, '--vault', VAULT, '--env', 'dev']);
      expect(reopened.stdout).toBe(`after round ${round}`);
      expect(reopened.stderr).toBe('');
    }
    expect(reportedDone.size).toBeGreaterThan(0);
    // Whether a kill landed inside a write is chance; the deterministic test below always tears one.
    await ctx.annotate(`${reportedDone.size} sets reported done over ${ROUNDS} kills; ${tornSeen} torn tails set aside`);
  });

  it('sets aside a torn frame at the end of a values log, warns TORN_WRITE, and keeps every earlier value', async (ctx) => {
    await requireKeychain(ctx);
    const p = await keychainProfile();
    await p.ok(['vault', 'create', 'Torn', '--envs', 'dev']);
    const values: Record<string, string> = {
      FIRST: 'first-value-before-the-tear',
      SECOND: 'second value\nwith two lines',
      THIRD: 'third=value "quoted" ünïcödé',
    };
    for (const [key, value] of Object.entries(values)) await p.ok(['set', key, '--vault', 'Torn', '--env', 'dev'], { input: value });

    // The values scope is the one whose log grows when an existing secret gets a new value.
    const before = await newestLogs(p.home);
    values.FIRST = 'first-value-updated';
    await p.ok(['set', 'FIRST', '--vault', 'Torn', '--env', 'dev'], { input: values.FIRST });
    const grown = [...(await newestLogs(p.home))].filter(([dir, log]) => log.size > (before.get(dir)?.size ?? 0));
    expect(grown.length, 'scope folders whose log grew').toBe(1);
    const [scopeDir, log] = grown[0]!;

    const bytes = await readFile(log.file);
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('TS');
    expect(bytes.readUInt32LE(2) + 6).toBeGreaterThan(50); // so 50 bytes are a torn frame, not a whole one
    const torn = Buffer.from(bytes.subarray(0, 50));
    await appendFile(log.file, torn);

    // Readers take the partial frame for a write in progress: nothing to report.
    const list = await p.ok(['list', '--vault', 'Torn']);
    expect(list.stderr).toBe('');

    const set = await p.ok(['set', 'FOURTH', '--vault', 'Torn', '--env', 'dev'], { input: 'fourth-value-after-the-tear\n' });
    values.FOURTH = 'fourth-value-after-the-tear';
    const [created, ...warnings] = set.stderr.trimEnd().split('\n');
    expect(created).toBe('Created FOURTH in dev (version 1)');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^warning: TORN_WRITE in log-\d+\.tse: .* \(50 bytes set aside\)$/);
    const aside = (await readdir(scopeDir)).filter((n) => /\.torn-/.test(n));
    expect(aside).toHaveLength(1);
    expect((await readFile(join(scopeDir, aside[0]!))).equals(torn)).toBe(true);

    for (const [key, value] of Object.entries(values)) {
      const r = await p.ok(['get', key, '--vault', 'Torn', '--env', 'dev']);
      expect(r.stdout, key).toBe(value);
      expect(r.stderr, key).toBe('');
    }
  });
});

async function countTorn(home: string): Promise<number> {
  const walk = async (dir: string): Promise<number> => {
    let n = 0;
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory()) n += await walk(join(dir, e.name));
      else if (/\.torn-/.test(e.name)) n++;
    }
    return n;
  };
  return walk(home);
}

describe('a change damaged on disk', () => {
  it('is skipped with a TAMPERED warning, and the audit log records it', async (ctx) => {
    await requireKeychain(ctx);
    const p = await keychainProfile();
    await p.ok(['vault', 'create', 'Damaged', '--envs', 'dev']);
    await p.ok(['set', 'KEEP', '--vault', 'Damaged', '--env', 'dev'], { input: 'kept-value' });
    const before = await newestLogs(p.home);
    await p.ok(['set', 'KEEP', '--vault', 'Damaged', '--env', 'dev'], { input: 'second-value-damaged-on-disk' });
    const grown = [...(await newestLogs(p.home))].filter(([dir, log]) => log.size > (before.get(dir)?.size ?? 0));
    expect(grown.length, 'scope folders whose log grew').toBe(1);
    const log = grown[0]![1];
    // One byte inside the last frame (its sealed body), as a disk error or an attacker would.
    const bytes = await readFile(log.file);
    bytes[bytes.length - 20]! ^= 0x01;
    await writeFile(log.file, bytes);

    const get = await p.ok(['get', 'KEEP', '--vault', 'Damaged', '--env', 'dev']);
    expect(get.stdout).toBe('kept-value');
    expect(get.stderr).toMatch(/^warning: (TAMPERED|MALFORMED) in log-\d+\.tse/m);
    const events = JSON.parse((await p.ok(['audit', '--action', 'tampering', '--json'])).stdout) as { vault: string; detail: { code: string } }[];
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(events[0]).toMatchObject({ vault: 'Damaged', detail: { code: expect.stringMatching(/TAMPERED|MALFORMED/) } });
    expect(JSON.stringify(events)).not.toContain('second-value-damaged-on-disk');
  });
});
