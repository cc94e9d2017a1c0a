/**
 * bench:scan — `tessera scan` over a generated tree, against secretlint over the same tree.
 *
 * 20,000 files of about 200 MB (BENCH_FILES / BENCH_MB to change), 1,000 vault values leaked
 * in them (plain, base64, URL-encoded) and every well-known format planted 20 times. tessera
 * runs as a user runs it: the bundled CLI, unlocking a profile whose vault holds the 1,000
 * values, scanning with its worker threads. secretlint (npm, with its recommended preset)
 * runs over the same files in the same run. Both are timed from process start to exit;
 * throughput is the tree's size over that time. Prints MB/s side by side, the ratio, and
 * what tessera found of what was planted.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeRandom } from '../fixtures/scan/fake-keys';
import { RULES } from '../../src-main/scan/rules';
import { writeScanTree } from './scan-tree';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TESSERA = join(ROOT, 'bin', 'tessera.cjs');
const SECRETLINT = join(ROOT, 'node_modules', '.bin', 'secretlint');
const FILES = Number(process.env.BENCH_FILES ?? 20_000);
const MB = Number(process.env.BENCH_MB ?? 200);
const VALUES = Number(process.env.BENCH_VALUES ?? 1_000);
const PER_RULE = Number(process.env.BENCH_PER_RULE ?? 20);

// secretlint slows down more than linearly with the tree (about 45 s for 20 MB, over 35
// minutes for 200 MB on a busy two-core machine): past this limit it is stopped, and its
// throughput reported as an upper bound (it had not finished), the ratio as a lower bound.
const BASELINE_LIMIT_MS = Number(process.env.BENCH_BASELINE_MINUTES ?? 10) * 60_000;

function timed(
  cmd: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd: string; limitMs?: number },
): Promise<{ ms: number; code: number | null; stdout: string; stderr: string; stopped: boolean }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stopped = false;
    const timer = opts.limitMs
      ? setTimeout(() => {
          stopped = true;
          child.kill('SIGKILL');
        }, opts.limitMs)
      : undefined;
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, code, stdout: Buffer.concat(out).toString('utf8'), stderr, stopped });
    });
  });
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-bench-scan-'));
  const tree = join(dir, 'tree');
  const home = join(dir, 'home');
  const env: NodeJS.ProcessEnv = { ...process.env, TESSERA_HOME: home, TESSERA_PASSPHRASE_FILE: join(dir, 'passphrase') };
  try {
    // A passphrase profile: the scan unlocks once, and needs no keychain on a build machine.
    await writeFile(join(dir, 'passphrase'), 'bench scan passphrase', { mode: 0o600 });
    const cli = (args: string[]) => {
      const r = spawnSync(process.execPath, [TESSERA, ...args], { env, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`tessera ${args[0]} failed: ${r.stderr}`);
    };
    cli(['init', '--name', 'Bench', '--no-keychain', '--passphrase']);
    cli(['vault', 'create', 'bench', '--envs', 'production']);
    const r = new FakeRandom('bench-values');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    const values = Array.from({ length: VALUES }, () => r.chars(16 + r.int(40), alphabet));
    await writeFile(join(dir, 'values.env'), values.map((v, i) => `LEAKED_${i}=${v}`).join('\n') + '\n');
    cli(['import', join(dir, 'values.env'), '--vault', 'bench', '--env', 'production']);

    const t0 = Date.now();
    const spec = await writeScanTree({ root: tree, files: FILES, bytes: MB * 1e6, values, perRule: PER_RULE });
    const mb = spec.bytes / 1e6;
    console.log(`bench:scan — ${FILES} files, ${mb.toFixed(1)} MB, ${VALUES} vault values leaked, ${spec.plantedFormats} well-known keys (${PER_RULE} per rule); tree written in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // Warm the page cache for both, so neither pays for the first read from disk.
    await timed(process.execPath, [TESSERA, 'scan', '.', '--no-vault-values', '--json'], { env, cwd: tree });

    const ours = await timed(process.execPath, [TESSERA, 'scan', '.', '--json'], { env, cwd: tree });
    if (ours.code !== 1) throw new Error(`tessera scan exited ${ours.code}: ${ours.stderr}`);
    const findings = JSON.parse(ours.stdout) as { rule: string; secret?: { name: string } }[];
    const foundValues = new Set(findings.filter((f) => f.secret).map((f) => f.secret!.name)).size;
    const rulesHit = new Set(findings.filter((f) => !f.secret).map((f) => f.rule)).size;
    const formatsOnly = await timed(process.execPath, [TESSERA, 'scan', '.', '--no-vault-values', '--json'], { env, cwd: tree });

    const rate = (ms: number) => mb / (ms / 1000);
    console.log(`  tessera scan (vault values + rules)   ${(ours.ms / 1000).toFixed(2)} s   ${rate(ours.ms).toFixed(1)} MB/s   found ${foundValues}/${VALUES} vault values, ${rulesHit}/${RULES.length} rules hit (${findings.length} findings)`);
    console.log(`  tessera scan --no-vault-values        ${(formatsOnly.ms / 1000).toFixed(2)} s   ${rate(formatsOnly.ms).toFixed(1)} MB/s`);
    const rc = join(dir, '.secretlintrc.json');
    await writeFile(rc, JSON.stringify({ rules: [{ id: '@secretlint/secretlint-rule-preset-recommend' }] }));
    // --output: secretlint exits before a large report has drained through a pipe.
    const report = join(dir, 'secretlint.json');
    const theirs = await timed(SECRETLINT, ['--secretlintrc', rc, '--format', 'json', '--output', report, '**/*'], { env: process.env, cwd: tree, limitMs: BASELINE_LIMIT_MS });
    if (!theirs.stopped && theirs.code !== 1 && theirs.code !== 0) throw new Error(`secretlint exited ${theirs.code}: ${theirs.stderr.slice(0, 300)}`);
    const theirFindings = (JSON.parse(await readFile(report, 'utf8').catch(() => '[]')) as { messages: unknown[] }[]).reduce((n, f) => n + f.messages.length, 0);

    if (theirs.stopped) {
      console.log(`  secretlint (preset-recommend)         stopped after ${(theirs.ms / 1000).toFixed(0)} s unfinished: < ${rate(theirs.ms).toFixed(2)} MB/s   (baseline)`);
      console.log(`  ratio tessera / secretlint throughput: > ${(theirs.ms / ours.ms).toFixed(1)}×   (target ≥ 2×)`);
    } else {
      console.log(`  secretlint (preset-recommend)         ${(theirs.ms / 1000).toFixed(2)} s   ${rate(theirs.ms).toFixed(2)} MB/s   (${theirFindings} findings; baseline)`);
      console.log(`  ratio tessera / secretlint throughput: ${(theirs.ms / ours.ms).toFixed(1)}×   (target ≥ 2×)`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
