/**
 * Several `tessera` processes writing one profile at once: every write lands (the profile
 * lock serializes edits, and each edit first catches up with what the others appended).
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createCliProfile, errorLine, type CliProfile } from '../helpers/cli';
import { requireKeychain } from '../helpers/keychain';

const VAULT = 'Busy';
const WRITERS = 2;
const SETS_PER_WRITER = 12;
const IMPORTED = 200;

let p: CliProfile | undefined;

afterEach(async () => {
  await p?.dispose();
  p = undefined;
});

const token = () => randomBytes(6).toString('hex');

/** One writer: its sets one after another, each of which must exit 0. */
async function writer(profile: CliProfile, entries: readonly [key: string, value: string][]): Promise<void> {
  for (const [key, value] of entries) {
    const r = await profile.run(['set', key, '--vault', VAULT, '--env', 'dev'], { input: `${value}\n`, timeoutMs: 40_000 });
    expect(r.code, `set ${key}: ${r.stderr}`).toBe(0);
  }
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

describe('concurrent writers on one profile', () => {
  it('lose nothing: two set loops and a 200-key import at once', { timeout: 90_000 }, async (ctx) => {
    await requireKeychain(ctx);
    p = await createCliProfile();
    const profile = p;
    await profile.ok(['vault', 'create', VAULT, '--envs', 'dev']);

    const byWriter = Array.from({ length: WRITERS }, (_, w) =>
      Array.from({ length: SETS_PER_WRITER }, (_, i): [string, string] => [`K_${w}_${i}`, `writer ${w}=set ${i} ‘${token()}’`]),
    );
    const imported = Array.from({ length: IMPORTED }, (_, i): [string, string] => [`IMPORTED_${i}`, `imported-${i}-${token()}`]);
    const dotenv = imported.map(([k, v]) => `${k}=${v}\n`).join('');

    const importing = profile.run(['import', '-', '--vault', VAULT, '--env', 'dev'], { input: dotenv, timeoutMs: 40_000 }).then((r) => {
      expect(r.code, `import: ${r.stderr}`).toBe(0);
      expect(r.stderr).toBe(`Imported into dev: ${IMPORTED} added, 0 updated, 0 unchanged\n`);
    });
    await Promise.all([...byWriter.map((entries) => writer(profile, entries)), importing]);

    const expected = new Map([...byWriter.flat(), ...imported]);
    const listed = JSON.parse((await profile.ok(['list', '--vault', VAULT, '--json'])).stdout) as { name: string; environments: string[] }[];
    expect(listed.map((s) => s.name).sort()).toEqual([...expected.keys()].sort());
    for (const s of listed) expect(s.environments, s.name).toEqual(['dev']);

    const exported = JSON.parse((await profile.ok(['export', '--vault', VAULT, '--env', 'dev', '--format', 'json'])).stdout) as Record<string, string>;
    expect(exported).toEqual(Object.fromEntries(expected));

    // `get` for every key the loops set, and a sample of the imported ones (export covered them all).
    const checked = [...byWriter.flat(), ...imported.filter((_, i) => i % 40 === 0)];
    const got = await pool(checked, 3, async ([key]) => (await profile.ok(['get', key, '--vault', VAULT, '--env', 'dev'])).stdout);
    checked.forEach(([key, value], i) => expect(got[i], key).toBe(value));
  });

  it('keep every version when two writers set the same key at once; get returns the last one written', { timeout: 60_000 }, async (ctx) => {
    await requireKeychain(ctx);
    p = await createCliProfile();
    const profile = p;
    await profile.ok(['vault', 'create', VAULT, '--envs', 'dev']);
    const perWriter = 6;
    const byWriter = Array.from({ length: WRITERS }, (_, w) =>
      Array.from({ length: perWriter }, (_, i): [string, string] => ['SHARED', `shared from ${w}, round ${i}: ${token()}`]),
    );
    await Promise.all(byWriter.map((entries) => writer(profile, entries)));

    const history = JSON.parse((await profile.ok(['history', 'SHARED', '--vault', VAULT, '--env', 'dev', '--json'])).stdout) as {
      version: number;
      by: string;
      current: boolean;
    }[];
    expect(history.map((h) => h.version)).toEqual(Array.from({ length: WRITERS * perWriter }, (_, i) => i + 1));
    expect(history.filter((h) => h.current).map((h) => h.version)).toEqual([WRITERS * perWriter]);
    for (const h of history) expect(h.by).toBe('Alice');
    const listed = JSON.parse((await profile.ok(['list', '--vault', VAULT, '--json'])).stdout) as { name: string }[];
    expect(listed.map((s) => s.name)).toEqual(['SHARED']); // both first sets found one secret, not two

    // Each writer's sets are sequential, so the newest version is some writer's last set.
    const value = (await profile.ok(['get', 'SHARED', '--vault', VAULT, '--env', 'dev'])).stdout;
    expect(byWriter.map((entries) => entries[entries.length - 1]![1])).toContain(value);
  });

  // Checking the name outside the profile lock would let both creates succeed.
  it('let only one of two concurrent `vault create` with the same name succeed', { timeout: 60_000 }, async (ctx) => {
    await requireKeychain(ctx);
    p = await createCliProfile();
    const profile = p;
    for (const name of ['Twin1', 'Twin2', 'Twin3']) {
      const results = await Promise.all([0, 1].map(() => profile.run(['vault', 'create', name, '--envs', 'dev'])));
      expect(results.map((r) => r.code).sort(), name).toEqual([0, 1]);
      expect(results.find((r) => r.code === 1)!.stderr).toMatch(errorLine('ALREADY_EXISTS'));
    }
    const names = (JSON.parse((await profile.ok(['vault', 'list', '--json'])).stdout) as { name: string }[]).map((v) => v.name);
    expect(names).toEqual(['Twin1', 'Twin2', 'Twin3']);
    await profile.ok(['set', 'KEY', '--vault', 'Twin1', '--env', 'dev'], { input: 'value\n' });
  });
});
