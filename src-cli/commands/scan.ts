/** `tessera scan [PATH...] [--staged | --git-history] [--json | --sarif]` */
import type { Command } from 'commander';
import { TesseraError } from '../../src-shared/errors';
import { formatHuman, toSarif } from '../../src-main/scan/report';
import { recordVaultFindings, scan, type ScanMode } from '../../src-main/scan/scan-session';
import { indexVaultValues, type VaultValueIndex } from '../../src-main/scan/vault-values';
import type { Session } from '../../src-main/profile/profile';
import { auditOf } from '../../src-main/audit/session-audit';
import { unlock, type CliContext } from '../context';
import { printJson } from '../io';

declare const TESSERA_VERSION: string;
const collect = (v: string, acc: string[]) => [...acc, v];

interface ScanFlags {
  staged?: boolean;
  gitHistory?: boolean;
  json?: boolean;
  sarif?: boolean;
  vault: string[];
  vaultValues: boolean;
  allowlist?: string;
  workers?: string;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * "Scanned 3 files (0.1 MB) for 12 vault values (2 under 8 characters not looked for)".
 * Vault values are counted one per secret and environment, both times: the index itself
 * holds each distinct text once (and a reference's stored and expanded forms), which is
 * no count a user can check against `tessera list`.
 */
export function scanSummary(mode: ScanMode, files: number, bytes: number, values: Pick<VaultValueIndex, 'valueCount' | 'tooShort'> | null): string {
  const what = mode.kind === 'staged' ? plural(files, 'staged file', 'staged files') : mode.kind === 'history' ? plural(files, 'blob in the history', 'blobs in the history') : plural(files, 'file', 'files');
  const size = `${(bytes / 1e6).toFixed(1)} MB`;
  if (!values) return `Scanned ${what} (${size}, formats only)`;
  const short = values.tooShort ? ` (${values.tooShort} under 8 characters not looked for)` : '';
  return `Scanned ${what} (${size}) for ${plural(values.valueCount, 'vault value', 'vault values')}${short}`;
}

export function registerScanCommands(program: Command, ctx: CliContext): void {
  program
    .command('scan [paths...]')
    .description('find secrets in files: your own vault values (also base64- or URL-encoded) and well-known key formats; exit 1 on findings')
    .option('--staged', 'scan what is staged for the next commit (for the pre-commit hook)')
    .option('--git-history', 'scan every blob in the repository\'s history')
    .option('--json', 'machine-readable findings')
    .option('--sarif', 'SARIF 2.1.0 for code scanning dashboards')
    .option('--vault <vault>', 'look for the values of this vault only (repeatable; default: all)', collect, [])
    .option('--no-vault-values', 'look for well-known formats only (no unlock)')
    .option('--allowlist <file>', `allowlist file (default: .tesseraignore at the repository's top)`)
    .option('--workers <n>', 'worker threads (default: one per core, at most 4)')
    .action(async (paths: string[], o: ScanFlags) => {
      if (o.staged && o.gitHistory) throw new TesseraError('INVALID_INPUT', 'Use --staged or --git-history, not both');
      if (o.json && o.sarif) throw new TesseraError('INVALID_INPUT', 'Use --json or --sarif, not both');
      if ((o.staged || o.gitHistory) && paths.length) throw new TesseraError('INVALID_INPUT', '--staged and --git-history scan the repository you are in: leave out the paths');
      const workers = o.workers === undefined ? undefined : Number(o.workers);
      if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0 && workers <= 64)) throw new TesseraError('INVALID_INPUT', '--workers takes a number from 0 to 64');
      const mode: ScanMode = o.staged ? { kind: 'staged' } : o.gitHistory ? { kind: 'history' } : { kind: 'paths', paths: paths.length ? paths : ['.'] };
      const cwd = process.cwd();

      let session: Session | null = null;
      try {
        let values: VaultValueIndex | null = null;
        if (o.vaultValues) {
          session = await unlock(ctx);
          values = await indexVaultValues(session, o.vault.length ? o.vault : undefined);
        }
        const started = Date.now();
        const outcome = await scan({
          mode,
          cwd,
          index: values?.index ?? null,
          secrets: values?.secrets ?? [],
          ...(o.allowlist !== undefined ? { allowlistFile: o.allowlist } : {}),
          workerScript: new URL('./scan-worker.mjs', import.meta.url),
          ...(workers !== undefined ? { workers } : {}),
        });
        const seconds = (Date.now() - started) / 1000;
        if (session && values) await recordVaultFindings(session, outcome, values.secrets, auditOf(session), cwd, mode.kind);

        if (o.json) printJson(ctx.io, outcome.findings);
        else if (o.sarif) printJson(ctx.io, toSarif(outcome.findings, typeof TESSERA_VERSION === 'string' ? TESSERA_VERSION : 'dev'));
        else ctx.io.stdout.write(formatHuman(outcome.findings));

        ctx.io.stderr.write(`${scanSummary(mode, outcome.files, outcome.bytes, values)} in ${seconds.toFixed(2)} s\n`);
        if (outcome.findings.length > 0) {
          const n = outcome.findings.length;
          const hint = mode.kind === 'staged' ? '; remove them from the commit, or mark a false positive with a tessera:allow comment' : '';
          throw new TesseraError('SECRETS_FOUND', `${n} secret${n === 1 ? '' : 's'} found${hint}`, { count: n });
        }
      } finally {
        session?.lock();
      }
    });
}
