/** `tessera invite` and `tessera members`: sharing a vault with teammates. */
import type { Command } from 'commander';
import { isTesseraError, TesseraError } from '../../src-shared/errors';
import type { Exposure } from '../../src-shared/vault/types';
import { createInvite, listMembers, type InviteRole } from '../../src-main/membership/invites';
import { shellQuote } from '../../src-main/scan/git';
import { approve, requestJoin, waitingRequests, type JoinRequestView } from '../../src-main/membership/join';
import { changeMemberAccess, removeFromVault, rotateVaultKeys } from '../../src-main/membership/remove';
import { exposureAccess, readAccessLog, type ExposureAccess } from '../../src-main/membership/access-log';
import type { Vault } from '../../src-main/vaults/vault';
import { readSyncState } from '../../src-main/sync/sync-state';
import { unlock, withVault, type CliContext } from '../context';
import { DAY, formatTime, MINUTE, parseSpan, printJson, printTable, promptHidden } from '../io';

const ROLES: readonly InviteRole[] = ['admin', 'editor', 'viewer'];
/** An invite's life: "30m", "24h", "7d" (1 minute to 30 days). */
export const parseDuration = (s: string): number => parseSpan(s, { min: MINUTE, max: 30 * DAY, examples: '30m, 24h or 7d (at most 30d)' });

export function registerMemberCommands(program: Command, ctx: CliContext): void {
  program
    .command('invite')
    .description('make a one-time code that lets a teammate ask to join a vault')
    .requiredOption('--vault <vault>', 'vault name or id')
    .requiredOption('--role <role>', 'admin | editor | viewer')
    .option('--env <list>', 'comma-separated environments they may read (default: none, metadata only)', '')
    .option('--expires <duration>', 'how long the code works: 30m, 24h, 7d', '24h')
    .option('--json', 'machine-readable output')
    .action(async (o: { vault: string; role: string; env: string; expires: string; json?: boolean }) => {
      if (!(ROLES as readonly string[]).includes(o.role)) throw new TesseraError('INVALID_INPUT', `Unknown role ${o.role}: use ${ROLES.join(', ')}`);
      const ttl = parseDuration(o.expires);
      const envs = o.env.split(',').map((e) => e.trim()).filter(Boolean);
      const invite = await withVault(ctx, o.vault, (v) => createInvite(v, o.role as InviteRole, envs, ttl));
      if (o.json) return printJson(ctx.io, { code: invite.code, inviteId: invite.inviteId, expiresAt: formatTime(invite.expiresAt) });
      ctx.io.stdout.write(`${invite.code}\n`);
      ctx.io.stderr.write(
        `Send this code to your teammate over a channel you trust; it works once, until ${formatTime(invite.expiresAt)}.\n` +
          `They run: tessera join CODE --name "Their Name". Then compare fingerprints before you approve.\n`,
      );
    });

  program
    .command('members')
    .description('list a vault\'s members: roles, environments and fingerprints')
    .requiredOption('--vault <vault>', 'vault name or id')
    .option('--json', 'machine-readable output')
    .action(async (o: { vault: string; json?: boolean }) => {
      const { members, pending } = await withVault(ctx, o.vault, async (v) => {
        // Requests answer this device's invites: none issued, none to ask the relay about.
        const asks = v.session.keys.vaults.get(v.id)?.invites?.size && (await readSyncState(v.session.home, v.id));
        const pending = asks ? (await waitingRequests(v)).map((r) => ({ name: r.name, fingerprint: r.fingerprint, role: r.role })) : [];
        return { members: listMembers(v), pending };
      });
      if (o.json) return printJson(ctx.io, { members, pending });
      printTable(ctx.io, ['NAME', 'ROLE', 'ENVIRONMENTS', 'FINGERPRINT'], members.map((m) => [
        m.name + (m.you ? ' (you)' : ''), m.role, m.environments.join(',') || '-', m.fingerprint,
      ]));
      if (pending.length) {
        ctx.io.stdout.write('\nWaiting for approval (compare the fingerprint with them first):\n');
        printTable(ctx.io, ['NAME', 'ROLE', 'FINGERPRINT'], pending.map((p) => [p.name, p.role, p.fingerprint]));
      }
    });

  program
    .command('join <code>')
    .description('ask to join a vault with an invite code; read your fingerprint to the inviter')
    .option('--name <name>', 'your name as teammates will see it (default: your profile name)')
    .action(async (code: string, o: { name?: string }) => {
      const session = await unlock(ctx);
      try {
        const r = await requestJoin(session, code, o.name ?? session.profile.name);
        const vault = r.vaultName ? `${r.vaultName} (${r.vaultId.slice(0, 12)})` : `vault ${r.vaultId.slice(0, 12)}`;
        const next = r.vaultName ? `tessera sync --vault ${shellQuote(r.vaultName)}` : 'tessera sync';
        ctx.io.stdout.write(`Asked to join ${vault}. Read this fingerprint to the person who invited you:\n${r.fingerprint}\nOnce they approve, run: ${next}\n`);
      } finally {
        session.lock();
      }
    });

  program
    .command('approve <member>')
    .description("let someone who asked to join in, with the invite's role and environments, once you compared fingerprints: MEMBER is fingerprint digits, or a name with --fingerprint (or asked on the terminal)")
    .requiredOption('--vault <vault>', 'vault name or id')
    .option('--fingerprint <digits>', 'the first or last digits of their fingerprint (5 or more) as they read them to you, when MEMBER is a name')
    .action(async (who: string, o: { vault: string; fingerprint?: string }) => {
      const r = await withVault(ctx, o.vault, (v) =>
        approve(v, {
          who,
          ...(o.fingerprint !== undefined ? { fingerprint: o.fingerprint } : {}),
          ...(ctx.io.stdin.isTTY ? { ask: (requests: readonly JoinRequestView[]) => askFingerprint(ctx, requests) } : {}),
        }),
      );
      ctx.io.stderr.write(`Approved ${JSON.stringify(r.name)} (${r.invite.role}) — fingerprint ${r.fingerprint}\n`);
    });

  program
    .command('remove <member>')
    .description('remove a member (by name or fingerprint): new keys for all they could read, and the list of values to rotate')
    .requiredOption('--vault <vault>', 'vault name or id')
    .option('--json', 'machine-readable output')
    .action(async (who: string, o: { vault: string; json?: boolean }) => {
      const { exposure, access } = await withVault(ctx, o.vault, async (v) => {
        const e = await removeFromVault(v, who);
        return { exposure: e, access: (await accessLogOf(ctx, v))?.(e) };
      });
      if (o.json) return printJson(ctx.io, access ? { ...exposure, access } : exposure);
      ctx.io.stderr.write(`Removed ${exposure.member}. They can read nothing written from now on.\n`);
      printExposure(ctx, exposure, access);
    });

  const member = program.command('member').description('change a member\'s access');
  member
    .command('set <member>')
    .description('set a member\'s role and environments (taking any away re-keys them)')
    .requiredOption('--vault <vault>', 'vault name or id')
    .requiredOption('--role <role>', 'owner | admin | editor | viewer')
    .option('--env <list>', 'comma-separated environments they may read', '')
    .action(async (who: string, o: { vault: string; role: string; env: string }) => {
      if (!['owner', 'admin', 'editor', 'viewer'].includes(o.role)) throw new TesseraError('INVALID_INPUT', `Unknown role ${o.role}`);
      const envs = o.env.split(',').map((e) => e.trim()).filter(Boolean);
      const r = await withVault(ctx, o.vault, (v) => changeMemberAccess(v, who, o.role as 'owner' | InviteRole, envs));
      ctx.io.stderr.write(`${r.name} is now ${o.role}${envs.length ? ` (${envs.join(', ')})` : ''}${r.rekeyed ? '; access taken away was re-keyed' : ''}\n`);
    });

  program
    .command('rotate-keys')
    .description('new keys for every scope you read (members keep history; use after a suspected leak)')
    .requiredOption('--vault <vault>', 'vault name or id')
    .action(async (o: { vault: string }) => {
      await withVault(ctx, o.vault, (v) => rotateVaultKeys(v));
      ctx.io.stderr.write(`Rotated the keys of ${o.vault}\n`);
    });

  program
    .command('exposure')
    .description('what removed members could read: values to rotate at their providers')
    .requiredOption('--vault <vault>', 'vault name or id')
    .option('--json', 'machine-readable output')
    .action(async (o: { vault: string; json?: boolean }) => {
      const list = await withVault(ctx, o.vault, async (v) => {
        const exposures = v.meta.exposures();
        const access = exposures.length ? await accessLogOf(ctx, v) : undefined;
        return exposures.map((e) => ({ exposure: e, access: access?.(e) }));
      });
      if (o.json) return printJson(ctx.io, list.map(({ exposure, access }) => (access ? { ...exposure, access } : exposure)));
      if (list.length === 0) return void ctx.io.stdout.write('No removed members.\n');
      for (const { exposure, access } of list) printExposure(ctx, exposure, access);
    });
}

/**
 * Shows the fingerprint of each request a name may mean and asks for digits of it as the
 * joiner reads them. Names are quoted: the joiner chose them, control characters included.
 */
async function askFingerprint(ctx: CliContext, requests: readonly JoinRequestView[]): Promise<string> {
  const groups = (fp: string) => fp.replace(/((?:\d{5} ){5}\d{5}) /, '$1\n    '); // two lines of six groups
  if (requests.length > 1) ctx.io.stderr.write(`${requests.length} join requests use this name; only one of them can be who you invited.\n`);
  for (const r of requests) ctx.io.stderr.write(`Join request from ${JSON.stringify(r.name)} (${r.invite.role}), fingerprint:\n    ${groups(r.fingerprint)}\n`);
  ctx.io.stderr.write('Ask them to read their fingerprint to you (by phone or in person) and compare every group.\n');
  return promptHidden(ctx.io, 'Type its last group as they read it (Ctrl+C cancels): ');
}

/**
 * When the vault keeps a team access log and we may read it: what each removed member
 * revealed, copied or exported, as their client reported. Undefined when there is none
 * (or the relay cannot be reached: then the list is shown without it, and says so).
 */
async function accessLogOf(ctx: CliContext, v: Vault): Promise<((e: Exposure) => ExposureAccess[]) | undefined> {
  try {
    const log = await readAccessLog(v);
    if (log.policy.actions.length === 0 && log.entries.length === 0) return undefined;
    return (e) => exposureAccess(e, log.entries);
  } catch (e) {
    if (!isTesseraError(e) || !['NO_ACCESS', 'NO_RELAY', 'RELAY_UNREACHABLE', 'INVALID_INPUT'].includes(e.code)) throw e;
    if (e.code === 'RELAY_UNREACHABLE') ctx.io.stderr.write(`note: the team access log could not be read (${e.message})\n`);
    return undefined;
  }
}

export function printExposure(ctx: CliContext, e: Exposure, access?: readonly ExposureAccess[]): void {
  ctx.io.stdout.write(`${e.member} (removed ${formatTime(e.removedAt)}) could decrypt ${e.items.length} value(s); rotation due: exposed to a removed member\n`);
  if (!e.items.length) return;
  const header = ['SECRET', 'ENVIRONMENT', 'LAST ROTATED', ...(access ? ['ACCESSED (as their client reported)'] : [])];
  printTable(ctx.io, header, e.items.map((i, n) => {
    const a = access?.[n];
    const seen = a ? [a.revealedAt && `revealed ${formatTime(a.revealedAt)}`, a.copiedAt && `copied ${formatTime(a.copiedAt)}`, a.exportedAt && `exported ${formatTime(a.exportedAt)}`].filter(Boolean).join(', ') || 'not reported' : undefined;
    return [i.name, i.environment, formatTime(i.lastRotatedAt), ...(seen === undefined ? [] : [seen])];
  }));
}
