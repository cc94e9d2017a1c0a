/**
 * Files on disk: finding them under the paths given, and scanning each one, in one read
 * when small and in overlapping chunks when large (so memory stays flat on a 2 GB log).
 *
 * File system calls are synchronous on purpose: a scan does nothing else meanwhile, and
 * for 20,000 small files the promise API's thread-pool round trips cost more than the
 * scanning (measured: about half the time). Parallelism comes from worker threads.
 */
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { TesseraError } from '../../src-shared/errors';
import { pathAllowed, type Allowlist } from './allowlist';
import { isBinary, scanContent, type ContentFinding, type ContentScanOptions } from './scan-content';

/** Folders never descended into: version control internals and installed dependencies. */
export const SKIPPED_FOLDERS = new Set(['.git', 'node_modules', '.hg', '.svn']);
const STREAM_ABOVE = 16 * 1024 * 1024;
const CHUNK = 8 * 1024 * 1024;

export interface FileToScan {
  readonly path: string;
  /** As shown in findings: relative to the folder the scan was started from. */
  readonly display: string;
  readonly size: number;
}

export interface FileFinding extends ContentFinding {
  readonly file: string;
}

export interface FileScanResult {
  readonly findings: FileFinding[];
  readonly bytes: number;
  readonly skippedBinary: number;
}

/** Every regular file under `roots` that the allowlist does not exclude; symlinks are not followed. */
export async function listFiles(roots: readonly string[], opts: { cwd: string; allowlist: Allowlist; allowlistBase: string }): Promise<FileToScan[]> {
  const out: FileToScan[] = [];
  const visit = (path: string, st: { isDirectory(): boolean; isFile(): boolean }, size: () => number) => {
    const rel = relative(opts.allowlistBase, path).split(sep).join('/');
    if (rel !== '' && !rel.startsWith('..') && pathAllowed(opts.allowlist, rel)) return;
    if (st.isFile()) out.push({ path, display: relative(opts.cwd, path).split(sep).join('/') || path, size: size() });
    else if (st.isDirectory()) {
      let entries;
      try {
        entries = readdirSync(path, { withFileTypes: true });
      } catch (e) {
        throw new TesseraError('IO', `Cannot read folder ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      for (const e of entries) {
        if (e.isDirectory() && SKIPPED_FOLDERS.has(e.name)) continue;
        const p = join(path, e.name);
        visit(p, e, () => statSync(p).size);
      }
    }
  };
  for (const root of roots) {
    let st;
    try {
      st = lstatSync(root);
    } catch (e) {
      throw new TesseraError('NOT_FOUND', `Cannot scan ${root} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    visit(root, st, () => st.size);
  }
  return out;
}

/** Scans one file; a file that vanished or cannot be read is skipped, not fatal. */
export async function scanFile(file: FileToScan, o: ContentScanOptions, overlap: number): Promise<FileScanResult> {
  try {
    if (file.size <= STREAM_ABOVE) {
      const buf = readFileSync(file.path);
      if (isBinary(buf)) return { findings: [], bytes: buf.length, skippedBinary: 1 };
      return { findings: scanContent(buf, o).map((f) => ({ ...f, file: file.display })), bytes: buf.length, skippedBinary: 0 };
    }
    return scanLargeFile(file, o, overlap);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') return { findings: [], bytes: 0, skippedBinary: 0 };
    throw e;
  }
}

function scanLargeFile(file: FileToScan, o: ContentScanOptions, overlap: number): FileScanResult {
  const fd = openSync(file.path, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK + overlap);
    const findings: FileFinding[] = [];
    let filled = 0;
    let pos = 0;
    let lines = 0;
    let first = true;
    for (;;) {
      const bytesRead = readSync(fd, buf, filled, buf.length - filled, pos);
      pos += bytesRead;
      filled += bytesRead;
      const atEnd = bytesRead === 0 || filled < buf.length;
      const view = buf.subarray(0, filled);
      if (first && isBinary(view)) return { findings: [], bytes: filled, skippedBinary: 1 };
      first = false;
      // Hits starting in the overlap are left to the next chunk, which sees them whole.
      // Cut at a line start when one is near, so the next chunk's lines read whole.
      let limit = atEnd ? filled : filled - overlap;
      const nl = atEnd ? -1 : view.lastIndexOf(10, limit - 1);
      if (nl > 0 && limit - nl < 65536) limit = nl + 1;
      for (const f of scanContent(view, o, limit, lines)) findings.push({ ...f, file: file.display });
      if (atEnd) return { findings, bytes: pos, skippedBinary: 0 };
      for (let i = 0; i < limit; i++) if (view[i] === 10) lines++;
      buf.copy(buf, 0, limit, filled);
      filled -= limit;
    }
  } finally {
    closeSync(fd);
  }
}
