/**
 * A scan worker thread: receives the fingerprint index (keyed hashes, no values) once, then
 * batches of files, and answers each batch with its findings.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FingerprintMatcher, type FingerprintIndexData } from './fingerprints';
import { scanFile, type FileToScan } from './scan-files';
import type { ContentScanOptions } from './scan-content';

export interface WorkerSetup {
  readonly index: FingerprintIndexData | null;
  readonly allowRules: readonly string[];
  readonly allowFingerprints: readonly string[];
  readonly overlap: number;
}

const setup = workerData as WorkerSetup;
const options: ContentScanOptions = {
  matcher: setup.index ? new FingerprintMatcher(setup.index) : null,
  allowRules: new Set(setup.allowRules),
  allowFingerprints: new Set(setup.allowFingerprints),
};

parentPort!.on('message', (msg: { id: number; files: FileToScan[] }) => {
  void (async () => {
    const result = { id: msg.id, findings: [] as unknown[], bytes: 0, skippedBinary: 0 };
    try {
      for (const f of msg.files) {
        const r = await scanFile(f, options, setup.overlap);
        result.findings.push(...r.findings);
        result.bytes += r.bytes;
        result.skippedBinary += r.skippedBinary;
      }
      parentPort!.postMessage(result);
    } catch (e) {
      parentPort!.postMessage({ id: msg.id, error: (e as Error).message });
    }
  })();
});
