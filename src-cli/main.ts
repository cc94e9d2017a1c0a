/**
 * The `tessera` command. Exit codes: 0 ok; 1 a user error or something not found, with a
 * one-line message; 2 a usage error. Messages never contain secret values.
 */
import { Command, CommanderError } from 'commander';
import { isTesseraError } from '../src-shared/errors';
import { registerProfileCommands } from './commands/profile';
import { registerSecretCommands } from './commands/secrets';
import { registerTransferCommands } from './commands/transfer';
import { registerVaultCommands } from './commands/vault';
import { registerSyncCommands } from './commands/sync';
import { registerRelayCommand } from './commands/relay';
import { registerTokenCommands } from './commands/tokens';
import { registerDeviceCommands } from './commands/devices';
import { registerMemberCommands } from './commands/members';
import { registerRotationCommands } from './commands/rotation';
import { registerRotatorCommands } from './commands/rotators';
import { registerLeaseCommands } from './commands/leases';
import { registerHealthCommand } from './commands/health';
import { registerRunCommands } from './commands/run';
import { registerInjectCommands } from './commands/inject';
import { registerScanCommands } from './commands/scan';
import { registerHookCommands } from './commands/hook';
import { registerAuditCommands } from './commands/audit';
import { makeContext, type CliContext } from './context';
import { processIO } from './io';

declare const TESSERA_VERSION: string;

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('tessera')
    .description('Tessera: an end-to-end encrypted team vault for API keys and secrets')
    .version(typeof TESSERA_VERSION === 'string' ? TESSERA_VERSION : 'dev')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
    })
    .showSuggestionAfterError();
  registerProfileCommands(program, ctx);
  const vault = registerVaultCommands(program, ctx);
  registerSyncCommands(program, ctx, vault);
  registerSecretCommands(program, ctx);
  registerTransferCommands(program, ctx);
  registerMemberCommands(program, ctx);
  registerTokenCommands(program, ctx);
  registerDeviceCommands(program, ctx);
  registerRunCommands(program, ctx);
  registerInjectCommands(program, ctx);
  registerScanCommands(program, ctx);
  registerHookCommands(program, ctx);
  registerRelayCommand(program, ctx);
  registerRotationCommands(program, ctx);
  registerRotatorCommands(program, ctx);
  registerLeaseCommands(program, ctx);
  registerHealthCommand(program, ctx);
  registerAuditCommands(program, ctx);
  for (const c of program.commands) c.exitOverride();
  return program;
}

export async function main(argv: string[], ctx: CliContext = makeContext(processIO)): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; real usage errors are 2.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (isTesseraError(e)) {
      ctx.io.stderr.write(`tessera: ${e.message} [${e.code}]\n`);
      return 1;
    }
    // Unexpected: say so without a stack trace (which could carry data); TESSERA_DEBUG shows it.
    if (ctx.env.TESSERA_DEBUG) ctx.io.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
    ctx.io.stderr.write(`tessera: internal error (${(e as Error)?.name ?? 'Error'}); run with TESSERA_DEBUG=1 for details\n`);
    return 1;
  }
}

// Run when bundled as the CLI entry point.
if (typeof TESSERA_VERSION === 'string') {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    () => {
      process.exitCode = 1;
    },
  );
}
