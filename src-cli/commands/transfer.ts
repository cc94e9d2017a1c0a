/** `tessera import|export`: .env files in and out of one environment. */
import { promises as fs } from 'node:fs';
import type { Command } from 'commander';
import { TesseraError } from '../../src-shared/errors';
import { formatDotenv, formatJson, formatShell, parseDotenvFile } from '../../src-main/dotenv/dotenv-file';
import { exportEntries, importEntries } from '../../src-main/vaults/secrets';
import { withVault, type CliContext } from '../context';
import { decodeUtf8Strict, readAllStdin } from '../io';

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
        text = file === '-' ? await readAllStdin(ctx.io.stdin) : decodeUtf8Strict(await fs.readFile(file), file);
      } catch (e) {
        if (e instanceof TesseraError) throw e;
        throw new TesseraError('IO', `Cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      // Parse everything before opening the vault: a malformed line stops the import whole.
      const entries = parseDotenvFile(text);
      const r = await withVault(ctx, o.vault, (v) => importEntries(v, o.env, entries.map((e) => ({ key: e.key, value: e.value }))));
      ctx.io.stderr.write(`Imported into ${o.env}: ${r.added.length} added, ${r.updated.length} updated, ${r.unchanged.length} unchanged\n`);
    });

  program
    .command('export')
    .description('print an environment\'s secrets as dotenv, JSON or shell exports')
    .requiredOption('--vault <vault>', 'vault name or id')
    .requiredOption('--env <env>', 'environment')
    .option('--format <format>', 'dotenv | json | shell', 'dotenv')
    .action(async (o: { vault: string; env: string; format: string }) => {
      const format = FORMATS[o.format as keyof typeof FORMATS];
      if (!format) throw new TesseraError('INVALID_INPUT', `Unknown format ${o.format}: use dotenv, json or shell`);
      const entries = await withVault(ctx, o.vault, (v) => exportEntries(v, o.env));
      ctx.io.stdout.write(format(entries));
    });
}
