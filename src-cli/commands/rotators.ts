/**
 * `tessera rotator`: what rotates a secret. A command (`tessera rotator KEY --vault V --
 * COMMAND ARGS...`, run without a shell) or a built-in rotator (`tessera rotator set KEY
 * --vault V --env E --builtin postgres --admin ADMIN_SECRET --role ROLE`), which is checked
 * against its provider before it is saved unless --no-check.
 */
import type { Command } from 'commander';
import { TesseraError } from '../../src-shared/errors';
import { assertSecretName } from '../../src-shared/vault/names';
import type { RotatorConfig } from '../../src-shared/vault/types';
import { setRotator } from '../../src-main/rotation/lifecycle';
import type { CliContext } from '../context';
import { describeRotator, parseDuration, parseWhole, withVaultAudited } from './rotation';

interface RotatorOptions {
  vault: string;
  timeout?: string;
  clear?: boolean;
  builtin?: string;
  admin?: string;
  role?: string;
  env?: string;
  grace?: string;
  check: boolean;
}

function builtinConfig(o: RotatorOptions): RotatorConfig {
  if (!o.admin || !o.role || !o.env) throw new TesseraError('INVALID_INPUT', 'A built-in rotator needs --admin SECRET (the admin credential), --role ROLE and --env ENV[,ENV...]');
  if (o.timeout !== undefined) throw new TesseraError('INVALID_INPUT', '--timeout is for rotator commands');
  return {
    builtin: o.builtin!,
    admin: o.admin,
    role: o.role,
    environments: o.env.split(',').map((e) => e.trim()).filter((e) => e !== ''),
    ...(o.grace !== undefined ? { graceSeconds: Math.round(parseDuration(o.grace, 'The grace') / 1000) } : {}),
  };
}

export function registerRotatorCommands(program: Command, ctx: CliContext): void {
  program
    .command('rotator <key> [command...]')
    .usage('set KEY --vault V --env E --builtin postgres --admin ADMIN_SECRET --role ROLE | KEY --vault V -- COMMAND [ARGS...] | KEY --vault V --clear')
    .description('set what rotates a secret: a command that prints a new value (after --), or a built-in rotator (set KEY --builtin postgres)')
    .requiredOption('--vault <vault>', 'vault name or id')
    .option('--builtin <provider>', 'a built-in rotator: postgres (the dual-role strategy: ROLE_1 and ROLE_2 in the group role ROLE)')
    .option('--admin <secret>', "built-in: the secret holding the admin credential (a postgres:// URL), read in the rotated environment")
    .option('--role <role>', 'built-in: the group role whose login roles ROLE_1 and ROLE_2 take turns')
    .option('--env <envs>', 'built-in: the environments it rotates in (comma-separated)')
    .option('--grace <duration>', 'built-in: how long the replaced credential keeps working (1d by default; 12h, 30m…)')
    .option('--no-check', 'built-in: save it without first checking the admin credential and the roles')
    .option('--timeout <seconds>', 'a command: stop it after this many seconds (default 60)')
    .option('--clear', 'remove the rotator')
    .action(async (first: string, rest: string[], o: RotatorOptions) => {
      // `rotator set KEY …`; a secret named "set" still works the old way (`rotator set -- CMD`) when no KEY follows.
      const [key, command] = first === 'set' && rest.length > 0 && (o.builtin !== undefined || o.clear || rest.length > 1) ? [rest[0]!, rest.slice(1)] : [first, rest];
      assertSecretName(key);
      let config: RotatorConfig | null;
      if (o.builtin !== undefined) {
        if (command.length > 0 || o.clear) throw new TesseraError('INVALID_INPUT', 'A built-in rotator takes no command and no --clear');
        config = builtinConfig(o);
      } else {
        if (o.clear ? command.length > 0 : command.length === 0) throw new TesseraError('INVALID_INPUT', 'Give a command after -- (tessera rotator KEY --vault V -- COMMAND ARGS...), --builtin PROVIDER, or --clear');
        config = o.clear ? null : { command, ...(o.timeout !== undefined ? { timeoutSeconds: parseWhole(o.timeout, 'The timeout') } : {}) };
      }
      await withVaultAudited(ctx, o.vault, (vault, audit) => setRotator(vault, key, config, audit, { check: o.check }));
      if (!config) ctx.io.stderr.write(`Rotator of ${key} removed\n`);
      else ctx.io.stderr.write(`Rotator of ${key} set (${describeRotator(config)}): tessera rotate ${key} --vault ${o.vault} --env ENV --rotator runs it\n`);
    });
}
