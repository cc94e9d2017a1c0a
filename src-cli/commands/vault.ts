/** `tessera vault create|list`. */
import type { Command } from 'commander';
import { createVault, listVaults } from '../../src-main/vaults/vaults';
import { checkRelayUrls, setVaultRelay } from '../../src-main/sync/sync-state';
import { unlock, type CliContext } from '../context';
import { formatTime, printJson, printTable } from '../io';

export function registerVaultCommands(program: Command, ctx: CliContext): Command {
  const vault = program.command('vault').description('create and list vaults');
  vault
    .command('create <name>')
    .description('create a vault')
    .option('--envs <list>', 'comma-separated environments', 'development,staging,production')
    .option('--relay <urls>', 'sync through the relay at this URL (ws://host:port or wss://host); several, comma-separated, are tried in turn')
    .action(async (name: string, o: { envs: string; relay?: string }) => {
      if (o.relay) checkRelayUrls(o.relay); // before anything is created
      const session = await unlock(ctx);
      try {
        const envs = o.envs.split(',').map((e) => e.trim()).filter(Boolean);
        const v = await createVault(session, name, envs);
        if (o.relay) await setVaultRelay(v.session.home, v.id, o.relay);
        ctx.io.stdout.write(`Created vault ${name} (${v.id.slice(0, 12)}) with ${envs.join(', ')}\n`);
      } finally {
        session.lock();
      }
    });
  vault
    .command('list')
    .description('list your vaults')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      const session = await unlock(ctx);
      try {
        const vaults = await listVaults(session);
        if (o.json) {
          printJson(ctx.io, vaults.map((v) => ({ id: v.id, name: v.name, environments: v.environments, secrets: v.secrets, createdAt: formatTime(v.createdAt) })));
        } else if (vaults.length === 0) {
          ctx.io.stdout.write('No vaults yet: tessera vault create NAME\n');
        } else {
          printTable(ctx.io, ['NAME', 'ID', 'SECRETS', 'ENVIRONMENTS'], vaults.map((v) => [
            // A vault joined whose metadata (where its name is sealed) has not arrived yet.
            v.name || '(not pulled yet: tessera sync)', v.id.slice(0, 12), String(v.secrets), v.environments.map((e) => (e.readable ? e.name : `${e.name} (no access)`)).join(', '),
          ]));
        }
      } finally {
        session.lock();
      }
    });
  return vault;
}
