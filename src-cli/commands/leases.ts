/** `tessera lease list [--json]`, `tessera lease revoke ROLE`: this device's short-lived credentials (src-main/leases). */
import type { Command } from 'commander';
import { auditOf } from '../../src-main/audit/session-audit';
import { listLeases, revokeLease } from '../../src-main/leases/leases';
import { unlock, type CliContext } from '../context';
import { formatTime, printJson } from '../io';

export function registerLeaseCommands(program: Command, ctx: CliContext): void {
  const lease = program.command('lease').description('short-lived credentials made by tessera run --lease');

  lease
    .command('list')
    .description("this device's leases; expired ones are dropped at the provider (which already refuses them)")
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      const session = await unlock(ctx);
      let leases;
      try {
        leases = await listLeases(session, auditOf(session));
      } finally {
        session.lock();
      }
      if (o.json) return printJson(ctx.io, leases);
      if (leases.length === 0) ctx.io.stderr.write('No leases\n');
      for (const l of leases) {
        ctx.io.stdout.write(`${l.role}  ${l.vault}/${l.environment} ${l.variable} from ${l.template}, ${l.state} (until ${formatTime(l.expiresAt)})${l.note ? `: ${l.note}` : ''}\n`);
      }
    });

  lease
    .command('revoke <role>')
    .description('end a lease now: its sessions, and the role')
    .action(async (role: string) => {
      const session = await unlock(ctx);
      try {
        await revokeLease(session, role, auditOf(session));
      } finally {
        session.lock();
      }
      ctx.io.stderr.write(`Revoked lease ${role}\n`);
    });
}
