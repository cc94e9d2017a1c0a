/**
 * The latest places each vault secret was found by a scan, for the Health report: names,
 * files and line numbers, never values or excerpts.
 *
 * Sealed (secretbox) rather than only authenticated: secret names are encrypted everywhere
 * else at rest, and a list of them beside the paths of the files they leaked into is worth
 * as much to a thief of a locked laptop. The key is derived from the device key with its
 * own label (HMAC-SHA-256), so it is independent of every other key made from it, and the
 * file opens only where the profile unlocks.
 */
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { TesseraError } from '../../src-shared/errors';
import { readFileIfExists, writeFileAtomic } from '../fs/atomic-file';
import type { Session } from '../profile/profile';
import { withProfileLock } from '../store/profile-lock';

export interface StoredScanFinding {
  readonly vaultId: string;
  readonly secret: string;
  readonly environment?: string;
  readonly file: string;
  readonly line: number;
  /** When the scan found it (ms since epoch). */
  readonly at: number;
}

const FILE = 'scan-findings.sealed';
const NONCE = 24;

function storeKey(session: Session): Uint8Array {
  return new Uint8Array(createHmac('sha256', session.deviceKeyForRecords).update('tessera/scan-findings/v1').digest());
}

export async function readScanFindings(session: Session): Promise<StoredScanFinding[]> {
  const bytes = await readFileIfExists(join(session.home, FILE));
  if (!bytes) return [];
  const opened = bytes.length > NONCE ? session.suite.secretbox.open(bytes.subarray(NONCE), bytes.subarray(0, NONCE), storeKey(session)) : null;
  if (!opened) throw new TesseraError('TAMPERED', `${FILE} does not open with this profile's key`);
  try {
    const parsed = JSON.parse(new TextDecoder().decode(opened)) as { v: number; findings: StoredScanFinding[] };
    if (parsed.v !== 1 || !Array.isArray(parsed.findings)) throw new Error('shape');
    return parsed.findings;
  } catch {
    throw new TesseraError('MALFORMED', `${FILE} is not a findings list`);
  }
}

/**
 * Records a scan's findings of vault values. Earlier findings of the same secrets are
 * replaced (the latest scan speaks for a secret), and so are earlier findings in any of
 * `scannedFiles` (a file scanned clean no longer holds what it held).
 */
export async function recordScanFindings(
  session: Session,
  findings: readonly StoredScanFinding[],
  opts: { scannedFiles?: Iterable<string> } = {},
): Promise<void> {
  const scanned = new Set(opts.scannedFiles ?? []);
  const secretKey = (f: StoredScanFinding) => `${f.vaultId}\u0000${f.environment ?? ''}\u0000${f.secret}`;
  const renewed = new Set(findings.map(secretKey));
  await withProfileLock(session.home, async () => {
    const kept = (await readScanFindings(session).catch(() => [])).filter((f) => !renewed.has(secretKey(f)) && !scanned.has(f.file));
    const all = [...kept, ...findings.map((f) => ({ vaultId: f.vaultId, secret: f.secret, ...(f.environment !== undefined ? { environment: f.environment } : {}), file: f.file, line: f.line, at: f.at }))];
    const nonce = session.suite.randomBytes(NONCE);
    const sealed = session.suite.secretbox.seal(new TextEncoder().encode(JSON.stringify({ v: 1, findings: all })), nonce, storeKey(session));
    await writeFileAtomic(join(session.home, FILE), Buffer.concat([nonce, sealed]));
  });
}
