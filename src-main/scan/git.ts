/**
 * What a scan needs from git: the staged content of changed files (what a commit would
 * record, not the working tree), every blob in the history, and the pre-commit hook.
 * git runs as a child process with argv arrays; blobs stream through one
 * `git cat-file --batch`, so a history of 100,000 blobs costs one process, not 100,000.
 */
import { execFile, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';
import { TesseraError } from '../../src-shared/errors';

const run = promisify(execFile);

async function git(cwd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run('git', args, { cwd, maxBuffer: 1 << 30, encoding: 'utf8' });
    return stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new TesseraError('NOT_A_REPOSITORY', 'git is not installed (or not on PATH)');
    if (/not a git repository/i.test(err.stderr ?? '')) throw new TesseraError('NOT_A_REPOSITORY', `${cwd} is not inside a git repository`);
    throw new TesseraError('IO', `git ${args[0]} failed: ${(err.stderr ?? '').trim().split('\n')[0] ?? 'error'}`);
  }
}

export async function gitTopLevel(cwd: string): Promise<string> {
  return (await git(cwd, ['rev-parse', '--show-toplevel'])).trim();
}

/** The top of the repository `cwd` is in, or null outside one. */
export async function gitTopLevelOrNull(cwd: string): Promise<string | null> {
  try {
    return await gitTopLevel(cwd);
  } catch (e) {
    if (e instanceof TesseraError && e.code === 'NOT_A_REPOSITORY') return null;
    throw e;
  }
}

export interface Blob {
  readonly sha: string;
  /** Path in the repository, with / separators. */
  readonly path: string;
}

/** Files added, copied, modified or renamed in the index, with their staged blob. */
export async function stagedBlobs(top: string): Promise<Blob[]> {
  const changed = new Set((await git(top, ['diff', '--cached', '--name-only', '-z', '--diff-filter=ACMR'])).split('\0').filter(Boolean));
  if (changed.size === 0) return [];
  const out: Blob[] = [];
  for (const entry of (await git(top, ['ls-files', '--stage', '-z'])).split('\0')) {
    const m = /^(\d+) ([0-9a-f]+) \d\t(.*)$/s.exec(entry);
    // Gitlinks (submodules, mode 160000) and symlinks (120000) hold no file content of ours.
    if (m && changed.has(m[3]!) && m[1]!.startsWith('100')) out.push({ sha: m[2]!, path: m[3]! });
  }
  return out;
}

/** Every blob reachable from any ref, once, with a path it had. */
export async function historyBlobs(top: string): Promise<Blob[]> {
  const listed = (await git(top, ['rev-list', '--all', '--objects'])).split('\n');
  const withPath = new Map<string, string>();
  for (const l of listed) {
    const sp = l.indexOf(' ');
    if (sp > 0 && !withPath.has(l.slice(0, sp))) withPath.set(l.slice(0, sp), l.slice(sp + 1));
  }
  if (withPath.size === 0) return [];
  // Trees carry paths too: keep the blobs.
  const types = await batchCheck(top, [...withPath.keys()]);
  return [...withPath].filter(([sha]) => types.get(sha) === 'blob').map(([sha, path]) => ({ sha, path }));
}

function batchCheck(top: string, shas: string[]): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['cat-file', '--batch-check=%(objectname) %(objecttype)'], { cwd: top, stdio: ['pipe', 'pipe', 'ignore'] });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
    child.on('error', reject);
    child.on('close', () => {
      const out = new Map<string, string>();
      for (const l of text.split('\n')) {
        const [sha, type] = l.split(' ');
        if (sha && type) out.set(sha, type);
      }
      resolve(out);
    });
    child.stdin.end(shas.join('\n') + '\n');
  });
}

/** Streams each blob's content to `onBlob`, in the order given, through one git process. */
export function readBlobs(top: string, blobs: readonly Blob[], onBlob: (blob: Blob, content: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    if (blobs.length === 0) return resolve();
    const child = spawn('git', ['cat-file', '--batch'], { cwd: top, stdio: ['pipe', 'pipe', 'ignore'] });
    let buf: Buffer = Buffer.alloc(0);
    let i = 0;
    child.stdout.on('data', (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      for (;;) {
        const nl = buf.indexOf(10);
        if (nl < 0) return;
        const header = buf.subarray(0, nl).toString('latin1').split(' ');
        const size = Number(header[2]);
        if (header[1] === 'missing' || !Number.isFinite(size)) {
          buf = buf.subarray(nl + 1);
          i++;
          continue;
        }
        if (buf.length < nl + 1 + size + 1) return; // wait for the whole object and its newline
        onBlob(blobs[i++]!, Buffer.from(buf.subarray(nl + 1, nl + 1 + size)));
        buf = buf.subarray(nl + 1 + size + 1);
      }
    });
    child.on('error', reject);
    child.on('close', () => resolve());
    child.stdin.end(blobs.map((b) => b.sha).join('\n') + '\n');
  });
}

/** The oldest commit that added the blob (where the leak began), or undefined. */
export async function commitIntroducing(top: string, sha: string): Promise<string | undefined> {
  const commits = (await git(top, ['log', '--all', '--format=%H', `--find-object=${sha}`])).trim().split('\n').filter(Boolean);
  return commits.at(-1);
}

export const HOOK_MARKER = '# Installed by tessera hook install';

/** Installs the pre-commit hook; HOOK_EXISTS for a hook that is not ours, unless `force` (the old one is kept beside it). */
export async function installPreCommitHook(cwd: string, command: string, force: boolean): Promise<{ path: string; replaced?: string }> {
  let hooks = (await git(cwd, ['rev-parse', '--git-path', 'hooks'])).trim();
  if (!isAbsolute(hooks)) hooks = join(cwd, hooks);
  await fs.mkdir(hooks, { recursive: true });
  const path = join(hooks, 'pre-commit');
  const existing = await fs.readFile(path, 'utf8').catch(() => null);
  let replaced: string | undefined;
  if (existing !== null && !existing.includes(HOOK_MARKER)) {
    if (!force) throw new TesseraError('HOOK_EXISTS', `${path} already exists and is not Tessera's: use --force to set it aside`, { path });
    replaced = `${path}.before-tessera`;
    await fs.rename(path, replaced);
  }
  const script = `#!/bin/sh\n${HOOK_MARKER}: blocks a commit that holds a secret.\n# Skip once with: git commit --no-verify\nexec ${command} scan --staged\n`;
  await fs.writeFile(path, script, { mode: 0o755 });
  await fs.chmod(path, 0o755);
  return { path, ...(replaced ? { replaced } : {}) };
}

/** Quotes a word for /bin/sh. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
