// The desktop API end to end below the window: real profile, store and crypto, a memory
// keychain and clipboard, every request through dispatch() as the renderer sends it.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Method } from '../../src-shared/api/methods';
import type { AppEvent } from '../../src-shared/api/types';
import { tempHome } from '../../test/helpers/temp-home';
import { writeKdbx } from '../../test/helpers/import-fixtures';
import { collectingAuditSink } from '../audit/audit-sink';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createMemoryKeychain } from '../keychain/memory-keychain';
import { MemoryClipboard } from './clipboard-service';
import { Desktop } from './desktop';
import { dispatch } from './dispatch';
import { setPolicy, setRotator } from '../rotation/lifecycle';
import type { Session } from '../profile/profile';
import { desktopAudit, type DesktopAudit } from './desktop-audit';

const VALUE = 'sk_live_desktop-test-value-0001';

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    out.push(...(e.isDirectory() ? await allFiles(p) : [p]));
  }
  return out;
}

describe('Desktop API', () => {
  let home: string;
  let clipboard: MemoryClipboard;
  let audit: ReturnType<typeof collectingAuditSink>;
  let events: AppEvent[];
  let desktop: Desktop;
  const call = async <T = never>(method: Method, payload?: unknown): Promise<T> => {
    const reply = await dispatch(desktop, method, payload);
    if (!reply.ok) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
    return reply.value as T;
  };
  const failure = async (method: string, payload?: unknown) => {
    const reply = await dispatch(desktop, method, payload);
    if (reply.ok) throw new Error(`${method} succeeded`);
    return reply.error;
  };

  beforeEach(async () => {
    home = await tempHome();
    clipboard = new MemoryClipboard();
    audit = collectingAuditSink();
    events = [];
    // The real audit log, and a copy of each event kept here to assert on.
    const auditFor = async (session: Session): Promise<DesktopAudit> => {
      const log = await desktopAudit(session);
      return { ...log, record: async (e) => (await audit.record(e), await log.record(e)) };
    };
    desktop = new Desktop({ home, suite: nodeSuite, keychain: createMemoryKeychain(), clipboard, auditFor });
    await desktop.start();
    desktop.onEvent((e) => events.push(e));
  });
  afterEach(async () => {
    vi.useRealTimers();
    await desktop.lock('quit'); // waits for the audit log and background checks to finish
  });

  it('goes from first run to a revealed secret, and locking wipes access', async () => {
    expect(await call('session.status')).toEqual({ state: 'no-profile' });
    const profile = await call('session.setup', { name: 'Ada', useKeychain: true, passphrase: 'correct horse battery staple' });
    expect(profile).toMatchObject({ name: 'Ada', unlockMethods: { keychain: true, passphrase: true } });
    await call('vaults.create', { name: 'acme' });
    await call('secrets.set', { vault: 'acme', name: 'STRIPE_KEY', environment: 'production', value: VALUE, tags: ['payments'] });

    const list = await call<unknown>('secrets.list', { vault: 'acme' });
    expect(list).toEqual([expect.objectContaining({ name: 'STRIPE_KEY', environments: ['production'], tags: ['payments'], rotation: 'none' })]);
    expect(JSON.stringify(list)).not.toContain(VALUE);
    const detail = await call<{ values: { environment: string; current: unknown }[] }>('secrets.get', { vault: 'acme', name: 'STRIPE_KEY' });
    expect(detail.values.find((v) => v.environment === 'production')?.current).toMatchObject({ n: 1, byName: 'Ada' });
    expect(JSON.stringify(detail)).not.toContain(VALUE);

    expect(await call('secrets.reveal', { vault: 'acme', name: 'STRIPE_KEY', environment: 'production' })).toEqual({ value: VALUE });
    expect(audit.events.map((e) => e.action)).toEqual(['unlock', 'secret-created', 'reveal']);
    // The first production access raises an alert, which names people as the user knows them.
    const alerts = await call<{ rule: string; message: string }[]>('audit.alerts');
    expect(alerts.find((a) => a.rule === 'first-production-access')?.message).toMatch(/^You used the production value of STRIPE_KEY in acme/);

    await call('session.lock');
    expect(events).toContainEqual({ type: 'locked', reason: 'manual' });
    expect((await failure('secrets.list', { vault: 'acme' })).code).toBe('VAULT_LOCKED');
    expect(await call('session.status')).toMatchObject({ state: 'locked', profile: { name: 'Ada' } });
    // Nothing the app wrote holds the value in the clear.
    for (const f of await allFiles(home)) expect((await readFile(f)).includes(VALUE)).toBe(false);
  });

  it('copies through main and clears after the configured timeout; lock clears at once', async () => {
    await call('session.setup', { name: 'Ada', useKeychain: true });
    await call('vaults.create', { name: 'acme' });
    await call('secrets.set', { vault: 'acme', name: 'API_TOKEN', environment: 'development', value: VALUE });
    await call('settings.set', { clipboardSeconds: 5 });
    vi.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const status = await call<{ active: boolean; clearsAt: number }>('clipboard.copy', { vault: 'acme', name: 'API_TOKEN', environment: 'development' });
    expect(status.active).toBe(true);
    expect(clipboard.text).toBe(VALUE);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(clipboard.text).toBe('');
    // The clear is told to the UI once it is in the audit log (on disk: real time).
    await vi.waitFor(() => expect(events.filter((e) => e.type === 'clipboard')).toHaveLength(2));

    await call('clipboard.copy', { vault: 'acme', name: 'API_TOKEN', environment: 'development' });
    await call('session.lock');
    expect(clipboard.text).toBe('');
    const actions = audit.events.map((e) => e.action);
    expect(actions.slice(-3)).toEqual(['copy', 'clipboard-cleared', 'lock']);
    expect(JSON.stringify(audit.events)).not.toContain(VALUE);
  });

  it('locks by itself after the idle minutes, and activity postpones it', async () => {
    await call('settings.set', { autoLockMinutes: 1 });
    vi.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    await call('session.setup', { name: 'Ada', useKeychain: true });
    await vi.advanceTimersByTimeAsync(50_000);
    await call('session.touch');
    await vi.advanceTimersByTimeAsync(50_000);
    await call('session.status'); // polling is not activity
    expect(desktop.isUnlocked).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    await vi.waitFor(() => expect(desktop.isUnlocked).toBe(false));
    expect(events).toContainEqual({ type: 'locked', reason: 'idle' });
  });

  it('unlocks with the passphrase, and a wrong one is refused and recorded after the next unlock', async () => {
    await call('session.setup', { name: 'Ada', useKeychain: false, passphrase: 'correct horse battery staple' });
    await call('session.lock');
    const bad = await failure('session.unlock', { method: 'passphrase', passphrase: 'wrong horse' });
    expect(bad.code).toBe('BAD_PASSPHRASE');
    expect(bad.message).not.toContain('wrong horse');
    await call('session.unlock', { method: 'passphrase', passphrase: 'correct horse battery staple' });
    const timeline = await call<{ action: string; detail?: Record<string, unknown> }[]>('audit.list', { limit: 3 });
    expect(timeline.map((e) => e.action)).toEqual(['unlock', 'unlock-failed', 'lock']);
    expect(timeline[1]!.detail).toMatchObject({ method: 'passphrase' });
    expect(JSON.stringify(timeline)).not.toContain('wrong horse');
  });

  it('previews an import without writing, then applies it and says what changed', async () => {
    await call('session.setup', { name: 'Ada', useKeychain: true });
    await call('vaults.create', { name: 'acme' });
    await call('secrets.set', { vault: 'acme', name: 'KEEP', environment: 'development', value: 'same' });
    await call('secrets.set', { vault: 'acme', name: 'CHANGE', environment: 'development', value: 'old' });
    const text = 'KEEP=same\nCHANGE=new\nADDED="multi\nline"\n';
    const preview = await call('secrets.importPreview', { vault: 'acme', environment: 'development', text });
    expect(preview).toEqual({ added: ['ADDED'], existing: ['KEEP', 'CHANGE'] });
    expect((await call<unknown[]>('secrets.list', { vault: 'acme' })).length).toBe(2);
    expect(await call('secrets.importApply', { vault: 'acme', environment: 'development', text })).toEqual({ added: ['ADDED'], updated: ['CHANGE'], unchanged: ['KEEP'] });
    expect(await call('secrets.reveal', { vault: 'acme', name: 'ADDED', environment: 'development' })).toEqual({ value: 'multi\nline' });
    // The import names every key it compared, the one left unchanged too.
    expect(audit.events.find((e) => e.action === 'import')).toMatchObject({ secrets: ['ADDED', 'CHANGE', 'KEEP'], detail: { added: 1, updated: 1, unchanged: 1 } });
    const bad = await failure('secrets.importPreview', { vault: 'acme', environment: 'development', text: 'GOOD=1\nthis line is broken\n' });
    expect(bad.code).toBe('DOTENV_SYNTAX');
  });

  it('a preview does not tell a guessed value from a wrong one (only a recorded reveal or import does)', async () => {
    await call('session.setup', { name: 'Ada', useKeychain: true });
    await call('vaults.create', { name: 'acme' });
    await call('secrets.set', { vault: 'acme', name: 'STRIPE_KEY', environment: 'production', value: VALUE });
    const before = audit.events.length;
    const right = await call('secrets.importPreview', { vault: 'acme', environment: 'production', text: `STRIPE_KEY=${VALUE}\n` });
    const wrong = await call('secrets.importPreview', { vault: 'acme', environment: 'production', text: 'STRIPE_KEY=sk_live_a-wrong-guess\n' });
    expect(right).toEqual(wrong);
    expect(right).toEqual({ added: [], existing: ['STRIPE_KEY'] });
    expect(audit.events.length).toBe(before); // nothing compared, nothing to record
  });

  it('imports a KeePass database from the dialog: format detected, a wrong password refused, the preview audited', async () => {
    await call('session.setup', { name: 'Ada', useKeychain: true });
    await call('vaults.create', { name: 'acme' });
    const db = await writeKdbx([{ title: 'Stripe live', password: VALUE, group: ['Payments'], url: 'https://stripe.com' }], 'db password');
    const req = { vault: 'acme', environment: 'production', fileName: 'team.kdbx', data: Buffer.from(db).toString('base64') };
    expect((await failure('secrets.importFilePreview', { ...req, password: 'wrong' })).code).toBe('IMPORT_WRONG_PASSWORD');
    const plan = await call('secrets.importFilePreview', { ...req, password: 'db password' });
    expect(plan).toEqual({ format: 'kdbx', added: ['STRIPE_LIVE'], updated: [], unchanged: [], skipped: [] });
    expect(audit.events.filter((e) => e.action === 'import-preview')).toHaveLength(1);
    expect((await call<unknown[]>('secrets.list', { vault: 'acme' })).length).toBe(0);
    expect(await call('secrets.importFileApply', { ...req, password: 'db password' })).toEqual({ added: ['STRIPE_LIVE'], updated: [], unchanged: [] });
    expect(await call('secrets.get', { vault: 'acme', name: 'STRIPE_LIVE' })).toMatchObject({ tags: ['Payments'], description: 'Imported from "Stripe live"' });
    expect(await call('secrets.reveal', { vault: 'acme', name: 'STRIPE_LIVE', environment: 'production' })).toEqual({ value: VALUE });
    expect(JSON.stringify(audit.events)).not.toContain(VALUE);
    expect((await failure('secrets.importFilePreview', { ...req, fileName: 'x.bin', data: Buffer.from([0xff, 0xfe]).toString('base64') })).code).toBe('INVALID_INPUT');
  });

  it('imports a CSV of any layout from the dialog through its column mapping', async () => {
    await call('session.setup', { name: 'Ada', useKeychain: true });
    await call('vaults.create', { name: 'acme' });
    const csv = `Service,Key,Why\nStripe live,${VALUE},payments webhook\n`;
    const req = { vault: 'acme', environment: 'production', fileName: 'keys.csv', format: 'csv', data: Buffer.from(csv).toString('base64') };
    expect((await failure('secrets.importFilePreview', req)).code).toBe('INVALID_INPUT'); // no mapping, no guess
    const mapped = { ...req, map: 'name=Service,value=Key,description=Why' };
    expect(await call('secrets.importFilePreview', mapped)).toEqual({ format: 'csv', added: ['STRIPE_LIVE'], updated: [], unchanged: [], skipped: [] });
    expect(await call('secrets.importFileApply', mapped)).toEqual({ added: ['STRIPE_LIVE'], updated: [], unchanged: [] });
    expect(await call('secrets.get', { vault: 'acme', name: 'STRIPE_LIVE' })).toMatchObject({ description: expect.stringContaining('payments webhook') });
    expect(await call('secrets.reveal', { vault: 'acme', name: 'STRIPE_LIVE', environment: 'production' })).toEqual({ value: VALUE });
  });

  it('refuses malformed requests with INVALID_INPUT, without echoing them', async () => {
    await call('session.setup', { name: 'Ada', useKeychain: true });
    expect((await failure('secrets.nope', {})).code).toBe('INVALID_INPUT');
    expect((await failure('__proto__.constructor', {})).code).toBe('INVALID_INPUT');
    expect((await failure('secrets.list', { vault: 'acme', extra: VALUE })).code).toBe('INVALID_INPUT');
    const tooBig = await failure('secrets.set', { vault: 'acme', name: 'X', environment: 'development', value: 'x'.repeat(300 * 1024) });
    expect(tooBig).toEqual({ code: 'INVALID_INPUT', message: 'Invalid value (too_big)' });
    const wrongType = await failure('secrets.reveal', { vault: 'acme', name: 42, environment: 'development' });
    expect(wrongType.message).toBe('Invalid name (invalid_type)');
    expect((await failure('app.openExternal', { url: 'file:///etc/passwd' })).code).toBe('INVALID_INPUT');
  });

  it('sets no rotator command from the window, runs only a built-in rotator, and checks a built-in one before saving it', async () => {
    await call('session.setup', { name: 'Ada', useKeychain: true });
    await call('vaults.create', { name: 'acme' });
    await call('secrets.set', { vault: 'acme', name: 'DATABASE_URL', environment: 'production', value: 'postgres://app_user_1:pw@localhost:1/app' });
    // A command is code that would run here: the schema has no place for one.
    expect((await failure('secrets.setRotator', { vault: 'acme', name: 'DATABASE_URL', rotator: { command: ['sh', '-c', 'id'] } })).code).toBe('INVALID_INPUT');
    // No admin secret: refused before anything is saved.
    const rotator = { builtin: 'postgres', admin: 'PG_ADMIN', role: 'app_user', environments: ['production'] };
    expect((await failure('secrets.setRotator', { vault: 'acme', name: 'DATABASE_URL', rotator })).code).toBe('NOT_FOUND');
    // An admin URL where no server answers: the check says so, and nothing is saved.
    await call('secrets.set', { vault: 'acme', name: 'PG_ADMIN', environment: 'production', value: `postgres://admin:pw@localhost:1/app?host=${home}/no-socket` });
    expect((await failure('secrets.setRotator', { vault: 'acme', name: 'DATABASE_URL', rotator })).code).toBe('PROVIDER_UNREACHABLE');
    expect((await call<{ rotator?: unknown }>('secrets.get', { vault: 'acme', name: 'DATABASE_URL' })).rotator).toBeUndefined();
    // With a rotator command (set from the CLI), the window's rotate by rotator is refused and runs nothing.
    await setRotator(await desktop.vault('acme'), 'DATABASE_URL', { command: ['false'] }, audit);
    expect((await call<{ rotator?: unknown }>('secrets.get', { vault: 'acme', name: 'DATABASE_URL' })).rotator).toEqual({ kind: 'command', program: 'false' });
    const refused = await failure('secrets.rotate', { vault: 'acme', name: 'DATABASE_URL', environment: 'production', rotator: true });
    expect(refused.code).toBe('INVALID_INPUT');
    expect(refused.message).toContain('runs from the CLI');
  });

  it('history lists versions newest first with who made them', async () => {
    await call('session.setup', { name: 'Ada', useKeychain: true });
    await call('vaults.create', { name: 'acme' });
    await call('secrets.set', { vault: 'acme', name: 'K', environment: 'staging', value: 'one' });
    await call('secrets.set', { vault: 'acme', name: 'K', environment: 'staging', value: 'two', note: 'rotated by hand' });
    const versions = await call<{ n: number; note: string; byName: string }[]>('secrets.history', { vault: 'acme', name: 'K', environment: 'staging' });
    expect(versions.map((v) => [v.n, v.note, v.byName])).toEqual([
      [2, 'rotated by hand', 'Ada'],
      [1, '', 'Ada'],
    ]);
    expect(JSON.stringify(versions)).not.toMatch(/"one"|"two"/);
  });

  it('rotates with the generator, rolls back, retires, and health and notifications see rotation due', async () => {
    await call('session.setup', { name: 'Ada', useKeychain: true });
    await call('vaults.create', { name: 'acme' });
    await call('secrets.set', { vault: 'acme', name: 'API_KEY', environment: 'production', value: VALUE });
    // An imported key's real age: rotated 40 days ago, policy every 30 days.
    await setPolicy(await desktop.vault('acme'), 'API_KEY', { intervalDays: 30, lastRotatedAt: Date.now() - 40 * 86_400_000 }, audit);
    expect((await call<{ rotation: string }[]>('secrets.list', { vault: 'acme' }))[0]!.rotation).toBe('overdue');
    type Detail = { rotations: { environment: string; lastRotatedAt: number; state: string; daysLeft?: number }[] };
    const before = (await call<Detail>('secrets.get', { vault: 'acme', name: 'API_KEY' })).rotations;
    expect(before).toEqual([expect.objectContaining({ environment: 'production', state: 'overdue', daysLeft: -10 })]);
    const findings = await call<{ kind: string; secret: string }[]>('health.report', {});
    expect(findings).toContainEqual(expect.objectContaining({ kind: 'rotation-overdue', secret: 'API_KEY' }));

    events.length = 0;
    await desktop.checkDue();
    expect(events.filter((e) => e.type === 'alert')).toEqual([
      expect.objectContaining({ alert: expect.objectContaining({ rule: 'rotation-due', secret: 'API_KEY', message: 'API_KEY (production) in acme is overdue for rotation' }) }),
    ]);
    events.length = 0;
    await desktop.checkDue(); // announced once, not at every check
    expect(events.filter((e) => e.type === 'alert')).toEqual([]);

    const v2 = await call<{ n: number }>('secrets.rotate', { vault: 'acme', name: 'API_KEY', environment: 'production', generate: { format: 'base62', length: 40 }, graceDays: 7 });
    expect(v2.n).toBe(2);
    const { value } = await call<{ value: string }>('secrets.reveal', { vault: 'acme', name: 'API_KEY', environment: 'production' });
    expect(value).toMatch(/^[0-9A-Za-z]{40}$/);
    expect((await call<{ rotation: string }[]>('secrets.list', { vault: 'acme' }))[0]!.rotation).toBe('ok');
    // The detail counts from the rotation just done, as the list does: due again in 30 days.
    const after = (await call<Detail>('secrets.get', { vault: 'acme', name: 'API_KEY' })).rotations;
    expect(after).toEqual([expect.objectContaining({ environment: 'production', state: 'ok', daysLeft: 30 })]);
    expect(after[0]!.lastRotatedAt).toBeGreaterThan(before[0]!.lastRotatedAt);
    expect((await call<{ kind: string }[]>('health.report', {})).filter((f) => f.kind.startsWith('rotation'))).toEqual([]);
    const history = await call<{ n: number; standing: { state: string } }[]>('secrets.history', { vault: 'acme', name: 'API_KEY', environment: 'production' });
    expect(history.map((h) => [h.n, h.standing.state])).toEqual([
      [2, 'current'],
      [1, 'valid'],
    ]);

    await call('secrets.rollback', { vault: 'acme', name: 'API_KEY', environment: 'production', to: 1 });
    expect(await call('secrets.reveal', { vault: 'acme', name: 'API_KEY', environment: 'production' })).toEqual({ value: VALUE });
    expect(await call('secrets.retire', { vault: 'acme', name: 'API_KEY' })).toMatchObject({ status: 'retired' });
    expect((await failure('secrets.rotate', { vault: 'acme', name: 'API_KEY', environment: 'production', value: 'x-new-value-123456' })).code).toBe('SECRET_RETIRED');
    expect(await call('secrets.restore', { vault: 'acme', name: 'API_KEY' })).toMatchObject({ status: 'active' });
    const actions = audit.events.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['secret-rotated', 'secret-rolled-back', 'secret-retired']));
    expect(JSON.stringify(audit.events)).not.toContain(value);
    expect(JSON.stringify(audit.events)).not.toContain(VALUE);
  });
});
