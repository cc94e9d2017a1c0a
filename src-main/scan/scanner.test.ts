/**
 * The scanner over files this test writes: fake keys in every format and the user's own
 * values as they leak in practice (plain, base64, inside URLs, inside a base64'd .env),
 * among innocent code. Prints precision and recall per rule, and requires every planted
 * secret found and nothing else.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAKE_KEY_MAKERS, FakeRandom, gcpServiceAccountFile, innocentLines } from '../../test/fixtures/scan/fake-keys';
import { tempHome } from '../../test/helpers/temp-home';
import { EMPTY_ALLOWLIST, parseAllowlist } from './allowlist';
import { buildFingerprintIndex } from './fingerprints';
import { RULES } from './rules';
import { VAULT_RULE } from './scan-content';
import { listFiles } from './scan-files';
import { scanFiles } from './scanner';

interface Planted {
  file: string;
  line: number;
  rule: string;
  secret?: number;
  form: string;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Writes the corpus; returns what was planted where. */
async function writeCorpus(root: string, r: FakeRandom, values: string[]): Promise<Planted[]> {
  const planted: Planted[] = [];
  const write = async (rel: string, lines: string[], marks: { at: number; rule: string; secret?: number; form: string }[]) => {
    await mkdir(join(root, rel, '..'), { recursive: true });
    await writeFile(join(root, rel), lines.join('\n') + '\n');
    for (const m of marks) planted.push({ file: rel, line: m.at + 1, rule: m.rule, form: m.form, ...(m.secret !== undefined ? { secret: m.secret } : {}) });
  };
  // Well-known formats: five keys per rule (in each of the forms it is written in), each in
  // its own file among innocent lines.
  for (const [rule, make] of Object.entries(FAKE_KEY_MAKERS)) {
    for (let k = 0; k < 5; k++) {
      const { line } = make(r, k);
      const before = innocentLines(r, 5 + r.int(20));
      await write(`formats/${rule}/${k}.txt`, [...before, line, ...innocentLines(r, 10)], [{ at: before.length, rule, form: 'format' }]);
    }
  }
  // Vault values, each leaked one way.
  const forms: [string, (v: string) => string][] = [
    ['plain', (v) => `DATABASE_PASSWORD=${v}`],
    ['base64', (v) => `data:\n  password: ${Buffer.from(v).toString('base64')}`],
    ['url', (v) => `url = "https://admin:${encodeURIComponent(v)}@db.example.com:5432/app"`],
    ['query', (v) => `curl "https://api.example.com/v1?key=${encodeURIComponent(v)}&q=1"`],
  ];
  for (let i = 0; i < values.length; i++) {
    const [form, render] = forms[i % forms.length]!;
    const before = innocentLines(r, 3 + r.int(10));
    const leaked = render(values[i]!).split('\n');
    await write(`values/${form}-${i}.yaml`, [...before, ...leaked, ...innocentLines(r, 5)], [{ at: before.length + leaked.length - 1, rule: VAULT_RULE, secret: i, form }]);
  }
  // A whole .env file, base64'd, as in a Kubernetes Secret or a CI variable: the values sit
  // at every byte alignment of the encoding.
  const env = values.slice(0, 6).map((v, i) => `K${'X'.repeat(i)}=${v}`).join('\n');
  const blob = Buffer.from(env).toString('base64');
  await write('values/env-blob.txt', [`ENV_FILE_B64=${blob}`], values.slice(0, 6).map((_, i) => ({ at: 0, rule: VAULT_RULE, secret: i, form: 'base64 blob' })));
  // Innocent files only.
  for (let k = 0; k < 40; k++) await write(`innocent/${k}.js`, innocentLines(r, 200), []);
  return planted;
}

describe('scanner', () => {
  it('finds every planted secret and nothing else (precision and recall table)', async () => {
    const root = await tempHome('tessera-scan-');
    const r = new FakeRandom('scanner-test');
    const values = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? `p@ss w0rd/${r.chars(12, ALNUM)}+&=` : r.chars(20 + r.int(30), ALNUM)));
    const planted = await writeCorpus(root, r, values);
    const files = await listFiles([root], { cwd: root, allowlist: EMPTY_ALLOWLIST, allowlistBase: root });
    const { findings } = await scanFiles(files, { index: buildFingerprintIndex(values), allowlist: EMPTY_ALLOWLIST });

    // The blob holds six findings on one line: match them as a multiset.
    const key = (f: { file: string; line: number; rule: string; secret?: number }) => `${f.file}:${f.line}:${f.rule}:${f.secret ?? ''}`;
    const expected = new Map<string, number>();
    for (const p of planted) expected.set(key(p), (expected.get(key(p)) ?? 0) + 1);
    const rows = new Map<string, { tp: number; fp: number; fn: number }>();
    const row = (id: string) => rows.get(id) ?? rows.set(id, { tp: 0, fp: 0, fn: 0 }).get(id)!;
    const remaining = new Map(expected);
    for (const f of findings) {
      const id = f.rule === VAULT_RULE ? `vault value (${planted.find((p) => key(p) === key(f))?.form ?? '?'})` : f.rule;
      const left = remaining.get(key(f)) ?? 0;
      if (left > 0) {
        remaining.set(key(f), left - 1);
        row(id).tp++;
      } else row(id).fp++;
    }
    for (const p of planted) {
      if ((remaining.get(key(p)) ?? 0) > 0) {
        remaining.set(key(p), remaining.get(key(p))! - 1);
        row(p.rule === VAULT_RULE ? `vault value (${p.form})` : p.rule).fn++;
      }
    }
    const table = [...rows].sort(([a], [b]) => a.localeCompare(b)).map(([id, c]) => ({
      rule: id,
      found: c.tp,
      false_positives: c.fp,
      missed: c.fn,
      precision: c.tp + c.fp ? (c.tp / (c.tp + c.fp)).toFixed(2) : '-',
      recall: c.tp + c.fn ? (c.tp / (c.tp + c.fn)).toFixed(2) : '-',
    }));
    console.table(table);

    // Every rule is exercised, every planted secret found, and nothing innocent flagged.
    for (const rule of RULES) expect(rows.get(rule.id)?.tp, rule.id).toBe(5);
    expect(table.filter((t) => t.missed > 0 || t.false_positives > 0)).toEqual([]);
    // Excerpts never contain a value or a key beyond its public prefix.
    for (const f of findings) for (const v of values) expect(f.excerpt.includes(v)).toBe(false);
  });

  it('honours inline tessera:allow comments and the allowlist (paths, rules, fingerprints)', async () => {
    const root = await tempHome('tessera-scan-');
    const r = new FakeRandom('allowlist');
    const gh = FAKE_KEY_MAKERS['github-token']!(r).line;
    const npm = FAKE_KEY_MAKERS['npm-token']!(r).line;
    const aws = FAKE_KEY_MAKERS['aws-access-key-id']!(r).line;
    await mkdir(join(root, 'docs', 'examples'), { recursive: true });
    await writeFile(join(root, 'a.txt'), `${gh}\n${gh} // tessera:allow\n${npm}\n${aws}\n`);
    await writeFile(join(root, 'docs', 'examples', 'b.txt'), `${gh}\n`);
    const scan = async (allow: string) => {
      const allowlist = parseAllowlist(allow);
      const files = await listFiles([root], { cwd: root, allowlist, allowlistBase: root });
      return (await scanFiles(files, { index: null, allowlist })).findings.map((f) => `${f.file}:${f.line}:${f.rule}`);
    };
    const all = await scan('');
    expect(all).toEqual(['a.txt:1:github-token', 'a.txt:3:npm-token', 'a.txt:4:aws-access-key-id', 'docs/examples/b.txt:1:github-token']);
    const before = await scanFiles(await listFiles([root], { cwd: root, allowlist: EMPTY_ALLOWLIST, allowlistBase: root }), { index: null, allowlist: EMPTY_ALLOWLIST });
    const awsPrint = before.findings.find((f) => f.rule === 'aws-access-key-id')!.fingerprint;
    expect(await scan(`# test fixtures\ndocs/examples/\nrule:npm-token\nrule:generic-secret-assignment\nfingerprint:${awsPrint}\n`)).toEqual(['a.txt:1:github-token']);
  });

  it('finds private keys whose line breaks are written as \\n in strings, and a whole GCP service-account key file', async () => {
    const root = await tempHome('tessera-scan-');
    const r = new FakeRandom('escaped-keys');
    const account = gcpServiceAccountFile(r);
    const dotenv = FAKE_KEY_MAKERS['private-key']!(r, 2);
    const js = FAKE_KEY_MAKERS['private-key']!(r, 3);
    expect(account).toMatch(/^ {2}"private_key": "-----BEGIN PRIVATE KEY-----\\n[A-Za-z0-9+/]{64}\\n/m);
    expect([dotenv.line, js.line].every((l) => !l.includes('\n') && l.includes('-----\\n'))).toBe(true);
    await writeFile(join(root, 'service-account.json'), `${account}\n`);
    await writeFile(join(root, 'app.env'), `PORT=8080\n${dotenv.line}\n`);
    await writeFile(join(root, 'keys.js'), `// signs the session cookies\n${js.line}\n`);
    // The same file with the key taken out is not a credential.
    await writeFile(join(root, 'template.json'), `${account.replace(/"private_key": "[^"]*"/, '"private_key": ""')}\n`);
    const files = await listFiles([root], { cwd: root, allowlist: EMPTY_ALLOWLIST, allowlistBase: root });
    const { findings } = await scanFiles(files, { index: null, allowlist: EMPTY_ALLOWLIST });
    expect(findings.map((f) => [f.file, f.line, f.column, f.rule])).toEqual([
      ['app.env', 2, 'JWT_PRIVATE_KEY="'.length + 1, 'private-key'],
      ['keys.js', 2, "export const SIGNING_KEY = '".length + 1, 'private-key'],
      ['service-account.json', 1, 1, 'gcp-service-account'],
    ]);
    // No line of any key's body shows in an excerpt.
    const bodies = [account, dotenv.key, js.key].flatMap((k) => k.split(/\\n|\n/)).filter((l) => /^[A-Za-z0-9+/=]{40,}$/.test(l));
    expect(bodies.length).toBeGreaterThan(20);
    for (const f of findings) for (const b of bodies) expect(f.excerpt.includes(b.slice(0, 24))).toBe(false);
  });

  it('redacts excerpts: a public prefix for formats, nothing of a vault value', async () => {
    const root = await tempHome('tessera-scan-');
    const value = 'hunter2-but-longer-9f8e7d';
    const gh = FAKE_KEY_MAKERS['github-token']!(new FakeRandom('excerpt'));
    await writeFile(join(root, 'c.env'), `PASS=${value} TOKEN=${gh.key}\n`);
    const files = await listFiles([root], { cwd: root, allowlist: EMPTY_ALLOWLIST, allowlistBase: root });
    const { findings } = await scanFiles(files, { index: buildFingerprintIndex([value]), allowlist: EMPTY_ALLOWLIST });
    expect(findings.map((f) => [f.rule, f.column, f.excerpt])).toEqual([
      [VAULT_RULE, 6, `PASS=[VAULT VALUE] TOKEN=${gh.key.slice(0, 4)}[REDACTED]`],
      ['github-token', 38, `PASS=[VAULT VALUE] TOKEN=${gh.key.slice(0, 4)}[REDACTED]`],
    ]);
  });

  it('finds secrets across the chunks of a large file, with the right line numbers', async () => {
    const root = await tempHome('tessera-scan-');
    const value = 'Zq8vLm3NpR7sTu2WxY4aBc';
    const line = 'x'.repeat(99) + '\n';
    const blocks = 200_000; // 20 MB: over the streaming threshold, several chunks
    const at = [1, 83_887, 83_886 + 1, 199_999]; // 83,887 lines ≈ the first chunk boundary (8 MiB)
    const parts: string[] = [];
    for (let i = 1; i <= blocks; i++) parts.push(at.includes(i) ? `v=${value}${' '.repeat(100 - value.length - 3)}`.slice(0, 99) + '\n' : line);
    await writeFile(join(root, 'big.log'), parts.join(''));
    const files = await listFiles([root], { cwd: root, allowlist: EMPTY_ALLOWLIST, allowlistBase: root });
    const { findings } = await scanFiles(files, { index: buildFingerprintIndex([value]), allowlist: EMPTY_ALLOWLIST });
    expect(findings.map((f) => f.line)).toEqual([...new Set(at)].sort((a, b) => a - b));
  });

  it('skips binary files', async () => {
    const root = await tempHome('tessera-scan-');
    const key = FAKE_KEY_MAKERS['npm-token']!(new FakeRandom('bin')).key;
    await writeFile(join(root, 'img.png'), Buffer.concat([Buffer.from([0x89, 0x50, 0, 0]), Buffer.from(key)]));
    const files = await listFiles([root], { cwd: root, allowlist: EMPTY_ALLOWLIST, allowlistBase: root });
    const r = await scanFiles(files, { index: null, allowlist: EMPTY_ALLOWLIST });
    expect(r).toMatchObject({ findings: [], skippedBinary: 1 });
  });
});
