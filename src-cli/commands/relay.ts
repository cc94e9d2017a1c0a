/**
 * `tessera relay`: runs the blind relay in the foreground until SIGTERM or SIGINT.
 *
 * It listens on 127.0.0.1 unless told otherwise. `--host 0.0.0.0` listens beyond loopback,
 * in plain ws://: TLS belongs to a reverse proxy in front of it (nginx, Caddy…), and clients
 * accept wss:// URLs. The relay never sees a name or a value, but TLS still hides who talks
 * to it and keeps the connection from being tampered with.
 */
import type { Command } from 'commander';
import { RELAY_DEFAULTS, RELAY_FLAG_HELP, relayOptionsFromFlags, type RelayFlags } from '../../src-relay/options';
import type { CliContext } from '../context';

export function registerRelayCommand(program: Command, ctx: CliContext): void {
  program
    .command('relay')
    .description('run a relay: stores and forwards only encrypted changes')
    .option('--host <address>', 'address to listen on (0.0.0.0: beyond loopback, behind a TLS proxy)', RELAY_DEFAULTS.host)
    .option('--port <n>', 'port to listen on (0: any free port)', String(RELAY_DEFAULTS.port))
    .option('--db <file|url>', `SQLite database file, or postgres://USER@HOST/DB (default: TESSERA_RELAY_DB, else ${RELAY_DEFAULTS.db})`)
    .option('--max-frame-bytes <n>', 'largest message (and envelope) accepted')
    .option('--max-connections <n>', 'most sockets open at once')
    .option('--messages-per-second <n>', 'sustained messages per second one socket may send (default 200)')
    .option('--message-burst <n>', 'messages one socket may send in a burst (default 400)')
    .option('--max-vault-bytes <n>', RELAY_FLAG_HELP.maxVaultBytes)
    .option('--max-key-bytes <n>', RELAY_FLAG_HELP.maxKeyBytes)
    .option('--max-vaults-per-key <n>', RELAY_FLAG_HELP.maxVaultsPerKey)
    .option('--registrations-per-hour <n>', RELAY_FLAG_HELP.registrationsPerHour)
    .option('--cached-vaults <n>', RELAY_FLAG_HELP.cachedVaults)
    .option('--trust-proxy', RELAY_FLAG_HELP.trustProxy)
    .action(async (o: RelayFlags & { host: string; port: string }) => {
      const options = relayOptionsFromFlags(o);
      // Loaded only for this command: ws and SQLite would slow every other command's start.
      const { serveRelayUntilSignal } = await import('../../src-relay/main');
      await serveRelayUntilSignal({
        ...options,
        out: (line) => ctx.io.stdout.write(`${line}\n`),
        log: (line) => ctx.io.stderr.write(`${line}\n`),
      });
    });
}
