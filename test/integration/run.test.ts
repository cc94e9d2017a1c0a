/**
 * `tessera run`, `export`, `get` and `inject` as a user runs them: the bundled CLI starting
 * real programs. Variables arrive exactly; nothing is ever parsed by a shell; exit codes and
 * SIGINT/SIGTERM pass through; values are masked even when a program writes one in two
 * pieces; references expand (and fail clearly); .tessera.json supplies the defaults.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { CLI_PATH, cliEnv, createCliProfile, errorLine, makeTempDir, type CliProfile } from '../helpers/cli';
import { requireKeychain } from '../helpers/keychain';

const VALUES: Record<string, string> = {
  PLAIN: 'sk_live_run_marker_7c1e9a',
  SHELLISH: `$(touch PWNED) \`touch PWNED2\` ; touch PWNED3 && echo "quoted" 'single' $HOME`,
  MULTI: 'line one of run marker\nline two of run marker',
  UNICODE: 'pässwörd-🔑-run-marker-秘密',
  DB_HOST: 'db.run-marker.internal',
  DB_URL: 'postgres://app:${PLAIN}@${DB_HOST}/app',
};
const EXPANDED_URL = `postgres://app:${VALUES.PLAIN}@${VALUES.DB_HOST}/app`;
const MASK = '<concealed by tessera>';

let shared: Promise<{ p: CliProfile; work: string }> | undefined;

async function setup(ctx: TestContext): Promise<{ p: CliProfile; work: string }> {
  await requireKeychain(ctx);
  shared ??= (async () => {
    const p = await createCliProfile();
    await p.ok(['vault', 'create', 'app', '--envs', 'dev,prod']);
    await p.ok(['vault', 'create', 'shared', '--envs', 'prod']);
    for (const [k, v] of Object.entries(VALUES)) await p.ok(['set', k, '--vault', 'app', '--env', 'dev'], { input: v });
    await p.ok(['set', 'ONLY_PROD', '--vault', 'app', '--env', 'prod'], { input: 'prod-only-value-1234' });
    await p.ok(['set', 'CROSS', '--vault', 'app', '--env', 'prod'], { input: 'x-${shared/prod/TOKEN}-${dev/DB_HOST}' });
    await p.ok(['set', 'TOKEN', '--vault', 'shared', '--env', 'prod'], { input: 'shared-token-5678' });
    return { p, work: await makeTempDir('tessera-run-work-') };
  })();
  return shared;
}

afterAll(async () => {
  const s = await shared?.catch(() => undefined);
  await s?.p.dispose();
});

interface Spawned {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in `cwd`, optionally acting on it while it runs (signals). */
function tessera(
  p: CliProfile,
  args: string[],
  opts: { cwd?: string; input?: string; onStdout?: (text: string, pid: number) => void; timeoutMs?: number } = {},
): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { cwd: opts.cwd, env: cliEnv(p.home), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      opts.onStdout?.(stdout, child.pid!);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tessera ${args[0]} did not finish in time`));
    }, opts.timeoutMs ?? 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const node = (script: string) => ['--', process.execPath, '-e', script];

describe('tessera run', () => {
  it('passes the variables exactly, references expanded, and no shell ever sees a value or an argument', async (ctx) => {
    const { p, work } = await setup(ctx);
    const script = `process.stdout.write(JSON.stringify({ env: Object.fromEntries(${JSON.stringify(Object.keys(VALUES))}.map((k) => [k, process.env[k]])), argv: process.argv.slice(1), prod: process.env.ONLY_PROD ?? null }))`;
    const args = ['$(touch PWNED4)', '; touch PWNED5', '`id`', "it's", '*'];
    const r = await tessera(p, ['run', '--vault', 'app', '--env', 'dev', '--no-masking', ...node(script), ...args], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { env: Record<string, string>; argv: string[]; prod: string | null };
    expect(out.env).toEqual({ ...VALUES, DB_URL: EXPANDED_URL });
    expect(out.argv).toEqual(args);
    expect(out.prod).toBeNull(); // only the environment asked for
    for (const f of ['PWNED', 'PWNED2', 'PWNED3', 'PWNED4', 'PWNED5']) expect(existsSync(join(work, f)), f).toBe(false);
  });

  it('--only passes just the named secrets; an unknown one is an error', async (ctx) => {
    const { p, work } = await setup(ctx);
    const r = await tessera(p, ['run', '--vault', 'app', '--env', 'dev', '--only', 'PLAIN,DB_HOST', ...node('console.log(Object.keys(process.env).filter((k) => /^(PLAIN|DB_HOST|DB_URL|MULTI)$/.test(k)).sort().join())')], { cwd: work });
    expect(r.stdout).toBe('DB_HOST,PLAIN\n');
    const bad = await tessera(p, ['run', '--vault', 'app', '--env', 'dev', '--only', 'NOPE', ...node('0')], { cwd: work });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(errorLine('NOT_FOUND'));
  });

  it('returns the program\'s exit status, and 128+n when a signal killed it', async (ctx) => {
    const { p, work } = await setup(ctx);
    for (const code of [0, 3, 255]) {
      expect((await tessera(p, ['run', '--vault', 'app', '--env', 'dev', ...node(`process.exit(${code})`)], { cwd: work })).code).toBe(code);
    }
    expect((await tessera(p, ['run', '--vault', 'app', '--env', 'dev', ...node(`process.kill(process.pid, 'SIGKILL')`)], { cwd: work })).code).toBe(137);
    const missing = await tessera(p, ['run', '--vault', 'app', '--env', 'dev', '--', 'no-such-program-tessera-test'], { cwd: work });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(errorLine('COMMAND_FAILED'));
  });

  for (const [signal, status] of [['SIGTERM', 42], ['SIGINT', 43]] as const) {
    it(`forwards ${signal} to the program and returns what it exits with`, async (ctx) => {
      const { p, work } = await setup(ctx);
      const script = `process.on('${signal}', () => { console.log('child got ${signal}'); process.exit(${status}); }); console.log('ready'); setInterval(() => {}, 1000);`;
      let sent = false;
      const r = await tessera(p, ['run', '--vault', 'app', '--env', 'dev', ...node(script)], {
        cwd: work,
        onStdout: (text, pid) => {
          if (!sent && text.includes('ready')) {
            sent = true;
            process.kill(pid, signal); // to tessera alone, as `kill` or `docker stop` would
          }
        },
      });
      expect(r.stdout).toBe(`ready\nchild got ${signal}\n`);
      expect(r.code).toBe(status);
    });
  }

  it('a program that does not handle SIGTERM dies of it, and tessera says 143', async (ctx) => {
    const { p, work } = await setup(ctx);
    let sent = false;
    const r = await tessera(p, ['run', '--vault', 'app', '--env', 'dev', ...node(`console.log('ready'); setInterval(() => {}, 1000);`)], {
      cwd: work,
      onStdout: (text, pid) => {
        if (!sent && text.includes('ready')) {
          sent = true;
          process.kill(pid, 'SIGTERM');
        }
      },
    });
    expect(r.code).toBe(143);
  });

  it('masks values in stdout and stderr, also when one is written in two pieces', async (ctx) => {
    const { p, work } = await setup(ctx);
    // Each value is cut in the middle (UNICODE inside a character), the halves written 50 ms
    // apart, so they reach tessera as separate reads.
    const script = `
      const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
      (async () => {
        for (const stream of [process.stdout, process.stderr]) {
          for (const k of ['PLAIN', 'UNICODE', 'DB_URL', 'MULTI']) {
            const b = Buffer.from(process.env[k]); const m = (b.length >> 1) | 1;
            stream.write(Buffer.concat([Buffer.from('['), b.subarray(0, m)]));
            await sleep(50);
            stream.write(Buffer.concat([b.subarray(m), Buffer.from(']\\n')]));
          }
        }
      })();`;
    const r = await tessera(p, ['run', '--vault', 'app', '--env', 'dev', ...node(script)], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`[${MASK}]\n`.repeat(4));
    expect(r.stderr).toBe(`[${MASK}]\n`.repeat(4));
    const plain = await tessera(p, ['run', '--vault', 'app', '--env', 'dev', '--no-masking', ...node('process.stdout.write(process.env.PLAIN)')], { cwd: work });
    expect(plain.stdout).toBe(VALUES.PLAIN);
  });

  it('takes the vault and environment from .tessera.json in the folder or a parent', async (ctx) => {
    const { p, work } = await setup(ctx);
    const project = join(work, 'project');
    await mkdir(join(project, 'src', 'deep'), { recursive: true });
    await writeFile(join(project, '.tessera.json'), JSON.stringify({ vault: 'app', environment: 'prod' }));
    const r = await tessera(p, ['run', '--allow-vault', 'shared', ...node('console.log(process.env.ONLY_PROD, process.env.CROSS)')], { cwd: join(project, 'src', 'deep') });
    expect(r.stdout).toBe(`${MASK} ${MASK}\n`); // prod's values, CROSS expanded across vaults, both masked
    // Into another vault only when the person running it says so.
    const unallowed = await tessera(p, ['run', ...node('console.log(process.env.CROSS)')], { cwd: project });
    expect([unallowed.code, unallowed.stdout]).toEqual([1, '']);
    expect(unallowed.stderr).toMatch(/--allow-vault shared \[REFERENCE_NOT_ALLOWED\]\n$/);
    const flags = await tessera(p, ['run', '--env', 'dev', '--no-masking', ...node('console.log(process.env.DB_HOST)')], { cwd: project });
    expect(flags.stdout).toBe(`${VALUES.DB_HOST}\n`);
    const none = await tessera(p, ['run', ...node('0')], { cwd: work });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(errorLine('INVALID_INPUT'));
  });
});

describe('references in export, get and inject', () => {
  it('export and get expand references; --no-expand shows them as stored', async (ctx) => {
    const { p } = await setup(ctx);
    const json = JSON.parse((await p.ok(['export', '--vault', 'app', '--env', 'dev', '--format', 'json'])).stdout) as Record<string, string>;
    expect(json.DB_URL).toBe(EXPANDED_URL);
    expect((await p.ok(['get', 'CROSS', '--vault', 'app', '--env', 'prod', '--allow-vault', 'shared'])).stdout).toBe('x-shared-token-5678-db.run-marker.internal');
    expect((await p.run(['get', 'CROSS', '--vault', 'app', '--env', 'prod'])).stderr).toMatch(errorLine('REFERENCE_NOT_ALLOWED'));
    expect((await p.ok(['get', 'DB_URL', '--vault', 'app', '--env', 'dev', '--no-expand'])).stdout).toBe(VALUES.DB_URL);
    const shell = (await p.ok(['export', '--vault', 'app', '--env', 'dev', '--format', 'shell'])).stdout;
    expect(shell).toContain(`export SHELLISH='$(touch PWNED) \`touch PWNED2\` ; touch PWNED3 && echo "quoted" '\\''single'\\'' $HOME'\n`);
  });

  it('a missing reference and a cycle are clear errors that name secrets, not values', async (ctx) => {
    const { p } = await setup(ctx);
    await p.ok(['vault', 'create', 'broken', '--envs', 'dev']);
    await p.ok(['set', 'A', '--vault', 'broken', '--env', 'dev'], { input: 'value-a-marker ${B}' });
    await p.ok(['set', 'B', '--vault', 'broken', '--env', 'dev'], { input: 'value-b-marker ${A}' });
    await p.ok(['set', 'M', '--vault', 'broken', '--env', 'dev'], { input: 'value-m-marker ${GONE}' });
    const cycle = await p.run(['get', 'A', '--vault', 'broken', '--env', 'dev']);
    expect(cycle.stderr).toBe('tessera: References go round in a circle: A → B → A [REFERENCE_CYCLE]\n');
    const missing = await p.run(['get', 'M', '--vault', 'broken', '--env', 'dev']);
    expect(missing.stderr).toBe('tessera: GONE has no value (referenced by M) [REFERENCE_MISSING]\n');
    const run = await tessera(p, ['run', '--vault', 'broken', '--env', 'dev', ...node('0')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/\[REFERENCE_(CYCLE|MISSING)\]\n$/);
    expect(run.stderr).not.toMatch(/marker/);
  });

  it('inject fills placeholders, writes the file with mode 0600, and writes nothing when one is missing', async (ctx) => {
    const { p, work } = await setup(ctx);
    const template = join(work, 'config.tpl');
    const out = join(work, 'config.yml');
    await writeFile(template, 'db: "{{ tessera://app/dev/DB_URL }}"\ntoken: {{tessera://shared/prod/TOKEN}}\nliteral: {{ not a placeholder }}\n');
    await writeFile(out, 'old content', { mode: 0o644 });
    const r = await p.ok(['inject', '-i', template, '-o', out]);
    expect(r.stderr).toBe(`Wrote ${out} (2 placeholders filled)\n`);
    expect(await readFile(out, 'utf8')).toBe(`db: "${EXPANDED_URL}"\ntoken: shared-token-5678\nliteral: {{ not a placeholder }}\n`);
    expect((await stat(out)).mode & 0o777).toBe(0o600);

    await writeFile(template, 'a: {{ tessera://app/dev/PLAIN }}\nb: {{ tessera://app/dev/MISSING }}\n');
    const bad = await p.run(['inject', '-i', template, '-o', out]);
    expect(bad.stderr).toBe(`tessera: ${template}: tessera://app/dev/MISSING has no value [REFERENCE_MISSING]\n`);
    expect(await readFile(out, 'utf8')).toContain('shared-token-5678'); // the earlier output, untouched
  });
});
