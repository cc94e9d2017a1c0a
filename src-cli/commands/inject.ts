/** `tessera inject -i TEMPLATE [-o FILE]`: fills `{{ tessera://vault/env/KEY }}` placeholders. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { TesseraError } from '../../src-shared/errors';
import { writeFileAtomic } from '../../src-main/fs/atomic-file';
import { fillTemplate, placeholdersIn } from '../../src-main/references/template';
import { VaultLookup } from '../../src-main/references/vault-lookup';
import { collectingAuditSink } from '../../src-main/audit/audit-sink';
import { CACHE_OPTION, withTokenVaultIfGiven } from '../machine';
import { auditOf } from '../../src-main/audit/session-audit';
import { unlock, type CliContext } from '../context';
import { readDocument } from '../io';

export function registerInjectCommands(program: Command, ctx: CliContext): void {
  program
    .command('inject')
    .description('fill {{ tessera://vault/env/KEY }} placeholders in a template; the output file gets mode 0600')
    .requiredOption('-i, --in <template>', 'the template (- for stdin)')
    .option('-o, --out <file>', 'where to write the result (default: stdout)')
    .option(...CACHE_OPTION)
    .option('--allow-vault <vaults>', 'let ${vault/env/KEY} references into these other vaults be followed (comma-separated)')
    .action(async (o: { in: string; out?: string; allowVault?: string; cache?: string }) => {
      const template = await readDocument(ctx.io.stdin, o.in);
      if (o.out !== undefined && resolve(o.out) === resolve(o.in)) throw new TesseraError('INVALID_INPUT', 'The output would overwrite the template');
      const count = placeholdersIn(template).length;
      let filled = template;
      const byToken = count > 0
        ? await withTokenVaultIfGiven(ctx, async (vault) => {
            const used = collectingAuditSink(); // what the template took, to report
            const text = await fillTemplate(template, new VaultLookup(null, [vault]), used, o.in === '-' ? 'stdin' : o.in);
            return { result: text, reports: used.events.map((e) => ({ action: 'export' as const, secrets: e.secrets ?? [], environment: e.environment ?? '' })) };
          }, o.cache)
        : undefined;
      if (byToken) filled = byToken.result;
      else if (count > 0) {
        const session = await unlock(ctx);
        try {
          filled = await fillTemplate(template, new VaultLookup(session, [], o.allowVault?.split(',').map((v) => v.trim()).filter(Boolean) ?? []), auditOf(session), o.in === '-' ? 'stdin' : o.in);
        } finally {
          session.lock();
        }
      }
      if (o.out === undefined) {
        ctx.io.stdout.write(filled);
        return;
      }
      try {
        // Written whole (temp file, fsync, rename) with mode 0600 even when a file was there before.
        await writeFileAtomic(o.out, filled, 0o600);
      } catch (e) {
        throw new TesseraError('IO', `Cannot write ${o.out} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      ctx.io.stderr.write(`Wrote ${o.out} (${count} placeholder${count === 1 ? '' : 's'} filled)\n`);
    });
}
