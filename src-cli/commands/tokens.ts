/** `tessera token create|list|revoke`: machine members that read a vault with a token (CI, servers). */
import type { Command } from 'commander';
import { createMachineToken, machinesWithLastUse, revokeMachineToken, type MachineRole } from '../../src-main/membership/machines';
import { TesseraError } from '../../src-shared/errors';
import { withVault, type CliContext } from '../context';
import { DAY, formatTime, HOUR, parseSpan, printJson, printTable } from '../io';
import { printExposure } from './members';

/** A token's life: "12h", "90d", "1y" (an hour to ten years). */
const parseLifetime = (s: string): number => parseSpan(s, { min: HOUR, max: 10 * 365 * DAY, examples: '12h, 90d or 1y' });

export function registerTokenCommands(program: Command, ctx: CliContext): void {
  const token = program.command('token').description('machine tokens: end-to-end encrypted access for CI, servers and containers');
  token
    .command('create')
    .description('make a machine member that reads ENVIRONMENTS and print its token, once')
    .requiredOption('--vault <vault>', 'vault name or id')
    .requiredOption('--env <list>', 'comma-separated environments it may read')
    .option('--name <name>', 'what it is (e.g. ci-deploy)', 'ci')
    .option('--role <role>', 'viewer (reads) or editor (rotation jobs)', 'viewer')
    .option('--expires <lifetime>', 'when the relay stops serving it: 12h, 90d, 1y (default: never)')
    .option('--json', 'machine-readable output')
    .action(async (o: { vault: string; env: string; name: string; role: string; expires?: string; json?: boolean }) => {
      if (o.role !== 'viewer' && o.role !== 'editor') throw new TesseraError('INVALID_INPUT', 'A token is a viewer or an editor');
      const environments = o.env.split(',').map((e) => e.trim()).filter(Boolean);
      const expiresAt = o.expires !== undefined ? Date.now() + parseLifetime(o.expires) : null;
      const made = await withVault(ctx, o.vault, (v) => createMachineToken(v, { name: o.name, role: o.role as MachineRole, environments, expiresAt }));
      if (o.json) return printJson(ctx.io, { token: made.token, ...made.machine, createdAt: formatTime(made.machine.createdAt), expiresAt: made.machine.expiresAt && formatTime(made.machine.expiresAt) });
      ctx.io.stdout.write(`${made.token}\n`);
      ctx.io.stderr.write(
        `This is the only time this token is shown: store it in your CI's secret settings (e.g. as TESSERA_TOKEN).\n` +
          `It reads ${environments.join(', ')} of ${o.vault}${expiresAt ? ` until ${formatTime(expiresAt)}` : ''}. Revoke it with: tessera token revoke ${made.machine.name} --vault ${o.vault}\n`,
      );
    });

  token
    .command('list')
    .description('the vault\'s machine tokens')
    .requiredOption('--vault <vault>', 'vault name or id')
    .option('--json', 'machine-readable output')
    .action(async (o: { vault: string; json?: boolean }) => {
      const machines = await withVault(ctx, o.vault, (v) => machinesWithLastUse(v));
      if (o.json) return printJson(ctx.io, machines);
      if (!machines.length) return void ctx.io.stderr.write(`No tokens in ${o.vault} (tessera token create --vault ${o.vault} --env ENV)\n`);
      printTable(ctx.io, ['NAME', 'ROLE', 'ENVIRONMENTS', 'CREATED', 'BY', 'EXPIRES', 'LAST USED'], machines.map((m) => [
        m.name, m.role, m.environments.join(','), formatTime(m.createdAt), m.createdBy, m.expiresAt === null ? 'never' : `${formatTime(m.expiresAt)}${m.expired ? ' (expired)' : ''}`,
        m.lastUsedAt === undefined ? '?' : m.lastUsedAt === null ? 'never' : formatTime(m.lastUsedAt),
      ]));
    });

  token
    .command('revoke <name>')
    .description('revoke a token: new keys for all it could read (it reads nothing written after), and the list of values to rotate')
    .requiredOption('--vault <vault>', 'vault name or id')
    .option('--json', 'machine-readable output')
    .action(async (name: string, o: { vault: string; json?: boolean }) => {
      const exposure = await withVault(ctx, o.vault, (v) => revokeMachineToken(v, name));
      if (o.json) return printJson(ctx.io, exposure);
      ctx.io.stderr.write(`Revoked ${name}. The relay refuses it, and it can read nothing written from now on.\n`);
      printExposure(ctx, exposure);
    });
}
