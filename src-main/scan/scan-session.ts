/**
 * One `tessera scan`: what to scan (paths, the staged changes, or the whole history), the
 * allowlist that applies, the scan itself, and its findings turned into reports. Vault-value
 * findings are recorded for the Health report and as audit events (names, file, line).
 */
import { join, relative, resolve, sep } from 'node:path';
import type { AuditSink } from '../audit/audit-sink';
import type { Session } from '../profile/profile';
import { ALLOWLIST_FILE, pathAllowed, readAllowlist, type Allowlist } from './allowlist';
import type { FingerprintIndexData } from './fingerprints';
import { recordScanFindings } from './findings-store';
import { commitIntroducing, gitTopLevel, gitTopLevelOrNull, historyBlobs, readBlobs, stagedBlobs, type Blob } from './git';
import { ruleDescription, type Finding } from './report';
import { isBinary } from './scan-content';
import { listFiles, type FileFinding } from './scan-files';
import { prepareBlobScan, scanBlob, scanFiles, type ScanSettings } from './scanner';
import type { VaultSecretRef } from './vault-values';

export type ScanMode = { kind: 'paths'; paths: readonly string[] } | { kind: 'staged' } | { kind: 'history' };

export interface ScanRequest {
  readonly mode: ScanMode;
  readonly cwd: string;
  readonly index: FingerprintIndexData | null;
  readonly secrets: readonly VaultSecretRef[];
  /** An explicit allowlist file; else .tesseraignore at the repository's top (or cwd). */
  readonly allowlistFile?: string;
  readonly workerScript?: URL;
  readonly workers?: number;
}

export interface ScanOutcome {
  readonly findings: Finding[];
  readonly files: number;
  readonly bytes: number;
  readonly skippedBinary: number;
  /** Absolute paths (or repository paths) that were scanned, for the findings store. */
  readonly scanned: string[];
  readonly base: string;
}

export async function scan(req: ScanRequest): Promise<ScanOutcome> {
  const top = req.mode.kind === 'paths' ? await gitTopLevelOrNull(req.cwd) : await gitTopLevel(req.cwd);
  const base = top ?? resolve(req.cwd);
  const allowlist: Allowlist = req.allowlistFile
    ? await readAllowlist(resolve(req.cwd, req.allowlistFile), true)
    : await readAllowlist(join(base, ALLOWLIST_FILE), false);
  const settings: ScanSettings = { index: req.index, allowlist, ...(req.workerScript ? { workerScript: req.workerScript } : {}), ...(req.workers !== undefined ? { workers: req.workers } : {}) };

  const describe = (f: FileFinding, commit?: string): Finding => {
    const ref = f.secret !== undefined ? req.secrets[f.secret] : undefined;
    return {
      file: f.file,
      line: f.line,
      column: f.column,
      rule: f.rule,
      description: ruleDescription(f.rule),
      excerpt: f.excerpt,
      fingerprint: f.fingerprint,
      ...(ref ? { secret: { vault: ref.vault, environment: ref.environment, name: ref.secret, encoding: f.encoding ?? 'plain' } } : {}),
      ...(commit ? { commit } : {}),
    };
  };

  if (req.mode.kind === 'paths') {
    const roots = req.mode.paths.map((p) => resolve(req.cwd, p));
    const files = await listFiles(roots, { cwd: req.cwd, allowlist, allowlistBase: base });
    const r = await scanFiles(files, settings);
    return { findings: r.findings.map((f) => describe(f)), files: r.files, bytes: r.bytes, skippedBinary: r.skippedBinary, scanned: files.map((f) => f.path), base };
  }

  const blobs = (req.mode.kind === 'staged' ? await stagedBlobs(base) : await historyBlobs(base)).filter((b) => !pathAllowed(allowlist, b.path));
  const prepared = prepareBlobScan(settings);
  const found: { blob: Blob; finding: FileFinding }[] = [];
  let bytes = 0;
  let skippedBinary = 0;
  // Paths shown relative to where the command runs, like git itself does.
  const shown = (p: string) => relative(req.cwd, join(base, p)).split(sep).join('/') || p;
  await readBlobs(base, blobs, (blob, content) => {
    bytes += content.length;
    const fs = scanBlob(shown(blob.path), content, settings, prepared);
    if (isBinary(content)) skippedBinary++;
    for (const finding of fs) found.push({ blob, finding });
  });
  const commits = new Map<string, string | undefined>();
  if (req.mode.kind === 'history') {
    for (const { blob } of found) if (!commits.has(blob.sha)) commits.set(blob.sha, await commitIntroducing(base, blob.sha));
  }
  const findings = found.map(({ blob, finding }) => describe(finding, commits.get(blob.sha)));
  findings.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  return { findings, files: blobs.length, bytes, skippedBinary, scanned: blobs.map((b) => join(base, b.path)), base };
}

/**
 * Records vault-value findings: one audit event each, and the latest per secret for the
 * Health report. Paths are stored absolute, so findings from scans started in different
 * folders stay comparable.
 */
export async function recordVaultFindings(session: Session, outcome: ScanOutcome, secrets: readonly VaultSecretRef[], audit: AuditSink, cwd: string, kind: ScanMode['kind']): Promise<number> {
  const at = Date.now();
  const stored = [];
  for (const f of outcome.findings) {
    if (!f.secret) continue;
    const ref = secrets.find((s) => s.vault === f.secret!.vault && s.environment === f.secret!.environment && s.secret === f.secret!.name)!;
    const file = f.commit ? `${resolve(cwd, f.file)}@${f.commit}` : resolve(cwd, f.file);
    stored.push({ vaultId: ref.vaultId, secret: ref.secret, environment: ref.environment, file, line: f.line, at });
    await audit.record({
      action: 'scan-finding',
      vaultId: ref.vaultId,
      vault: ref.vault,
      secret: ref.secret,
      environment: ref.environment,
      detail: { file, line: f.line, encoding: f.secret.encoding, scan: kind },
      at,
    });
  }
  // A history scan's findings are about old commits: they do not clear what the working tree shows.
  await recordScanFindings(session, stored, kind === 'history' ? {} : { scannedFiles: outcome.scanned });
  return stored.length;
}
