/** `tessera import|export`: .env files in and out of one environment. */
import type { Command } from 'commander';
import { TesseraError } from '../../src-shared/errors';
import { formatDotenv, formatJson, formatShell, parseDotenvFile } from '../../src-main/dotenv/dotenv-file';
import { importEntries } from '../../src-main/vaults/secrets';
import { projectTarget } from '../../src-main/project/project-config';
import { expandedEntries } from '../../src-main/references/vault-lookup';
import { cliAuditSink } from '../audit-sink';
import { withVault, type CliContext } from '../context';
import { readDocument } from '../io';

const FORMATS = { dotenv: formatDotenv, json: formatJson, shell: formatShell } as const;

export function registerTransferCommands(program: Command, ctx: CliContext): void {
  program
    .command('import <file>')
    .description('import a .env file (use - for stdin); nothing is imported if any line is malformed')
    .requiredOption('--vault <vault>', 'vault name or id')
    .requiredOption('--env <env>', 'environment')
    .action(async (file: string, o: { vault: string; env: string }) => {
      let text: string;
      try {
        text = await readDocument(ctx.io.stdin, file);
      } catch (e) {
        if (e instanceof TesseraError) throw e;
        throw new TesseraError('IO', `Cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      // Parse everything before opening the vault: a malformed line stops the import whole.
      const entries = parseDotenvFile(text);
      const r = await withVault(ctx, o.vault, async (v) => {
        const result = await importEntries(v, o.env, entries.map((e) => ({ key: e.key, value: e.value })));
        await (await cliAuditSink(ctx, v.session)).record({
          action: 'import', vaultId: v.id, vault: v.name, environment: o.env, secrets: [...result.added, ...result.updated],
          detail: { added: result.added.length, updated: result.updated.length, unchanged: result.unchanged.length, source: file === '-' ? 'stdin' : 'file' },
        });
        return result;
      });
      ctx.io.stderr.write(`Imported into ${o.env}: ${r.added.length} added, ${r.updated.length} updated, ${r.unchanged.length} unchanged\n`);
    });

  program
    .command('export')
    .description('print an environment\'s secrets as dotenv, JSON or shell exports, references expanded')
    .option('--vault <vault>', 'vault name or id (default: from .tessera.json)')
    .option('--env <env>', 'environment (default: from .tessera.json)')
    .option('--format <format>', 'dotenv | json | shell', 'dotenv')
    .option('--no-expand', 'print ${...} references as stored instead of expanding them')
    .option('--allow-vault <vaults>', 'let ${vault/env/KEY} references into these other vaults be followed (comma-separated)')
    .action(async (o: { vault?: string; env?: string; format: string; expand: boolean; allowVault?: string }) => {
      const format = FORMATS[o.format as keyof typeof FORMATS];
      if (!format) throw new TesseraError('INVALID_INPUT', `Unknown format ${o.format}: use dotenv, json or shell`);
      const { vault, env } = await projectTarget(o, process.cwd());
      const entries = await withVault(ctx, vault, async (v) => {
        const out = await expandedEntries(v, env, { expand: o.expand, allowVaults: o.allowVault?.split(',').map((v) => v.trim()).filter(Boolean) ?? [] });
        const audit = await cliAuditSink(ctx, v.session);
        await audit.record({ action: 'export', vaultId: v.id, vault: v.name, environment: env, secrets: out.map((e) => e.key), detail: { format: o.format } });
        return out;
      });
      ctx.io.stdout.write(format(entries));
    });
}
