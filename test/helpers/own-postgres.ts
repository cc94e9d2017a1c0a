/**
 * A PostgreSQL server of the test's own (initdb in a temp folder, a Unix socket, no TCP), for
 * what must not happen to the shared one: restarting it mid-stream. Runs as the `postgres`
 * user when the tests run as root (PostgreSQL refuses root), as the current user otherwise.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface OwnPostgres {
  /** A connection URL of its `postgres` database, as the superuser. */
  readonly url: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function bin(name: string): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, z) => Number(z) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(root, v, 'bin', name))) return join(root, v, 'bin', name);
  return name; // on PATH, as on most other systems
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const root = await mkdtemp(join(tmpdir(), 'tessera-pg-'));
  const data = join(root, 'data');
  const asRoot = userInfo().uid === 0;
  const user = asRoot ? 'postgres' : userInfo().username;
  const as = (cmd: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', cmd, ...args]) : run(cmd, args));
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(root, Number(stdout.trim()), Number(gid.trim()));
  }
  await as(bin('initdb'), ['-D', data, '-U', user, '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const options = `-c listen_addresses= -k ${root} -p ${port} -c fsync=off`;
  const ctl = (action: string) => as(bin('pg_ctl'), ['-D', data, '-o', options, '-l', join(root, 'server.log'), '-w', '-t', '30', ...(action === 'stop' || action === 'restart' ? ['-m', 'fast'] : []), action]);
  await ctl('start');
  let stopped = false;
  return {
    url: `postgres://${user}@localhost/postgres?host=${encodeURIComponent(root)}&port=${port}`,
    restart: async () => void (await ctl('restart')),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await ctl('stop').catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
}
