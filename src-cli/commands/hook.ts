/** `tessera hook install`: a git pre-commit hook that runs `tessera scan --staged`. */
import type { Command } from 'commander';
import { installPreCommitHook, shellQuote } from '../../src-main/scan/git';
import type { CliContext } from '../context';

export function registerHookCommands(program: Command, ctx: CliContext): void {
  const hook = program.command('hook').description('git hooks');
  hook
    .command('install')
    .description('add a pre-commit hook that blocks commits holding secrets (tessera scan --staged)')
    .option('--force', 'set an existing pre-commit hook aside (renamed *.before-tessera) and install')
    .action(async (o: { force?: boolean }) => {
      // The hook calls this same tessera (this Node and this CLI), so it works without a
      // global install and keeps working for a tessera on PATH once there is one.
      const script = process.argv[1];
      const command = script ? `${shellQuote(process.execPath)} ${shellQuote(script)}` : 'tessera';
      const r = await installPreCommitHook(process.cwd(), command, Boolean(o.force));
      if (r.replaced) ctx.io.stderr.write(`Set the previous hook aside as ${r.replaced}\n`);
      ctx.io.stderr.write(`Installed ${r.path}: commits holding a secret are refused (skip once with git commit --no-verify)\n`);
    });
}
