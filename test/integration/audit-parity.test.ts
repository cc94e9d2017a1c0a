/**
 * The audit trail does not depend on the client: the same actions through the `tessera` CLI
 * and through the desktop API (each with its own profile and the real audit log) leave the
 * same events, because the services record them, not the front ends.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src-cli/main';
import type { Method } from '../../src-shared/api/methods';
import type { AuditEvent } from '../../src-shared/audit/events';
import { openAuditLog } from '../../src-main/audit/audit-log';
import { MemoryClipboard } from '../../src-main/desktop/clipboard-service';
import { Desktop } from '../../src-main/desktop/desktop';
import { desktopAudit } from '../../src-main/desktop/desktop-audit';
import { dispatch } from '../../src-main/desktop/dispatch';
import { createMemoryKeychain } from '../../src-main/keychain/memory-keychain';
import { createProfile, unlockProfile } from '../../src-main/profile/profile';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { startTestRelay } from '../helpers/relay-client';
import { tempHome } from '../helpers/temp-home';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** What an event says, without what differs by nature between two runs (times, ids, codes). */
function essence(e: AuditEvent) {
  const detail = { ...(e.detail ?? {}) } as Record<string, unknown>;
  delete detail.expiresAt;
  delete detail.relay;
  delete detail.source; // 'file' from the CLI, 'desktop' from the app: where the .env came from
  return { action: e.action, vault: e.vault, secret: e.secret, secrets: e.secrets, environment: e.environment, detail };
}

async function trailOf(home: string, keychain: ReturnType<typeof createMemoryKeychain>) {
  const { session } = await unlockProfile(nodeSuite, home, { keychain });
  try {
    const log = await openAuditLog(session);
    const events = await log.query({});
    await log.close();
    // Oldest first; the sessions themselves (unlock, lock) are each client's own business.
    return events.filter((e) => e.action !== 'unlock' && e.action !== 'lock').sort((a, b) => a.seq - b.seq).map(essence);
  } finally {
    session.lock();
  }
}

describe('the audit trail from both clients', () => {
  it('is the same for set, edit, reveal, import, delete, invite, a relay change and a failed sync', { timeout: 120_000 }, async () => {
    const relay = await startTestRelay();
    closers.push(() => relay.close());
    const deadRelay = 'ws://127.0.0.1:9'; // nothing listens on the discard port here
    const dotenv = 'IMPORTED=one\nAPI_KEY=sk_live_parity_value_0001\n';

    // Through the CLI, as a user types it (in this process, with a memory keychain).
    const cliHome = await tempHome();
    const cliKeychain = createMemoryKeychain();
    (await createProfile(nodeSuite, cliHome, { name: 'Ada', keychain: cliKeychain })).lock();
    const cli = async (args: string[], input = '') => {
      const stdin = new PassThrough();
      stdin.end(input);
      const sink = new Writable({ write: (_c, _e, done) => done() });
      const code = await main(args, { io: { stdin: stdin as unknown as NodeJS.ReadStream, stdout: sink, stderr: sink }, env: {}, home: cliHome, keychain: cliKeychain });
      return code;
    };
    const envFile = join(cliHome, 'import.env');
    await writeFile(envFile, dotenv);
    expect(await cli(['vault', 'create', 'Team', '--envs', 'development', '--relay', relay.url])).toBe(0);
    expect(await cli(['set', 'API_KEY', '--vault', 'Team', '--env', 'development'], 'sk_live_parity_value_0000')).toBe(0);
    expect(await cli(['set', 'API_KEY', '--vault', 'Team', '--env', 'development'], 'sk_live_parity_value_0001')).toBe(0);
    expect(await cli(['get', 'API_KEY', '--vault', 'Team', '--env', 'development'])).toBe(0);
    expect(await cli(['import', envFile, '--vault', 'Team', '--env', 'development'])).toBe(0);
    expect(await cli(['rm', 'IMPORTED', '--vault', 'Team'])).toBe(0);
    expect(await cli(['invite', '--vault', 'Team', '--role', 'viewer', '--env', 'development'])).toBe(0);
    expect(await cli(['vault', 'relay', 'Team', deadRelay])).toBe(0);
    expect(await cli(['sync', '--vault', 'Team'])).toBe(1);

    // Through the desktop API, as the window asks.
    const appHome = await tempHome();
    const appKeychain = createMemoryKeychain();
    const desktop = new Desktop({ home: appHome, suite: nodeSuite, keychain: appKeychain, clipboard: new MemoryClipboard(), auditFor: desktopAudit });
    await desktop.start();
    closers.push(() => desktop.lock('quit'));
    const call = async (method: Method, payload?: unknown) => {
      const reply = await dispatch(desktop, method, payload);
      return reply.ok ? reply.value : reply.error.code;
    };
    await call('session.setup', { name: 'Ada', useKeychain: true });
    await call('vaults.create', { name: 'Team', environments: ['development'] });
    await call('vaults.setRelay', { vault: 'Team', url: relay.url });
    await call('secrets.set', { vault: 'Team', name: 'API_KEY', environment: 'development', value: 'sk_live_parity_value_0000' });
    await call('secrets.set', { vault: 'Team', name: 'API_KEY', environment: 'development', value: 'sk_live_parity_value_0001' });
    await call('secrets.reveal', { vault: 'Team', name: 'API_KEY', environment: 'development' });
    await call('secrets.importApply', { vault: 'Team', environment: 'development', text: dotenv });
    await call('secrets.remove', { vault: 'Team', name: 'IMPORTED' });
    await call('members.invite', { vault: 'Team', role: 'viewer', environments: ['development'] });
    await call('vaults.setRelay', { vault: 'Team', url: deadRelay });
    expect(await call('vaults.sync', { vault: 'Team' })).toBe('RELAY_UNREACHABLE');
    await desktop.lock('manual');

    const fromCli = await trailOf(cliHome, cliKeychain);
    const fromApp = await trailOf(appHome, appKeychain);
    // The app set its first relay through its own call (the CLI gave it at create): one more event.
    const firstRelay = fromApp.findIndex((e) => e.action === 'settings-changed');
    expect(fromApp.splice(firstRelay, 1)[0]).toMatchObject({ action: 'settings-changed', detail: { fields: ['relay'] } });
    // The CLI's `get` says how the value left; the app's Reveal is the plain case.
    const cliReveal = fromCli.find((e) => e.action === 'reveal')!;
    expect(cliReveal.detail).toEqual({ via: 'tessera get' });
    cliReveal.detail = {};
    expect(fromApp).toEqual(fromCli);
    expect(fromCli.map((e) => e.action)).toEqual(['secret-created', 'secret-edited', 'reveal', 'import', 'secret-deleted', 'invite', 'settings-changed', 'sync-error']);
  });
});
