/** `tessera device link|add|approve|list|revoke`: one person's several computers, each with its own keys. */
import type { Command } from 'commander';
import { approveDevice, completeDeviceLinks, createDeviceLink, listDevices, requestDeviceLink, revokeOwnDevice } from '../../src-main/membership/devices';
import type { JoinRequestView } from '../../src-main/membership/join';
import { withSession, type CliContext } from '../context';
import { formatTime, HOUR, parseSpan, printJson, printTable, promptHidden } from '../io';

const LINK_LIFETIME = HOUR;

export function registerDeviceCommands(program: Command, ctx: CliContext): void {
  const device = program.command('device').description('your own devices: link a second computer, list them, cut off a lost one');

  device
    .command('link')
    .description('print a one-time code for a new computer (run tessera device add CODE there), then approve it once fingerprints match')
    .option('--vault <vault>', 'the shared vault the two devices meet through (default: the first one)')
    .action(async (o: { vault?: string }) => {
      await withSession(ctx, async (session) => {
        const link = await createDeviceLink(session, o.vault, LINK_LIFETIME);
        ctx.io.stdout.write(`${link.code}\n`);
        ctx.io.stderr.write(
          `On the new computer: tessera init --name "${session.profile.name}", then tessera device add CODE --name NAME.\n` +
            `It shows a fingerprint; approve it here once the digits match: tessera device approve DIGITS (valid until ${formatTime(link.expiresAt)}).\n`,
        );
      });
    });

  device
    .command('add <code>')
    .description('on a new computer with a fresh profile: ask to become a device of the person who made CODE')
    .option('--name <name>', 'this device’s name (e.g. desktop)', 'new device')
    .option('--wait <span>', 'how long to wait for the approval: 30s, 10m (0: do not wait; tessera sync completes it)', '10m')
    .action(async (code: string, o: { name: string; wait: string }) => {
      const waitMs = o.wait === '0' ? 0 : parseSpan(o.wait, { min: 1000, max: HOUR, examples: '30s or 10m' });
      await withSession(ctx, async (session) => {
        const r = await requestDeviceLink(session, code, o.name);
        ctx.io.stdout.write(`${r.fingerprint}\n`);
        ctx.io.stderr.write(`Asked to link this computer as ${JSON.stringify(o.name)}. Compare this fingerprint with your other device, then approve it there: tessera device approve DIGITS\n`);
        const deadline = Date.now() + waitMs;
        for (;;) {
          const { linked, waiting } = await completeDeviceLinks(session);
          if (!waiting) return void ctx.io.stderr.write(`Linked: this device now holds ${linked.length} vault(s)\n`);
          if (Date.now() >= deadline) return void ctx.io.stderr.write('Not approved yet: once it is, run tessera sync\n');
          await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(0, deadline - Date.now()))));
        }
      });
    });

  device
    .command('approve <device>')
    .description('let a new device in, once you compared fingerprints: DEVICE is fingerprint digits, or its name with --fingerprint')
    .option('--fingerprint <digits>', 'the first or last digits of its fingerprint (5 or more), when DEVICE is a name')
    .action(async (who: string, o: { fingerprint?: string }) => {
      await withSession(ctx, async (session) => {
        const r = await approveDevice(session, {
          who,
          ...(o.fingerprint !== undefined ? { fingerprint: o.fingerprint } : {}),
          ...(ctx.io.stdin.isTTY ? { ask: (requests: readonly JoinRequestView[]) => askDigits(ctx, requests) } : {}),
      });
      ctx.io.stderr.write(`Linked ${JSON.stringify(r.name)} (fingerprint ${r.fingerprint}) to ${r.vaults.length} vault(s): ${r.vaults.join(', ')}\n`);
      });
    });

  device
    .command('list')
    .description('your devices, in every vault you hold; last seen: the newest change each signed that this device has')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      await withSession(ctx, async (session) => {
        const devices = await listDevices(session);
        if (o.json) return printJson(ctx.io, devices.map((d) => ({ ...d, addedAt: d.addedAt === null ? null : formatTime(d.addedAt), lastSeenAt: d.lastSeenAt === null ? null : formatTime(d.lastSeenAt) })));
        if (!devices.length) return void ctx.io.stderr.write('No shared vaults yet: devices are listed in the vaults you share\n');
        printTable(ctx.io, ['NAME', 'FINGERPRINT', 'ADDED', 'BY', 'LAST SEEN', 'VAULTS'], devices.map((d) => [
          `${d.name}${d.you ? ' (this device)' : ''}`, d.fingerprint.split(' ').slice(0, 2).join(' ') + '…', d.addedAt === null ? '-' : formatTime(d.addedAt), d.addedBy || '-',
          d.lastSeenAt === null ? 'no change yet' : formatTime(d.lastSeenAt), String(d.vaults.length),
        ]));
      });
    });

  device
    .command('revoke <device>')
    .description('cut off one of your devices (by name or fingerprint): new keys everywhere it read; you stay a member')
    .option('--json', 'machine-readable output')
    .action(async (who: string, o: { json?: boolean }) => {
      await withSession(ctx, async (session) => {
        const r = await revokeOwnDevice(session, who);
        if (o.json) return printJson(ctx.io, r);
        ctx.io.stderr.write(`Revoked ${JSON.stringify(r.name)} in ${r.vaults.length} vault(s). The relay refuses it, and it can read nothing written from now on.\n`);
      });
    });
}

async function askDigits(ctx: CliContext, requests: readonly JoinRequestView[]): Promise<string> {
  if (requests.length > 1) ctx.io.stderr.write(`${requests.length} devices asked with this name; only one of them is yours.\n`);
  for (const r of requests) ctx.io.stderr.write(`New device ${JSON.stringify(r.name)}, fingerprint:\n    ${r.fingerprint}\n`);
  return promptHidden(ctx.io, 'Type its last group as the new device shows it (Ctrl+C cancels): ');
}
