/** `tessera set|get|list|rm|history`: one secret at a time. */
import type { Command } from 'commander';
import { TesseraError } from '../../src-shared/errors';
import { assertSecretName } from '../../src-shared/vault/names';
import { getValue, listSecrets, removeSecret, setSecret } from '../../src-main/vaults/secrets';
import { localClock, rotationStates } from '../../src-main/rotation/state';
import { historyWithStanding } from '../../src-main/rotation/rotate';
import { expandedValue, VaultLookup } from '../../src-main/references/vault-lookup';
import { ReferenceExpander } from '../../src-main/references/expand';
import { CACHE_OPTION, withTokenIfGiven } from '../machine';
import { withVault, type CliContext } from '../context';
import { formatTime, printJson, printTable, promptHidden, readValueFromStdin } from '../io';

const collect = (v: string, acc: string[]) => [...acc, v];

export function registerSecretCommands(program: Command, ctx: CliContext): void {
  program
    .command('set <key>')
    .description('set a secret; the value comes from stdin or a hidden prompt, never from the command line')
    .requiredOption('--vault <vault>', 'vault name or id')
    .requiredOption('--env <env>', 'environment')
    .option('--description <text>', 'what it is for')
    .option('--tag <tag>', 'a tag (repeatable)', collect, [])
    .action(async (key: string, o: { vault: string; env: string; description?: string; tag: string[] }) => {
      assertSecretName(key);
      const value = ctx.io.stdin.isTTY
        ? await promptHidden(ctx.io, `Value for ${key} (${o.env}): `)
        : await readValueFromStdin(ctx.io.stdin);
      if (value === '') throw new TesseraError('INVALID_INPUT', 'Empty value: nothing saved');
      await withVault(ctx, o.vault, async (v) => {
        const r = await setSecret(v, key, o.env, value, {
          ...(o.description !== undefined ? { description: o.description } : {}),
          ...(o.tag.length ? { tags: o.tag } : {}),
        });
        ctx.io.stderr.write(`${r.created ? 'Created' : 'Updated'} ${key} in ${o.env} (version ${r.version.n})\n`);
      });
    });

  program
    .command('get <key>')
    .description('print a secret\'s value alone, for $(...)')
    .option('--vault <vault>', 'vault name or id (with a machine token: its vault)')
    .option('--env <env>', 'environment (with a machine token: the one it reads, if only one)')
    .option('--no-expand', 'print ${...} references as stored instead of expanding them')
    .option('--allow-vault <vaults>', 'let ${vault/env/KEY} references into these other vaults be followed (comma-separated)')
    .option(...CACHE_OPTION)
    .action(async (key: string, o: { vault?: string; env?: string; expand: boolean; allowVault?: string; cache?: string }, cmd: Command) => {
      const byToken = await withTokenIfGiven(ctx, o, async (vault, env) => {
        const v = await getValue(vault, key, env);
        const value = o.expand ? await new ReferenceExpander(new VaultLookup(null, [vault])).expandValue({ vault: vault.id, env, key }, v) : v.value;
        return { result: value, reports: [{ action: 'reveal', secrets: [key], environment: env }] };
      });
      // Without a token they are required, as for every profile command: a usage error (exit 2).
      if (!byToken && o.vault === undefined) cmd.error("error: required option '--vault <vault>' not specified");
      if (!byToken && o.env === undefined) cmd.error("error: required option '--env <env>' not specified");
      const value = byToken
        ? byToken.result
        : await withVault(ctx, o.vault!, (vault) =>
            expandedValue(vault, key, o.env!, { expand: o.expand, allowVaults: o.allowVault?.split(',').map((v) => v.trim()).filter(Boolean) ?? [], via: 'tessera get' }),
          );
      // A trailing newline only for a human at a terminal: $(...) strips it anyway, pipes get the exact bytes.
      ctx.io.stdout.write(value + ((ctx.io.stdout as NodeJS.WriteStream).isTTY ? '\n' : ''));
    });

  program
    .command('list')
    .description('list secrets: names and metadata, never values')
    .requiredOption('--vault <vault>', 'vault name or id')
    .option('--env <env>', 'only secrets with a value in this environment')
    .option('--json', 'machine-readable output')
    .action(async (o: { vault: string; env?: string; json?: boolean }) => {
      await withVault(ctx, o.vault, async (vault) => {
        const secrets = await listSecrets(vault, o.env);
        const states = await rotationStates(vault, secrets, localClock());
        if (o.json) {
          printJson(ctx.io, secrets.map((s) => ({
            name: s.name, id: s.id, description: s.description, tags: s.tags, service: s.service, owner: s.owner,
            status: s.status, environments: s.environments, rotation: s.rotation, rotationState: states.get(s.id),
            createdAt: formatTime(s.createdAt), createdBy: vault.authorName(s.createdBy) ?? s.createdBy,
            updatedAt: formatTime(s.updatedAt), updatedBy: vault.authorName(s.updatedBy) ?? s.updatedBy,
          })));
        } else if (secrets.length === 0) {
          ctx.io.stdout.write(`No secrets${o.env ? ` in ${o.env}` : ''} yet: tessera set KEY --vault ${o.vault} --env ENV\n`);
        } else {
          printTable(ctx.io, ['NAME', 'ENVIRONMENTS', 'ROTATION', 'TAGS', 'DESCRIPTION'], secrets.map((s) => [
            s.status === 'active' ? s.name : `${s.name} (${s.status})`, s.environments.join(','), states.get(s.id) ?? 'none', s.tags.join(','), s.description,
          ]));
        }
      });
    });

  program
    .command('rm <key>')
    .description('delete a secret and purge its values from every environment you hold')
    .requiredOption('--vault <vault>', 'vault name or id')
    .action(async (key: string, o: { vault: string }) => {
      const r = await withVault(ctx, o.vault, async (vault) => {
        const removed = await removeSecret(vault, key);
        return removed;
      });
      ctx.io.stderr.write(`Deleted ${key} (${r.purgedVersions} value versions purged)\n`);
    });

  program
    .command('history <key>')
    .description('who changed a secret\'s value, and when (values are not shown)')
    .requiredOption('--vault <vault>', 'vault name or id')
    .requiredOption('--env <env>', 'environment')
    .option('--json', 'machine-readable output')
    .action(async (key: string, o: { vault: string; env: string; json?: boolean }) => {
      await withVault(ctx, o.vault, async (vault) => {
        const versions = await historyWithStanding(vault, key, o.env, Date.now());
        // As get: a secret with no value here is not found, rather than an empty table.
        if (versions.length === 0) throw new TesseraError('NOT_FOUND', `${key} has no value in ${o.env}`);
        const who = (id: string) => vault.authorName(id) ?? id;
        // Older versions: still valid at the provider (a rotation's grace window), revoked by a
        // rotation, or replaced by a plain set.
        const standing = (s: (typeof versions)[number]['standing']) => (s.state === 'valid' ? `valid until ${formatTime(s.until)}` : s.state === 'current' ? '' : s.state);
        if (o.json) {
          printJson(ctx.io, versions.map((v, i) => ({ version: v.n, id: v.id, at: formatTime(v.at), by: who(v.by), note: v.note, current: i === versions.length - 1, standing: standing(v.standing) || 'current' })));
        } else {
          printTable(ctx.io, ['VERSION', 'WHEN', 'BY', 'STATUS', 'NOTE'], versions.map((v, i) => [
            `${v.n}${i === versions.length - 1 ? ' (current)' : ''}`, formatTime(v.at), who(v.by), standing(v.standing), v.note,
          ]));
        }
      });
    });
}
