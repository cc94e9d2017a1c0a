/**
 * Scans a list of files, on worker threads when there is enough to do (one per core, up
 * to four), else on this thread: starting a worker costs tens of milliseconds, which a
 * pre-commit hook over three staged files should not pay.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TesseraError } from '../../src-shared/errors';
import type { Allowlist } from './allowlist';
import { FingerprintMatcher, type FingerprintIndexData } from './fingerprints';
import { scanContent, isBinary, type ContentScanOptions } from './scan-content';
import { scanFile, type FileFinding, type FileToScan } from './scan-files';
import type { WorkerSetup } from './scan-worker';

export interface ScanSettings {
  readonly index: FingerprintIndexData | null;
  readonly allowlist: Allowlist;
  /** The bundled worker script (out/node/scan-worker.mjs); without it the scan stays on this thread. */
  readonly workerScript?: URL;
  /** Worker threads to use; default: one per core, at most four. */
  readonly workers?: number;
}

export interface ScanTotals {
  readonly findings: FileFinding[];
  readonly files: number;
  readonly bytes: number;
  readonly skippedBinary: number;
}

const PARALLEL_ABOVE_BYTES = 8 * 1024 * 1024;
const BATCH_BYTES = 2 * 1024 * 1024;
const BATCH_FILES = 256;

function contentOptions(s: ScanSettings): { options: ContentScanOptions; overlap: number } {
  const matcher = s.index ? new FingerprintMatcher(s.index) : null;
  return {
    options: { matcher, allowRules: s.allowlist.rules, allowFingerprints: s.allowlist.fingerprints },
    // Long enough for any indexed value form and any rule's match (PEM keys run to a few KiB).
    overlap: Math.max(64 * 1024, 2 * (matcher?.maxLength ?? 0)),
  };
}

export async function scanFiles(files: readonly FileToScan[], s: ScanSettings): Promise<ScanTotals> {
  const total = files.reduce((n, f) => n + f.size, 0);
  const workers = Math.min(s.workers ?? Math.min(4, availableParallelism()), Math.ceil(total / BATCH_BYTES));
  const script = s.workerScript && existsSync(fileURLToPath(s.workerScript)) ? s.workerScript : undefined;
  const totals = script && workers > 1 && total > PARALLEL_ABOVE_BYTES ? await onWorkers(files, s, script, workers) : await onThisThread(files, s);
  totals.findings.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column));
  return totals;
}

async function onThisThread(files: readonly FileToScan[], s: ScanSettings): Promise<ScanTotals & { findings: FileFinding[] }> {
  const { options, overlap } = contentOptions(s);
  const findings: FileFinding[] = [];
  let bytes = 0;
  let skippedBinary = 0;
  for (const f of files) {
    const r = await scanFile(f, options, overlap);
    findings.push(...r.findings);
    bytes += r.bytes;
    skippedBinary += r.skippedBinary;
  }
  return { findings, files: files.length, bytes, skippedBinary };
}

function batches(files: readonly FileToScan[]): FileToScan[][] {
  const out: FileToScan[][] = [];
  let cur: FileToScan[] = [];
  let size = 0;
  for (const f of files) {
    cur.push(f);
    size += f.size;
    if (size >= BATCH_BYTES || cur.length >= BATCH_FILES) {
      out.push(cur);
      cur = [];
      size = 0;
    }
  }
  if (cur.length) out.push(cur);
  return out;
}

async function onWorkers(files: readonly FileToScan[], s: ScanSettings, script: URL, count: number): Promise<ScanTotals & { findings: FileFinding[] }> {
  const { overlap } = contentOptions(s);
  const setup: WorkerSetup = {
    index: s.index,
    allowRules: [...s.allowlist.rules],
    allowFingerprints: [...s.allowlist.fingerprints],
    overlap,
  };
  const queue = batches(files);
  const findings: FileFinding[] = [];
  let bytes = 0;
  let skippedBinary = 0;
  let next = 0;
  const pool = Array.from({ length: count }, () => new Worker(script, { workerData: setup }));
  try {
    await Promise.all(
      pool.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const send = () => {
              if (next >= queue.length) return resolve();
              w.postMessage({ id: next, files: queue[next++] });
            };
            w.on('message', (m: { findings?: FileFinding[]; bytes?: number; skippedBinary?: number; error?: string }) => {
              if (m.error !== undefined) return reject(new TesseraError('IO', `Scan failed: ${m.error}`));
              findings.push(...m.findings!);
              bytes += m.bytes!;
              skippedBinary += m.skippedBinary!;
              send();
            });
            w.on('error', (e) => reject(new TesseraError('IO', `Scan worker failed: ${e.message}`)));
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return { findings, files: files.length, bytes, skippedBinary };
}

/** Scans content that is not a file on disk (a staged blob, a commit's blob). */
export function scanBlob(display: string, content: Buffer, s: ScanSettings, prepared = contentOptions(s)): FileFinding[] {
  if (isBinary(content)) return [];
  return scanContent(content, prepared.options).map((f) => ({ ...f, file: display }));
}

/** Options prepared once for many scanBlob calls. */
export const prepareBlobScan = contentOptions;
