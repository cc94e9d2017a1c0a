/**
 * What a test made and must take down (profiles, relay processes, folders), undone in
 * reverse after each test. A failing step is ignored: cleanup must not hide the test's own
 * failure.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createCliProfile, type CliProfile } from './cli';
import { freshPgDatabase } from './storage-backends';
import { startRelay, type RelayProcess } from './relay';

const steps: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const step of steps.splice(0).reverse()) await step().catch(() => undefined);
});

export function onCleanup(step: () => Promise<unknown>): void {
  steps.push(step);
}

/** A CLI profile (OS keychain) named `name`, disposed after the test. */
export async function cliProfile(name: string): Promise<CliProfile> {
  const p = await createCliProfile({ name });
  onCleanup(() => p.dispose());
  return p;
}

/** A fresh folder, removed after the test. */
export async function tempFolder(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The URL of a fresh PostgreSQL database of TESSERA_TEST_PG, dropped after the test. */
export async function pgDatabase(): Promise<string> {
  const pg = await freshPgDatabase();
  onCleanup(pg.drop);
  return pg.url;
}

/** A relay process on `db` (startRelay's options), killed after the test. */
export async function relayOn(db: string, opts: Parameters<typeof startRelay>[1] = {}): Promise<RelayProcess> {
  const relay = await startRelay(db, opts);
  onCleanup(() => relay.kill('SIGKILL'));
  return relay;
}

/**
 * A relay process (with `args`) on its own database in a fresh folder (or, `on: 'postgres'`,
 * a fresh PostgreSQL database of TESSERA_TEST_PG); killed and removed after the test.
 */
export async function relayInFolder(prefix: string, args: string[] = [], on: 'sqlite' | 'postgres' = 'sqlite'): Promise<{ relay: RelayProcess; dir: string; db: string }> {
  const dir = await tempFolder(prefix);
  const db = on === 'postgres' ? await pgDatabase() : join(dir, 'relay.db');
  return { relay: await relayOn(db, { args }), dir, db };
}
