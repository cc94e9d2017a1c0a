/**
 * `tessera rotate|rollback|retire|restore|delete|policy|rotator`: rotating secrets and their
 * lifecycle. A typed value comes from stdin or a hidden prompt, never from argv.
 */
import type { Command } from 'commander';
import { TesseraError, isTesseraError } from '../../src-shared/errors';
import { assertSecretName } from '../../src-shared/vault/names';
import type { AuditSink } from '../../src-main/audit/audit-sink';
import { parseGenerateSpec } from '../../src-main/rotation/generate';
import { deleteSecret, restoreSecret, retireSecret, setDefaultPolicy, setPolicy, type PolicyChange } from '../../src-main/rotation/lifecycle';
import { rollback, rotateSecret, type RotationSource } from '../../src-main/rotation/rotate';
import { localClock, schedulesOf } from '../../src-main/rotation/state';
import { rotationStatus } from '../../src-shared/rotation/schedule';
import { isBuiltinRotator, type RotatorConfig } from '../../src-shared/vault/types';
import type { Vault } from '../../src-main/vaults/vault';
import { auditOf } from '../../src-main/audit/session-audit';
import { unlock, type CliContext } from '../context';
import { rotateDueCommand } from './rotate-due';
import { openVault } from '../../src-main/vaults/vaults';
import { formatTime, printJson, promptHidden, readValueFromStdin } from '../io';

/** withVault (context.ts), with the audit sink of the same session. */
export async function withVaultAudited<T>(ctx: CliContext, vaultName: string, fn: (vault: Vault, audit: AuditSink) => Promise<T>): Promise<T> {
  const session = await unlock(ctx);
  try {
    const vault = await openVault(session, vaultName);
    const result = await fn(vault, auditOf(session));
    for (const p of vault.problems()) {
      ctx.io.stderr.write(`warning: ${p.code} in ${p.file}: ${p.detail}${p.bytes ? ` (${p.bytes} bytes set aside)` : ''}\n`);
    }
    return result;
  } finally {
    session.lock();
  }
}

/** "90d" or "90" days; "none" clears. */
export function parseInterval(text: string): number | null {
  if (text === 'none') return null;
  const m = /^(\d{1,4})d?$/.exec(text);
  if (!m) throw new TesseraError('INVALID_INPUT', `Cannot read interval ${JSON.stringify(text)}: a number of days such as 90d, or none`);
  return Number(m[1]);
}

/** YYYY-MM-DD (the start of that day here) or an ISO date-time; "none" clears. */
export function parseDate(text: string): number | null {
  if (text === 'none') return null;
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const t = day ? new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3])).getTime() : /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(t)) throw new TesseraError('INVALID_INPUT', `Cannot read date ${JSON.stringify(text)}: YYYY-MM-DD or an ISO date-time`);
  return t;
}

/** A grace window: "7" or "7d" days, "12h", "30m", "45s"; in ms. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d{1,6})([dhms]?)$/.exec(text);
  if (!m) throw new TesseraError('INVALID_INPUT', `${what} must be a number of days (7 or 7d), hours (12h), minutes (30m) or seconds (45s), got ${JSON.stringify(text)}`);
  return Number(m[1]) * { d: 86_400_000, '': 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[m[2] as 'd' | '' | 'h' | 'm' | 's'];
}

export function parseWhole(text: string, what: string): number {
  if (!/^\d{1,6}$/.test(text)) throw new TesseraError('INVALID_INPUT', `${what} must be a whole number (got ${JSON.stringify(text)})`);
  return Number(text);
}

export function describeRotator(r: RotatorConfig): string {
  return isBuiltinRotator(r) ? `built-in ${r.builtin}, role ${r.role}, admin credential ${r.admin}, in ${r.environments.join(', ')}` : JSON.stringify(r.command);
}

function writeIndented(ctx: CliContext, prefix: string, text: string): void {
  for (const line of text.replace(/\n$/, '').split('\n')) ctx.io.stderr.write(`${prefix}${line}\n`);
}

export function registerRotationCommands(program: Command, ctx: CliContext): void {
  program
    .command('rotate [key]')
    .description('save a new value as the next version: typed (stdin or hidden prompt), --generate SPEC, or --rotator; --due: every due secret that has a rotator')
    .option('--vault <vault>', 'vault name or id (with --due: only this vault)')
    .option('--env <env>', 'environment')
    .option('--due', 'rotate every secret whose rotation is due (or overdue, expiring) with its rotator, and report each')
    .option('--json', 'with --due: machine-readable output')
    .option('--generate <spec>', 'generate the value: base62, hex, base64url, uuid, passphrase or custom, as FORMAT[:LENGTH[:SETS]]')
    .option('--rotator', "run the secret's rotator command and save what it prints")
    .option('--trust-rotator', 'run the rotator command even though this device has not approved it yet (and remember it)')
    .option('--grace <duration>', 'the replaced value stays valid this long: days (7), or 7d, 12h, 30m, 45s (a built-in rotator: 1 day unless set)')
    .option('--expires <date>', "the new value's expiry at the provider (YYYY-MM-DD)")
    .option('--note <text>', 'why (kept in history)')
    .action(async (key: string | undefined, o: { vault?: string; env?: string; due?: boolean; json?: boolean; generate?: string; rotator?: boolean; trustRotator?: boolean; grace?: string; expires?: string; note?: string }) => {
      if (o.due) {
        if (key !== undefined || o.env !== undefined || o.generate !== undefined || o.rotator || o.trustRotator || o.grace !== undefined || o.expires !== undefined || o.note !== undefined) {
          throw new TesseraError('INVALID_INPUT', 'rotate --due takes only --vault and --json: each secret is rotated by its own rotator');
        }
        return rotateDueCommand(ctx, o);
      }
      if (key === undefined || o.vault === undefined || o.env === undefined) throw new TesseraError('INVALID_INPUT', 'tessera rotate KEY --vault V --env E (or tessera rotate --due)');
      const vaultName = o.vault;
      const env = o.env;
      assertSecretName(key);
      if (o.generate !== undefined && o.rotator) throw new TesseraError('INVALID_INPUT', 'Choose --generate or --rotator, not both');
      const graceMs = o.grace !== undefined ? parseDuration(o.grace, 'The grace') : undefined;
      const expiresAt = o.expires !== undefined ? parseDate(o.expires) : null;
      let source: RotationSource;
      if (o.generate !== undefined) source = { generate: parseGenerateSpec(o.generate) };
      else if (o.rotator) source = { rotator: true };
      else {
        const value = ctx.io.stdin.isTTY ? await promptHidden(ctx.io, `New value for ${key} (${env}): `) : await readValueFromStdin(ctx.io.stdin);
        source = { value };
      }
      const confirmRotator = async (command: readonly string[]): Promise<boolean> => {
        ctx.io.stderr.write(`The rotator of ${key} runs this command on this computer:\n  ${JSON.stringify(command)}\n`);
        if (o.trustRotator) return true;
        if (!ctx.io.stdin.isTTY) {
          ctx.io.stderr.write('This device has not approved it: check it, then run again with --trust-rotator\n');
          return false;
        }
        return /^y(es)?$/i.test((await promptHidden(ctx.io, 'Run it, now and in future rotations of this secret here? [y/N] ')).trim());
      };
      await withVaultAudited(ctx, vaultName, async (vault, audit) => {
        try {
          const r = await rotateSecret(vault, key, env, source, {
            ...(graceMs !== undefined ? { graceMs } : {}),
            ...(o.note !== undefined ? { note: o.note } : {}),
            ...(expiresAt !== null ? { expiresAt } : {}),
            confirmRotator,
          }, audit);
          if (r.rotatorStderr) writeIndented(ctx, 'rotator: ', r.rotatorStderr);
          for (const w of r.warnings ?? []) ctx.io.stderr.write(`warning: ${w}\n`);
          const how = r.bits !== undefined ? ` (generated, ~${Math.floor(r.bits)} bits; see it with tessera get)` : r.account !== undefined ? ` (${r.account} at the provider; see it with tessera get)` : '';
          ctx.io.stderr.write(`Rotated ${key} in ${env}: version ${r.version.n}${how}\n`);
          if (r.replaced) {
            ctx.io.stderr.write(r.replaced.validUntil !== undefined
              ? `Version ${r.replaced.n} stays valid until ${formatTime(r.replaced.validUntil)}, then counts as revoked\n`
              : `Version ${r.replaced.n} is revoked: revoke it at the provider too if it still works there\n`);
          }
        } catch (e) {
          // The rotator's own words say why it failed; the error line says what was (not) saved.
          if (isTesseraError(e) && typeof e.details.stderr === 'string' && e.details.stderr !== '') writeIndented(ctx, 'rotator: ', e.details.stderr);
          throw e;
        }
      });
    });

  program
    .command('rollback <key>')
    .description("save an earlier version's value as a new version")
    .requiredOption('--vault <vault>', 'vault name or id')
    .requiredOption('--env <env>', 'environment')
    .requiredOption('--to <version>', 'the version number to go back to (see tessera history)')
    .action(async (key: string, o: { vault: string; env: string; to: string }) => {
      const to = parseWhole(o.to, 'The version');
      const r = await withVaultAudited(ctx, o.vault, (vault, audit) => rollback(vault, key, o.env, to, audit));
      ctx.io.stderr.write(`Rolled ${key} in ${o.env} back to version ${to}'s value: saved as version ${r.version.n}\n`);
    });

  program
    .command('retire <key>')
    .description('retire a secret: kept with its history, left out of run and export')
    .requiredOption('--vault <vault>', 'vault name or id')
    .action(async (key: string, o: { vault: string }) => {
      await withVaultAudited(ctx, o.vault, (vault, audit) => retireSecret(vault, key, audit));
      ctx.io.stderr.write(`Retired ${key}: no longer injected or exported (tessera restore ${key} --vault ${o.vault} brings it back)\n`);
    });

  program
    .command('restore <key>')
    .description('make a retired secret active again')
    .requiredOption('--vault <vault>', 'vault name or id')
    .action(async (key: string, o: { vault: string }) => {
      await withVaultAudited(ctx, o.vault, (vault, audit) => restoreSecret(vault, key, audit));
      ctx.io.stderr.write(`Restored ${key}\n`);
    });

  program
    .command('delete <key>')
    .description('delete a secret and purge its whole history, after confirming its name')
    .requiredOption('--vault <vault>', 'vault name or id')
    .option('--confirm <key>', 'the secret name again, to confirm without a prompt')
    .action(async (key: string, o: { vault: string; confirm?: string }) => {
      let confirm = o.confirm;
      if (confirm === undefined && ctx.io.stdin.isTTY) {
        ctx.io.stderr.write(`Deleting ${key} purges every version in every environment you hold; this cannot be undone.\n`);
        confirm = (await promptHidden(ctx.io, `Type ${key} to delete it: `)).trim();
      }
      const r = await withVaultAudited(ctx, o.vault, (vault, audit) => deleteSecret(vault, key, confirm, audit));
      ctx.io.stderr.write(`Deleted ${key} (${r.purgedVersions} versions purged)\n`);
    });

  program
    .command('policy [key]')
    .description("show or set a secret's rotation policy; without KEY, the default of the vault or of --env")
    .requiredOption('--vault <vault>', 'vault name or id')
    .option('--env <env>', 'with no KEY: the default for this environment')
    .option('--every <days>', 'rotate every N days (90d), or none')
    .option('--expires <date>', "the current value's expiry at the provider (YYYY-MM-DD), or none")
    .option('--rotated-at <date>', 'record a rotation done outside Tessera (YYYY-MM-DD)')
    .option('--json', 'machine-readable output')
    .action(async (key: string | undefined, o: { vault: string; env?: string; every?: string; expires?: string; rotatedAt?: string; json?: boolean }) => {
      await withVaultAudited(ctx, o.vault, async (vault, audit) => {
        if (key === undefined) {
          if (o.expires !== undefined || o.rotatedAt !== undefined) throw new TesseraError('INVALID_INPUT', 'Defaults hold an interval only (--every)');
          if (o.every !== undefined) {
            const days = parseInterval(o.every);
            await setDefaultPolicy(vault, o.env ?? null, days, audit);
            ctx.io.stderr.write(`${o.env ? `Secrets in ${o.env}` : 'Secrets in this vault'} without their own policy rotate ${days === null ? 'on no schedule' : `every ${days} days`}\n`);
          }
          const d = vault.meta.rotationDefaults();
          const byEnv = vault.environments().map((e) => ({ environment: e.name, intervalDays: d.environments.get(e.id) ?? d.vault ?? null }));
          if (o.json) printJson(ctx.io, { vault: d.vault ?? null, environments: byEnv });
          else for (const e of byEnv) ctx.io.stdout.write(`${e.environment}: ${e.intervalDays === null ? 'no schedule' : `every ${e.intervalDays} days`}\n`);
          return;
        }
        if (o.env !== undefined) throw new TesseraError('INVALID_INPUT', "A secret's policy covers all its environments: drop --env");
        const change: { -readonly [K in keyof PolicyChange]: PolicyChange[K] } = {};
        if (o.every !== undefined) change.intervalDays = parseInterval(o.every);
        if (o.expires !== undefined) change.expiresAt = parseDate(o.expires);
        if (o.rotatedAt !== undefined) change.lastRotatedAt = parseDate(o.rotatedAt);
        if (Object.keys(change).length > 0) await setPolicy(vault, key, change, audit);
        const secret = vault.meta.secretByName(key);
        if (!secret) throw new TesseraError('NOT_FOUND', `No secret ${key} in vault ${vault.name}`);
        const clock = localClock();
        const rows = schedulesOf(secret, await vault.readableEnvironments(), vault.meta.rotationDefaults()).map((e) => ({ environment: e.environment, intervalDays: e.schedule.intervalDays ?? null, lastRotated: formatTime(e.schedule.lastRotatedAt), ...rotationStatus(e.schedule, clock) }));
        if (o.json) {
          printJson(ctx.io, { name: key, status: secret.status, policy: secret.rotation, rotator: !secret.rotator ? null : isBuiltinRotator(secret.rotator) ? secret.rotator : secret.rotator.command, environments: rows });
        } else {
          if (rows.length === 0) ctx.io.stdout.write(`${key} has no value you can read yet${secret.rotation.intervalDays ? `; it rotates every ${secret.rotation.intervalDays} days` : ''}\n`);
          for (const r of rows) {
            const when = r.dueDate ? `, due ${r.dueDate}` : '';
            const exp = r.expiresDate ? `, expires ${r.expiresDate}` : '';
            ctx.io.stdout.write(`${r.environment}: ${r.state}${r.intervalDays ? ` (every ${r.intervalDays} days${when})` : ''}${exp}; last rotated ${r.lastRotated}\n`);
          }
          if (secret.rotator) ctx.io.stdout.write(`rotator: ${describeRotator(secret.rotator)}\n`);
        }
      });
    });

}
