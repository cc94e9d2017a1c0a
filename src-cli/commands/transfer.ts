/** `tessera import|export`: .env files in and out of one environment. */
import type { Command } from 'commander';
import { TesseraError } from '../../src-shared/errors';
import { formatDotenv, formatJson, formatShell, parseDotenvFile } from '../../src-main/dotenv/dotenv-file';
import { importEntries } from '../../src-main/vaults/secrets';
import { projectTarget } from '../../src-main/project/project-config';
import { expandedEntries, exportValues } from '../../src-main/references/vault-lookup';
import { CACHE_OPTION, withTokenIfGiven } from '../machine';
import { withVault, type CliContext } from '../context';
import { readDocument } from '../io';
import { IMPORT_FORMATS } from '../../src-main/import/formats';
import { importFrom, type ImportFromOptions } from './import-from';
import { exportAllEnvironments } from '../../src-main/vaults/vault-export';

const FORMATS = { dotenv: formatDotenv, json: formatJson, shell: formatShell } as const;

export function registerTransferCommands(program: Command, ctx: CliContext): void {
  program
    .command('import <file>')
    .description('import a .env file, or with --from another tool\'s export after a preview (use - for stdin); a malformed file imports nothing')
    .requiredOption('--vault <vault>', 'vault name or id')
    .requiredOption('--env <env>', 'environment')
    .option('--from <format>', `the file's format, previewed before anything is written: ${IMPORT_FORMATS.join(', ')}`)
    .option('--dry-run', 'with --from: show the preview only')
    .option('--json', 'with --from: print the preview as JSON on stdout')
    .option('--yes', 'with --from: import what the preview shows without asking')
    .option('--password-file <file>', 'a file holding the KeePass database\'s or Bitwarden export\'s password (else asked)')
    .option('--keys-file <file>', 'for dotenvx: the .env.keys holding DOTENV_PRIVATE_KEY* (default: beside the file)')
    .option('--map <columns>', 'for --from csv: name=COLUMN,value=COLUMN[,description=COLUMN,tags=COLUMN,url=COLUMN]')
    .action(async (file: string, o: ImportFromOptions & { from?: string }) => {
      if (o.from !== undefined) return importFrom(ctx, file, o as ImportFromOptions);
      if (o.dryRun || o.json || o.yes || o.passwordFile || o.keysFile || o.map) throw new TesseraError('INVALID_INPUT', 'These options go with --from FORMAT (e.g. --from dotenv)');
      const text = await readDocument(ctx.io.stdin, file);
      // Parse everything before opening the vault: a malformed line stops the import whole.
      const entries = parseDotenvFile(text);
      const r = await withVault(ctx, o.vault, async (v) => {
        return importEntries(v, o.env, entries.map((e) => ({ key: e.key, value: e.value })), file === '-' ? 'stdin' : 'file');
      });
      ctx.io.stderr.write(`Imported into ${o.env}: ${r.added.length} added, ${r.updated.length} updated, ${r.unchanged.length} unchanged\n`);
    });

  program
    .command('export')
    .description('print an environment\'s secrets as dotenv, JSON or shell exports, references expanded')
    .option('--vault <vault>', 'vault name or id (default: from .tessera.json)')
    .option('--env <env>', 'environment (default: from .tessera.json)')
    .option('--format <format>', 'dotenv | json | shell', 'dotenv')
    .option(...CACHE_OPTION)
    .option('--no-expand', 'print ${...} references as stored instead of expanding them')
    .option('--allow-vault <vaults>', 'let ${vault/env/KEY} references into these other vaults be followed (comma-separated)')
    .option('--all-envs', 'with --format json: every environment you read, with each secret\'s description, tags and rotation policy')
    .action(async (o: { vault?: string; env?: string; format: string; expand: boolean; allowVault?: string; cache?: string; allEnvs?: boolean }) => {
      const allowVaults = o.allowVault?.split(',').map((v) => v.trim()).filter(Boolean) ?? [];
      if (o.allEnvs) {
        if (o.format !== 'json') throw new TesseraError('INVALID_INPUT', '--all-envs writes JSON: add --format json');
        if (o.env) throw new TesseraError('INVALID_INPUT', '--all-envs exports every environment: leave out --env');
        if (o.cache || ctx.env.TESSERA_TOKEN || ctx.env.TESSERA_TOKEN_FILE) throw new TesseraError('INVALID_INPUT', '--all-envs exports from your profile, not with a machine token');
        const { vault } = await projectTarget(o, process.cwd(), false);
        const doc = await withVault(ctx, vault, (v) => exportAllEnvironments(v, { expand: o.expand, allowVaults }));
        return void ctx.io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
      }
      const format = FORMATS[o.format as keyof typeof FORMATS];
      if (!format) throw new TesseraError('INVALID_INPUT', `Unknown format ${o.format}: use dotenv, json or shell`);
      const byToken = await withTokenIfGiven(ctx, o, async (vault, env) => {
        const entries = await expandedEntries(vault, env, { expand: o.expand });
        return { result: entries, reports: [{ action: 'export', secrets: entries.map((e) => e.key), environment: env }] };
      });
      if (byToken) return void ctx.io.stdout.write(format(byToken.result));
      const { vault, env } = await projectTarget(o, process.cwd());
      const entries = await withVault(ctx, vault, (v) => exportValues(v, env, { expand: o.expand, allowVaults, format: o.format }));
      ctx.io.stdout.write(format(entries));
    });
}
