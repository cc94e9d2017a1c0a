/**
 * `tessera import FILE --from FORMAT`: another tool's export, parsed and mapped whole, then
 * previewed (added / updated / unchanged / skipped and why) and written only once confirmed
 * (a yes at the terminal, or --yes); --dry-run stops after the preview. Passwords come from
 * a hidden prompt or --password-file, never the command line.
 */
import { TesseraError } from '../../src-shared/errors';
import { readPassphraseFile } from '../../src-main/keychain/passphrase';
import { IMPORT_FORMATS, isImportFormat, readImport } from '../../src-main/import/formats';
import { applyImport, previewImport, type ImportPlan } from '../../src-main/import/import-preview';
import { mapImport } from '../../src-main/import/mapping';
import { withVault, type CliContext } from '../context';
import { promptHidden, readDocumentBytes } from '../io';

export interface ImportFromOptions {
  vault: string;
  env: string;
  from: string;
  dryRun?: boolean;
  json?: boolean;
  yes?: boolean;
  passwordFile?: string;
  keysFile?: string;
  map?: string;
}

export async function importFrom(ctx: CliContext, file: string, o: ImportFromOptions): Promise<void> {
  const format = o.from;
  if (!isImportFormat(format)) throw new TesseraError('INVALID_INPUT', `Unknown format ${format}: use one of ${IMPORT_FORMATS.join(', ')}`);
  if (o.map && format !== 'csv') throw new TesseraError('INVALID_INPUT', '--map is for --from csv');
  const bytes = await readDocumentBytes(ctx.io.stdin, file);
  const password = async (): Promise<string> => {
    if (o.passwordFile) {
      const { passphrase, warning } = await readPassphraseFile(o.passwordFile);
      if (warning) ctx.io.stderr.write(`warning: ${warning.replace('passphrase file', 'password file')}\n`);
      return passphrase;
    }
    return promptHidden(ctx.io, `Password of ${file}: `, 'No terminal to ask for the file\'s password on: give --password-file FILE');
  };
  // Everything is parsed and mapped before the vault opens: a bad file imports nothing.
  const parsed = await readImport(format, bytes, {
    password,
    env: ctx.env,
    path: file,
    ...(o.keysFile ? { keysFile: o.keysFile } : {}),
    ...(o.map ? { map: o.map } : {}),
  });
  bytes.fill(0);
  const mapped = mapImport(parsed);
  await withVault(ctx, o.vault, async (vault) => {
    const plan = await previewImport(vault, o.env, mapped, format);
    if (o.json) ctx.io.stdout.write(`${JSON.stringify({ format, environment: o.env, ...plan, dryRun: Boolean(o.dryRun) }, null, 2)}\n`);
    else ctx.io.stderr.write(describePlan(format, o.env, plan));
    if (o.dryRun) return;
    const changes = plan.added.length + plan.updated.length;
    if (changes === 0) return void ctx.io.stderr.write('Nothing to import.\n');
    if (!o.yes) {
      if (!ctx.io.stdin.isTTY || file === '-') {
        throw new TesseraError('CONFIRMATION_REQUIRED', 'Nothing imported: run again with --yes to import what the preview shows');
      }
      const answer = await promptHidden(ctx.io, `Import ${changes} ${changes === 1 ? 'secret' : 'secrets'} into ${o.env}? [y/N] `);
      if (!/^y(es)?$/i.test(answer.trim())) return void ctx.io.stderr.write('Nothing imported.\n');
    }
    const r = await applyImport(vault, o.env, mapped, format);
    ctx.io.stderr.write(`Imported into ${o.env}: ${r.added.length} added, ${r.updated.length} updated, ${r.unchanged.length} unchanged, ${plan.skipped.length} skipped\n`);
  });
}

function describePlan(format: string, env: string, plan: ImportPlan): string {
  const names = (n: readonly string[]) => (n.length ? `: ${n.join(', ')}` : '');
  const lines = [
    `Import from ${format} into ${env}:`,
    `  to add (${plan.added.length})${names(plan.added)}`,
    `  to update (${plan.updated.length})${names(plan.updated)}`,
    `  unchanged (${plan.unchanged.length})${names(plan.unchanged)}`,
    `  skipped (${plan.skipped.length})`,
    ...plan.skipped.map((s) => `    ${s.index} ${JSON.stringify(s.title)}: ${s.why}`),
  ];
  return `${lines.join('\n')}\n`;
}
