/**
 * `tessera run [--vault V] [--env E] [--only K,...] [--no-masking] [--lease VAR=postgres:ROLE
 * --ttl 1h] -- CMD ARGS...`. A lease is made before the program starts and dropped when it
 * ends (src-main/leases).
 */
import type { Command } from 'commander';
import { TesseraError } from '../../src-shared/errors';
import { assertSecretName } from '../../src-shared/vault/names';
import { projectTarget } from '../../src-main/project/project-config';
import { childEnvironment, runChild } from '../../src-main/run/child-process';
import { prepareRun } from '../../src-main/run/run-secrets';
import { openVault } from '../../src-main/vaults/vaults';
import { auditOf } from '../../src-main/audit/session-audit';
import { unlock, type CliContext } from '../context';
import { CACHE_OPTION, withTokenIfGiven } from '../machine';
import { expandedEntries } from '../../src-main/references/vault-lookup';
import { openLeases, parseLeaseSpec, type OpenLease } from '../../src-main/leases/leases';
import { parseDuration } from './rotation';

const collect = (v: string, all: string[] = []) => [...all, v];

/**
 * `tessera run node -e …` without `--`: commander reads the program's `-e` as an option of
 * run's and refuses it. When the unknown option comes after the program's name, say what
 * works. The program's name is all that is repeated: its arguments are the user's business.
 */
function hintDoubleDash(run: Command): void {
  const output = run.configureOutput();
  run.configureOutput({
    outputError: (text, write) => {
      // commander has set `args` (operands, then everything from the unknown option on) by now.
      const program = run.args[0];
      const hint = /^error: unknown option /.test(text) && program !== undefined && !program.startsWith('-')
        ? `hint: options after the program are read as tessera's unless -- comes first: tessera run [options] -- ${program} …\n`
        : '';
      (output.outputError ?? ((t: string, w: (s: string) => void) => w(t)))(text + hint, write);
    },
  });
}

export function registerRunCommands(program: Command, ctx: CliContext): void {
  const run = program
    .command('run')
    .description('run a command with an environment\'s secrets as environment variables (no shell; output masked)')
    .argument('<command...>', 'the command and its arguments, after --')
    .option('--vault <vault>', 'vault name or id (default: from .tessera.json)')
    .option('--env <env>', 'environment (default: from .tessera.json)')
    .option('--only <keys>', 'only these secrets, comma-separated')
    .option('--no-masking', 'do not conceal secret values in the command\'s output')
    .option(...CACHE_OPTION)
    .option('--allow-vault <vaults>', 'let ${vault/env/KEY} references into these other vaults be followed (comma-separated)')
    .option('--lease <VAR=postgres:ROLE>', 'a short-lived database login in the group role ROLE, as VAR, dropped when the command ends (repeatable)', collect)
    .option('--ttl <duration>', 'how long leases last at most, even if nothing drops them (1h by default; 30m, 2h, 1d)')
    .option('--lease-admin <secret>', "the secret holding the admin credential for leases (default: the one this environment's built-in postgres rotators use)")
    .action(async (argv: string[], o: { vault?: string; env?: string; only?: string; masking: boolean; allowVault?: string; cache?: string; lease?: string[]; ttl?: string; leaseAdmin?: string }) => {
      const [command, ...args] = argv as [string, ...string[]];
      if (command === '') throw new TesseraError('INVALID_INPUT', 'No command to run');
      const only = o.only?.split(',').map((k) => k.trim()).filter(Boolean);
      only?.forEach(assertSecretName);
      const allowVaults = o.allowVault?.split(',').map((v) => v.trim()).filter(Boolean) ?? [];
      const leaseRequests = (o.lease ?? []).map(parseLeaseSpec);
      if (leaseRequests.length === 0 && (o.ttl !== undefined || o.leaseAdmin !== undefined)) throw new TesseraError('INVALID_INPUT', '--ttl and --lease-admin go with --lease');
      const ttlMs = o.ttl !== undefined ? parseDuration(o.ttl, 'The lease time') : 3_600_000;
      let secrets: { key: string; value: string }[];
      let leases: OpenLease[] = [];
      if (leaseRequests.length > 0 && (ctx.env.TESSERA_TOKEN || ctx.env.TESSERA_TOKEN_FILE)) throw new TesseraError('INVALID_INPUT', 'Leases need a profile (the admin credential is read from the vault); a machine token cannot make them');
      const byToken = await withTokenIfGiven(ctx, o, async (vault, env) => {
        const entries = await expandedEntries(vault, env, only ? { only } : {});
        return { result: entries, reports: [{ action: 'run', secrets: entries.map((e) => e.key), environment: env }] };
      });
      if (byToken) secrets = byToken.result;
      else {
        const target = await projectTarget(o, process.cwd());
        const session = await unlock(ctx);
        try {
          const vault = await openVault(session, target.vault);
          ({ secrets } = await prepareRun(vault, target.env, { command, audit: auditOf(session), allowVaults, ...(only ? { only } : {}) }));
          if (leaseRequests.length > 0) {
            leases = await openLeases(vault, target.env, leaseRequests, { ttlMs, ...(o.leaseAdmin !== undefined ? { admin: o.leaseAdmin } : {}) }, auditOf(session));
            const leased = new Set(leases.map((l) => l.record.variable));
            secrets = [...secrets.filter((s) => !leased.has(s.key)), ...leases.map((l) => ({ key: l.record.variable, value: l.value }))];
            for (const l of leases) ctx.io.stderr.write(`Leased ${l.record.variable}: ${l.record.role} in ${l.record.template} until ${new Date(l.record.expiresAt).toISOString()}\n`);
          }
        } finally {
          // The keys are wiped before the program starts: it may run for days.
          session.lock();
        }
      }
      let status: number;
      try {
        status = await runChild({
          command,
          args,
          env: childEnvironment(ctx.env, secrets),
          mask: o.masking ? secrets.map((s) => s.value) : null,
          ...(o.masking ? { stdout: ctx.io.stdout, stderr: ctx.io.stderr } : {}),
        });
      } finally {
        for (const l of leases) {
          const left = await l.end('the command ended');
          ctx.io.stderr.write(left ? `warning: ${left}\n` : `Dropped lease ${l.record.role}\n`);
        }
      }
      // tessera's exit status is the program's: main() returns 0 for a command that ran, so
      // set it as the process leaves, after every stream has been flushed.
      if (status !== 0) process.once('exit', () => void (process.exitCode = status));
    });
  hintDoubleDash(run);
}
