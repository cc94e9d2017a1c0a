/**
 * `tessera scan` and `tessera hook install` against real temporary git repositories: the
 * staged content (not the working tree) is what --staged scans, the pre-commit hook refuses
 * a commit holding a vault value and lets a clean one through, --git-history finds a value
 * deleted long ago and names the commit, and the output formats carry no value.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { FAKE_KEY_MAKERS, FakeRandom } from '../fixtures/scan/fake-keys';
import { CLI_PATH, cliEnv, createCliProfile, errorLine, makeTempDir, type CliProfile } from '../helpers/cli';
import { requireKeychain } from '../helpers/keychain';

const run = promisify(execFile);
const DB_PASSWORD = 'scan-marker-Pw-8d7c6b5a4f3e';
const API_KEY = 'scan-marker-key-0a1b2c3d4e5f6a7b';

let shared: Promise<CliProfile> | undefined;

async function setup(ctx: TestContext): Promise<CliProfile> {
  await requireKeychain(ctx);
  shared ??= (async () => {
    const p = await createCliProfile();
    await p.ok(['vault', 'create', 'app', '--envs', 'dev,prod']);
    await p.ok(['set', 'DB_PASSWORD', '--vault', 'app', '--env', 'prod'], { input: DB_PASSWORD });
    await p.ok(['set', 'API_KEY', '--vault', 'app', '--env', 'dev'], { input: API_KEY });
    return p;
  })();
  return shared;
}

afterAll(async () => {
  await (await shared?.catch(() => undefined))?.dispose();
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function tessera(p: CliProfile, args: string[], cwd: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { cwd, env: cliEnv(p.home), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tessera ${args.join(' ')} did not finish in time`));
    }, 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** git with the profile's environment, so hooks run the same tessera against the same profile. */
async function git(p: CliProfile, repo: string, args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run('git', args, { cwd: repo, env: { ...cliEnv(p.home), GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

async function newRepo(p: CliProfile): Promise<string> {
  const repo = await makeTempDir('tessera-repo-');
  await git(p, repo, ['init', '-q', '-b', 'main']);
  await writeFile(join(repo, 'README.md'), '# demo\n');
  await git(p, repo, ['add', '.']);
  await git(p, repo, ['commit', '-q', '-m', 'init']);
  return repo;
}

const noValues = (r: Result) => {
  for (const v of [DB_PASSWORD, API_KEY]) {
    expect(r.stdout.includes(v)).toBe(false);
    expect(r.stderr.includes(v)).toBe(false);
  }
};

describe('tessera scan', () => {
  it('--staged scans what the commit would hold, not the working tree', async (ctx) => {
    const p = await setup(ctx);
    const repo = await newRepo(p);
    const gh = FAKE_KEY_MAKERS['github-token']!(new FakeRandom('staged'));
    await mkdir(join(repo, 'src'));
    await writeFile(join(repo, 'src', 'db.js'), `const password = '${DB_PASSWORD}';\n`);
    await writeFile(join(repo, 'src', 'gh.js'), `// nothing yet\n`);
    await git(p, repo, ['add', 'src/db.js']);
    // After staging: the working copy is cleaned (not staged), another file gets a key (not staged).
    await writeFile(join(repo, 'src', 'db.js'), `const password = process.env.DB_PASSWORD;\n`);
    await writeFile(join(repo, 'src', 'gh.js'), `${gh.line}\n`);

    const r = await tessera(p, ['scan', '--staged', '--json'], repo);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/tessera: 1 secret found; .* \[SECRETS_FOUND\]\n$/);
    const findings = JSON.parse(r.stdout) as { file: string; line: number; rule: string; secret?: { vault: string; environment: string; name: string } }[];
    expect(findings.map((f) => [f.file, f.line, f.rule, f.secret?.name, f.secret?.environment])).toEqual([['src/db.js', 1, 'vault-value', 'DB_PASSWORD', 'prod']]);
    noValues(r);

    // From a subfolder, paths still read relative to where the command runs.
    const sub = await tessera(p, ['scan', '--staged', '--json'], join(repo, 'src'));
    expect((JSON.parse(sub.stdout) as { file: string }[]).map((f) => f.file)).toEqual(['db.js']);

    // A plain path scan sees the working tree instead: the key, and no password.
    const tree = await tessera(p, ['scan', 'src', '--json'], repo);
    expect((JSON.parse(tree.stdout) as { file: string; rule: string }[]).map((f) => [f.file, f.rule])).toEqual([['src/gh.js', 'github-token']]);
  });

  it('exits 0 on a clean tree, and --sarif gives SARIF 2.1.0 without values', async (ctx) => {
    const p = await setup(ctx);
    const dir = await makeTempDir('tessera-scan-');
    await writeFile(join(dir, 'ok.txt'), 'nothing to see\n');
    const clean = await tessera(p, ['scan'], dir);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toBe('');
    expect(clean.stderr).toMatch(/^Scanned 1 file \(0\.0 MB\) for 2 vault values in [\d.]+ s\n$/);

    await writeFile(join(dir, 'leak.env'), `API_KEY=${encodeURIComponent(API_KEY)}\nB64=${Buffer.from(DB_PASSWORD).toString('base64')}\n`);
    const r = await tessera(p, ['scan', '--sarif'], dir);
    expect(r.code).toBe(1);
    noValues(r);
    const sarif = JSON.parse(r.stdout) as { version: string; runs: { tool: { driver: { name: string; rules: { id: string }[] } }; results: { ruleId: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[]; partialFingerprints: Record<string, string> }[] }[] };
    expect(sarif.version).toBe('2.1.0');
    const results = sarif.runs[0]!.results;
    expect(results.map((x) => [x.ruleId, x.locations[0]!.physicalLocation.artifactLocation.uri, x.locations[0]!.physicalLocation.region.startLine])).toEqual([
      ['vault-value', 'leak.env', 1],
      ['vault-value', 'leak.env', 2],
    ]);
    expect(results[1]!.message.text).toContain('app/prod/DB_PASSWORD (base64)');
    expect(sarif.runs[0]!.tool.driver.rules.map((x) => x.id)).toContain('vault-value');

    // Formats only, without unlocking: the base64'd password goes unseen, the API_KEY
    // assignment still looks like a secret to the generic rule.
    const formats = await tessera(p, ['scan', '--no-vault-values', '--json'], dir);
    expect((JSON.parse(formats.stdout) as { line: number; rule: string }[]).map((f) => [f.line, f.rule])).toEqual([[1, 'generic-secret-assignment']]);
  });

  it('the summary counts files and vault values in one unit each (a value per secret and environment)', async (ctx) => {
    await requireKeychain(ctx);
    const p = await createCliProfile({ name: 'Counter' });
    try {
      await p.ok(['vault', 'create', 'counts', '--envs', 'dev,prod']);
      // One value in two environments, and one too short to look for: 3 values, 1 of them short.
      for (const env of ['dev', 'prod']) await p.ok(['set', 'SAME_TOKEN', '--vault', 'counts', '--env', env], { input: 'same-token-marker-5e6f7a8b' });
      await p.ok(['set', 'SHORT', '--vault', 'counts', '--env', 'dev'], { input: 'abc' });
      const dir = await makeTempDir('tessera-scan-counts-');
      await writeFile(join(dir, 'one.txt'), 'nothing\n');
      const one = await tessera(p, ['scan'], dir);
      expect(one.stderr).toMatch(/^Scanned 1 file \(0\.0 MB\) for 3 vault values \(1 under 8 characters not looked for\) in [\d.]+ s\n$/);
      await writeFile(join(dir, 'two.txt'), 'nothing either\n');
      const formats = await tessera(p, ['scan', '--no-vault-values'], dir);
      expect(formats.stderr).toMatch(/^Scanned 2 files \(0\.0 MB, formats only\) in [\d.]+ s\n$/);
    } finally {
      await p.dispose();
    }
  });

  it('the pre-commit hook refuses a commit holding a vault value, and lets the clean one through', async (ctx) => {
    const p = await setup(ctx);
    const repo = await newRepo(p);
    const install = await tessera(p, ['hook', 'install'], repo);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr).toContain('Installed ');

    await writeFile(join(repo, 'config.yaml'), `api:\n  key: ${API_KEY}\n`);
    await git(p, repo, ['add', 'config.yaml']);
    const refused = await git(p, repo, ['commit', '-m', 'add config']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('config.yaml:2');
    expect(refused.stderr).toContain('app/dev/API_KEY');
    expect(refused.stderr).toMatch(/\[SECRETS_FOUND\]/);
    noValues({ code: 0, stdout: refused.stdout, stderr: refused.stderr });
    expect((await git(p, repo, ['log', '--oneline'])).stdout.trim().split('\n')).toHaveLength(1);

    await writeFile(join(repo, 'config.yaml'), `api:\n  key: \${API_KEY}\n`);
    await git(p, repo, ['add', 'config.yaml']);
    const ok = await git(p, repo, ['commit', '-q', '-m', 'add config']);
    expect(ok.code, ok.stderr).toBe(0);
    expect((await git(p, repo, ['log', '--oneline'])).stdout.trim().split('\n')).toHaveLength(2);

    // A hook that is not ours is left alone unless --force.
    const other = await newRepo(p);
    await writeFile(join(other, '.git', 'hooks', 'pre-commit'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const clash = await tessera(p, ['hook', 'install'], other);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toMatch(errorLine('HOOK_EXISTS'));
    expect((await tessera(p, ['hook', 'install', '--force'], other)).code).toBe(0);
  });

  it('--git-history finds a value removed in a later commit and names the commit that added it', async (ctx) => {
    const p = await setup(ctx);
    const repo = await newRepo(p);
    await writeFile(join(repo, 'deploy.sh'), `export DB_PASSWORD='${DB_PASSWORD}'\n`);
    await git(p, repo, ['add', '.']);
    await git(p, repo, ['commit', '-q', '-m', 'deploy script']);
    const added = (await git(p, repo, ['rev-parse', 'HEAD'])).stdout.trim();
    await writeFile(join(repo, 'deploy.sh'), `export DB_PASSWORD="$(tessera get DB_PASSWORD --vault app --env prod)"\n`);
    await git(p, repo, ['commit', '-q', '-am', 'no more plaintext']);

    expect((await tessera(p, ['scan'], repo)).code).toBe(0); // the tree is clean now
    const r = await tessera(p, ['scan', '--git-history', '--json'], repo);
    expect(r.code).toBe(1);
    const findings = JSON.parse(r.stdout) as { file: string; line: number; commit?: string; secret?: { name: string } }[];
    expect(findings.map((f) => [f.file, f.line, f.commit, f.secret?.name])).toEqual([['deploy.sh', 1, added, 'DB_PASSWORD']]);
    noValues(r);
  });

  it('an allowlist file and inline comments silence known false positives', async (ctx) => {
    const p = await setup(ctx);
    const repo = await newRepo(p);
    const r = new FakeRandom('allow-int');
    await mkdir(join(repo, 'test', 'fixtures'), { recursive: true });
    await writeFile(join(repo, 'test', 'fixtures', 'keys.txt'), `${FAKE_KEY_MAKERS['stripe-key']!(r).line}\n`);
    await writeFile(join(repo, 'app.js'), `const demo = '${FAKE_KEY_MAKERS['npm-token']!(r).key}'; // tessera:allow\n`);
    expect((await tessera(p, ['scan', '--no-vault-values'], repo)).code).toBe(1);
    await writeFile(join(repo, '.tesseraignore'), '# fake keys for tests\ntest/fixtures/\n');
    const quiet = await tessera(p, ['scan', '--no-vault-values'], repo);
    expect(quiet.code, quiet.stdout).toBe(0);
  });
});
