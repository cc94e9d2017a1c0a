/** `tessera run [--vault V] [--env E] [--only K,...] [--no-masking] -- CMD ARGS...` */
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
    .action(async (argv: string[], o: { vault?: string; env?: string; only?: string; masking: boolean; allowVault?: string; cache?: string }) => {
      const [command, ...args] = argv as [string, ...string[]];
      if (command === '') throw new TesseraError('INVALID_INPUT', 'No command to run');
      const only = o.only?.split(',').map((k) => k.trim()).filter(Boolean);
      only?.forEach(assertSecretName);
      const allowVaults = o.allowVault?.split(',').map((v) => v.trim()).filter(Boolean) ?? [];
      let secrets: { key: string; value: string }[];
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
        } finally {
          // The keys are wiped before the program starts: it may run for days.
          session.lock();
        }
      }
      const status = await runChild({
        command,
        args,
        env: childEnvironment(ctx.env, secrets),
        mask: o.masking ? secrets.map((s) => s.value) : null,
        ...(o.masking ? { stdout: ctx.io.stdout, stderr: ctx.io.stderr } : {}),
      });
      // tessera's exit status is the program's: main() returns 0 for a command that ran, so
      // set it as the process leaves, after every stream has been flushed.
      if (status !== 0) process.once('exit', () => void (process.exitCode = status));
    });
  hintDoubleDash(run);
}
