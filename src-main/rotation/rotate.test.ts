import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RotationClock } from '../../src-shared/rotation/schedule';
import { tempHome } from '../../test/helpers/temp-home';
import { collectingAuditSink } from '../audit/audit-sink';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createMemoryKeychain } from '../keychain/memory-keychain';
import { createProfile } from '../profile/profile';
import { exportEntries, getValue, history, setSecret } from '../vaults/secrets';
import { createVault } from '../vaults/vaults';
import { deleteSecret, restoreSecret, retireSecret, setDefaultPolicy, setPolicy, setRotator } from './lifecycle';
import { historyWithStanding, rollback, rotateSecret } from './rotate';
import { secretsBecameDue } from './notify';
import { rotationStates } from './state';

const DAY = 86_400_000;
const node = (script: string) => [process.execPath, '-e', script];

async function setup() {
  const home = await tempHome();
  const session = await createProfile(nodeSuite, home, { name: 'Alice', keychain: createMemoryKeychain() });
  const vault = await createVault(session, 'Payments', ['development', 'production']);
  await setSecret(vault, 'STRIPE_KEY', 'production', 'sk_live_original_value');
  return { home, session, vault, audit: collectingAuditSink() };
}

/** No audit event carries any of these texts. */
function expectNoValues(events: unknown[], values: string[]): void {
  const text = JSON.stringify(events);
  for (const v of values) expect(text.includes(v), 'a value in an audit event').toBe(false);
}

describe('rotate', () => {
  it('saves a typed value as a new version, keeps the old one in history, and audits without the value', async () => {
    const { vault, audit } = await setup();
    const r = await rotateSecret(vault, 'STRIPE_KEY', 'production', { value: 'sk_live_second_value' }, { note: 'quarterly' }, audit);
    expect(r.version).toMatchObject({ n: 2, note: 'quarterly' });
    expect(r.version).not.toHaveProperty('value');
    expect(r.replaced).toEqual({ n: 1 });
    expect((await history(vault, 'STRIPE_KEY', 'production')).map((v) => v.value)).toEqual(['sk_live_original_value', 'sk_live_second_value']);
    expect(audit.events).toEqual([
      { action: 'secret-rotated', vaultId: vault.id, vault: 'Payments', secret: 'STRIPE_KEY', environment: 'production', detail: { method: 'value', version: 2, replaced: 1 } },
    ]);
    expectNoValues(audit.events, ['sk_live_second_value', 'sk_live_original_value']);
    // The same value again is not a rotation.
    await expect(rotateSecret(vault, 'STRIPE_KEY', 'production', { value: 'sk_live_second_value' }, {}, audit)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect((await history(vault, 'STRIPE_KEY', 'production'))).toHaveLength(2);
  });

  it('keeps the replaced value valid for a grace window, then shows it revoked', async () => {
    const { vault, audit } = await setup();
    const before = Date.now();
    const r = await rotateSecret(vault, 'STRIPE_KEY', 'production', { generate: { format: 'base62' } }, { graceDays: 7 }, audit);
    expect(r.bits).toBeGreaterThan(250);
    expect(r.replaced?.validUntil).toBeGreaterThanOrEqual(before + 7 * DAY);
    const now = await historyWithStanding(vault, 'STRIPE_KEY', 'production', Date.now());
    expect(now.map((v) => v.standing.state)).toEqual(['valid', 'current']);
    const later = await historyWithStanding(vault, 'STRIPE_KEY', 'production', Date.now() + 8 * DAY);
    expect(later.map((v) => v.standing)).toEqual([{ state: 'revoked', since: r.replaced!.validUntil }, { state: 'current' }]);
    expect((await getValue(vault, 'STRIPE_KEY', 'production')).value).toMatch(/^[A-Za-z0-9]{43}$/);
    expect(audit.events[0]?.detail).toMatchObject({ method: 'generate', format: 'base62', graceDays: 7 });
    // Without a grace window the replaced value is revoked at once.
    await rotateSecret(vault, 'STRIPE_KEY', 'production', { value: 'third' }, {}, audit);
    const h = await historyWithStanding(vault, 'STRIPE_KEY', 'production', Date.now());
    expect(h.map((v) => v.standing.state)).toEqual(['valid', 'revoked', 'current']);
  });

  it('calls a version replaced by a plain set "replaced": only a rotation says the old value is revoked', async () => {
    const { vault, audit } = await setup();
    await setSecret(vault, 'STRIPE_KEY', 'production', 'sk_live_edited_value');
    const set = await historyWithStanding(vault, 'STRIPE_KEY', 'production', Date.now());
    expect(set.map((v) => v.standing)).toEqual([{ state: 'replaced', since: set[1]!.at }, { state: 'current' }]);
    const r = await rotateSecret(vault, 'STRIPE_KEY', 'production', { value: 'sk_live_rotated_value' }, {}, audit);
    const rotated = await historyWithStanding(vault, 'STRIPE_KEY', 'production', Date.now());
    expect(rotated.map((v) => v.standing)).toEqual([{ state: 'replaced', since: set[1]!.at }, { state: 'revoked', since: rotated[2]!.at }, { state: 'current' }]);
    expect(r.replaced).toEqual({ n: 2 });
  });

  it('clears the old value\'s expiry on rotation unless a new one is given', async () => {
    const { vault, audit } = await setup();
    await setPolicy(vault, 'STRIPE_KEY', { expiresAt: Date.now() + 3 * DAY }, audit);
    await rotateSecret(vault, 'STRIPE_KEY', 'production', { value: 'v2' }, {}, audit);
    expect(vault.meta.secretByName('STRIPE_KEY')!.rotation.expiresAt).toBeUndefined();
    const expiry = Date.now() + 365 * DAY;
    await rotateSecret(vault, 'STRIPE_KEY', 'production', { value: 'v3' }, { expiresAt: expiry }, audit);
    expect(vault.meta.secretByName('STRIPE_KEY')!.rotation.expiresAt).toBe(expiry);
  });
});

describe('rotators', () => {
  it('saves what the rotator prints, shows its stderr, and passes names (not values, not TESSERA_ settings)', async () => {
    const { vault, audit } = await setup();
    await setRotator(vault, 'STRIPE_KEY', {
      command: node('console.error("created key at provider"); process.stdout.write(["new", process.env.TESSERA_SECRET, process.env.TESSERA_ENVIRONMENT, process.env.TESSERA_PASSPHRASE_FILE ?? "none"].join(":") + "\\n")'),
    }, audit);
    const asked: (readonly string[])[] = [];
    const r = await rotateSecret(vault, 'STRIPE_KEY', 'production', { rotator: true }, {
      confirmRotator: async (c) => (asked.push(c), true),
      rotatorEnv: { ...process.env, TESSERA_PASSPHRASE_FILE: '/somewhere/secret' },
    }, audit);
    expect(asked).toHaveLength(1);
    expect(r.rotatorStderr).toBe('created key at provider\n');
    expect((await getValue(vault, 'STRIPE_KEY', 'production')).value).toBe('new:STRIPE_KEY:production:none');
    expect(audit.events.at(-1)).toMatchObject({ action: 'secret-rotated', detail: { method: 'rotator', rotator: 'node' } });
  });

  it('runs without a shell: metacharacters reach the command as plain arguments', async () => {
    const { home, vault, audit } = await setup();
    const marker = join(home, 'pwned');
    await setRotator(vault, 'STRIPE_KEY', { command: [...node('process.stdout.write(process.argv.slice(1).join("|"))'), `$(touch ${marker})`, `; touch ${marker}`] }, audit);
    await rotateSecret(vault, 'STRIPE_KEY', 'production', { rotator: true }, { confirmRotator: async () => true }, audit);
    expect((await getValue(vault, 'STRIPE_KEY', 'production')).value).toBe(`$(touch ${marker})|; touch ${marker}`);
    expect(existsSync(marker)).toBe(false);
  });

  it('saves nothing when the rotator fails, times out, prints nothing, or cannot start', async () => {
    const { vault, audit } = await setup();
    const cases: [string[], number | undefined, string, RegExp][] = [
      [node('console.error("provider said 401"); process.stdout.write("half"); process.exit(3)'), undefined, 'ROTATOR_FAILED', /provider said 401/],
      [node('console.error("waiting for provider"); setInterval(() => {}, 1000)'), 1, 'ROTATOR_TIMEOUT', /waiting for provider/],
      [node('process.stdout.write("\\n")'), undefined, 'ROTATOR_FAILED', /^$/],
      [['/nonexistent/rotator-program'], undefined, 'ROTATOR_FAILED', /^$/],
    ];
    for (const [command, timeoutSeconds, code, stderr] of cases) {
      await setRotator(vault, 'STRIPE_KEY', { command, ...(timeoutSeconds ? { timeoutSeconds } : {}) }, audit);
      const err = await rotateSecret(vault, 'STRIPE_KEY', 'production', { rotator: true }, { confirmRotator: async () => true }, audit).catch((e) => e);
      expect(err).toMatchObject({ code });
      expect(String(err.details.stderr)).toMatch(stderr);
      expect(err.message).not.toMatch(/half|provider said/); // stderr is shown apart, never in the message
    }
    expect((await history(vault, 'STRIPE_KEY', 'production')).map((v) => v.value)).toEqual(['sk_live_original_value']);
    expect(audit.events.filter((e) => e.action === 'secret-rotated')).toEqual([]);
  });

  it('says the provider may have a new key when the app locks while the rotator runs', async () => {
    const { home, session, vault, audit } = await setup();
    const started = join(home, 'rotator-started');
    // The rotator says it started (a file), then takes a second to answer: the lock lands in between.
    const script = `require("fs").writeFileSync(${JSON.stringify(started)}, ""); setTimeout(() => process.stdout.write("sk_live_during_lock_value"), 1000)`;
    await setRotator(vault, 'STRIPE_KEY', { command: node(script) }, audit);
    const rotating = rotateSecret(vault, 'STRIPE_KEY', 'production', { rotator: true }, { confirmRotator: async () => true }, audit).catch((e) => e);
    for (let i = 0; i < 1000 && !existsSync(started); i++) await new Promise((r) => setTimeout(r, 10));
    session.lock();
    const err = await rotating;
    expect(err).toMatchObject({ code: 'VAULT_LOCKED', message: expect.stringMatching(/^The rotator succeeded but its value could not be saved .*the provider may already have a new key/) });
    expect(err.message).not.toContain('sk_live_during_lock_value');
    expect(audit.events.filter((e) => e.action === 'secret-rotated')).toEqual([]);
  });

  it('runs a command only once this device approved it, and asks again when it changes', async () => {
    const { vault, audit } = await setup();
    await setRotator(vault, 'STRIPE_KEY', { command: node('process.stdout.write("from-rotator-1")') }, audit);
    await expect(rotateSecret(vault, 'STRIPE_KEY', 'production', { rotator: true }, {}, audit)).rejects.toMatchObject({ code: 'ROTATOR_NOT_TRUSTED' });
    await expect(rotateSecret(vault, 'STRIPE_KEY', 'production', { rotator: true }, { confirmRotator: async () => false }, audit)).rejects.toMatchObject({ code: 'ROTATOR_NOT_TRUSTED' });
    await rotateSecret(vault, 'STRIPE_KEY', 'production', { rotator: true }, { confirmRotator: async () => true }, audit);
    // Approved: it runs again without asking (here it prints the same value, which is refused as no change).
    await expect(rotateSecret(vault, 'STRIPE_KEY', 'production', { rotator: true }, {}, audit)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    // Someone changes the command: this device asks again.
    await setRotator(vault, 'STRIPE_KEY', { command: node('process.stdout.write("from-rotator-2")') }, audit);
    await expect(rotateSecret(vault, 'STRIPE_KEY', 'production', { rotator: true }, {}, audit)).rejects.toMatchObject({ code: 'ROTATOR_NOT_TRUSTED' });
    expect((await getValue(vault, 'STRIPE_KEY', 'production')).value).toBe('from-rotator-1');
  });
});

describe('rollback', () => {
  it('saves an earlier version\'s value as a new version and audits it', async () => {
    const { vault, audit } = await setup();
    await rotateSecret(vault, 'STRIPE_KEY', 'production', { value: 'sk_live_broken_value' }, {}, audit);
    const r = await rollback(vault, 'STRIPE_KEY', 'production', 1, audit);
    expect(r).toMatchObject({ from: 2, version: { n: 3, note: 'rollback to version 1' } });
    expect((await history(vault, 'STRIPE_KEY', 'production')).map((v) => [v.n, v.value])).toEqual([
      [1, 'sk_live_original_value'],
      [2, 'sk_live_broken_value'],
      [3, 'sk_live_original_value'],
    ]);
    expect(audit.events.at(-1)).toEqual({
      action: 'secret-rolled-back', vaultId: vault.id, vault: 'Payments', secret: 'STRIPE_KEY', environment: 'production', detail: { to: 1, from: 2, version: 3 },
    });
    expectNoValues(audit.events, ['sk_live_broken_value', 'sk_live_original_value']);
    await expect(rollback(vault, 'STRIPE_KEY', 'production', 3, audit)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(rollback(vault, 'STRIPE_KEY', 'production', 9, audit)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await history(vault, 'STRIPE_KEY', 'production')).toHaveLength(3);
  });
});

describe('lifecycle', () => {
  it('retired secrets leave exports (what run injects), refuse rotation, keep history, and come back on restore', async () => {
    const { vault, audit } = await setup();
    await setSecret(vault, 'OTHER', 'production', 'other-value');
    await retireSecret(vault, 'STRIPE_KEY', audit);
    expect(await exportEntries(vault, 'production')).toEqual([{ key: 'OTHER', value: 'other-value' }]);
    await expect(rotateSecret(vault, 'STRIPE_KEY', 'production', { value: 'x-new' }, {}, audit)).rejects.toMatchObject({ code: 'SECRET_RETIRED' });
    expect(await history(vault, 'STRIPE_KEY', 'production')).toHaveLength(1);
    await restoreSecret(vault, 'STRIPE_KEY', audit);
    expect((await exportEntries(vault, 'production')).map((e) => e.key)).toEqual(['OTHER', 'STRIPE_KEY']);
    expect(audit.events.map((e) => [e.action, e.secret])).toEqual([['secret-retired', 'STRIPE_KEY'], ['secret-edited', 'STRIPE_KEY']]);
  });

  it('deletes with its history only after the name is confirmed', async () => {
    const { vault, audit } = await setup();
    await expect(deleteSecret(vault, 'STRIPE_KEY', undefined, audit)).rejects.toMatchObject({ code: 'CONFIRMATION_REQUIRED' });
    await expect(deleteSecret(vault, 'STRIPE_KEY', 'stripe_key', audit)).rejects.toMatchObject({ code: 'CONFIRMATION_REQUIRED' });
    expect(await history(vault, 'STRIPE_KEY', 'production')).toHaveLength(1);
    expect(await deleteSecret(vault, 'STRIPE_KEY', 'STRIPE_KEY', audit)).toEqual({ purgedVersions: 1 });
    expect(vault.meta.secretByName('STRIPE_KEY')).toBeUndefined();
    expect(audit.events).toEqual([{ action: 'secret-deleted', vaultId: vault.id, vault: 'Payments', secret: 'STRIPE_KEY', detail: { purgedVersions: 1 } }]);
  });

  it('applies a secret\'s own interval, else its environment\'s default, else the vault\'s', async () => {
    const { vault, audit } = await setup();
    await setSecret(vault, 'DEV_ONLY', 'development', 'dev-value');
    const states = async (days: number) => {
      const clock = new RotationClock(Date.now() + days * DAY, 'UTC');
      const m = await rotationStates(vault, vault.meta.secrets(), clock);
      return Object.fromEntries(vault.meta.secrets().map((s) => [s.name, m.get(s.id)]));
    };
    expect(await states(100)).toEqual({ DEV_ONLY: 'none', STRIPE_KEY: 'none' });
    await setDefaultPolicy(vault, 'production', 90, audit);
    await setDefaultPolicy(vault, null, 180, audit);
    expect(await states(85)).toEqual({ DEV_ONLY: 'ok', STRIPE_KEY: 'due' });
    expect(await states(100)).toEqual({ DEV_ONLY: 'ok', STRIPE_KEY: 'overdue' });
    await setPolicy(vault, 'STRIPE_KEY', { intervalDays: 365 }, audit);
    expect(await states(100)).toEqual({ DEV_ONLY: 'ok', STRIPE_KEY: 'ok' });
    expect(await states(200)).toEqual({ DEV_ONLY: 'overdue', STRIPE_KEY: 'ok' });
    // A rotation restarts the clock; a retired secret is not scheduled.
    await rotateSecret(vault, 'DEV_ONLY', 'development', { value: 'dev-value-2' }, {}, audit);
    await retireSecret(vault, 'STRIPE_KEY', audit);
    expect(await states(100)).toEqual({ DEV_ONLY: 'ok', STRIPE_KEY: 'none' });
    await setPolicy(vault, 'STRIPE_KEY', { intervalDays: null }, audit);
    expect(vault.meta.secretByName('STRIPE_KEY')!.rotation).toEqual({});
    expect(audit.events.filter((e) => e.action === 'policy-changed').map((e) => [e.environment ?? e.secret ?? '-', e.detail])).toEqual([
      ['production', { default: true, intervalDays: 90 }],
      ['-', { default: true, intervalDays: 180 }],
      ['STRIPE_KEY', { intervalDays: 365 }],
      ['STRIPE_KEY', { intervalDays: 'cleared' }],
    ]);
    await expect(setPolicy(vault, 'STRIPE_KEY', { intervalDays: 0 }, audit)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(setPolicy(vault, 'STRIPE_KEY', { lastRotatedAt: Date.now() + 30 * DAY }, audit)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(setDefaultPolicy(vault, 'qa', 30, audit)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('recorded rotations', () => {
  it('an imported key\'s real age counts until a new value is written', async () => {
    const { vault, audit } = await setup();
    const state = async () => (await rotationStates(vault, vault.meta.secrets(), new RotationClock(Date.now(), 'UTC'))).get(vault.meta.secretByName('STRIPE_KEY')!.id);
    await setPolicy(vault, 'STRIPE_KEY', { intervalDays: 90, lastRotatedAt: Date.now() - 100 * DAY }, audit);
    expect(await state()).toBe('overdue');
    await rotateSecret(vault, 'STRIPE_KEY', 'production', { generate: { format: 'base62' } }, {}, audit);
    expect(await state()).toBe('ok');
    // A record made after the current value was written counts again (rotated at the provider, say).
    await setPolicy(vault, 'STRIPE_KEY', { lastRotatedAt: Date.now() - 85 * DAY }, audit);
    expect(await state()).toBe('due');
    await setPolicy(vault, 'STRIPE_KEY', { lastRotatedAt: null }, audit);
    expect(await state()).toBe('ok');
    expect(vault.meta.secretByName('STRIPE_KEY')!.rotation).toEqual({ intervalDays: 90 });
  });
});

describe('secretsBecameDue (for desktop notifications)', () => {
  it('lists the secrets and environments that turned due between two checks, once', async () => {
    const { session, vault, audit } = await setup();
    await setSecret(vault, 'STRIPE_KEY', 'development', 'dev-value');
    await setDefaultPolicy(vault, 'production', 30, audit);
    const t0 = Date.now();
    // 30-day interval, 7-day warning: due from day 23 (UTC), overdue from day 31.
    expect(await secretsBecameDue(session, t0, t0 + 20 * DAY, 'UTC')).toEqual([]);
    expect(await secretsBecameDue(session, t0 + 20 * DAY, t0 + 24 * DAY, 'UTC')).toEqual([
      { vaultId: vault.id, vault: 'Payments', secret: 'STRIPE_KEY', environment: 'production', state: 'due' },
    ]);
    expect(await secretsBecameDue(session, t0 + 24 * DAY, t0 + 25 * DAY, 'UTC')).toEqual([]);
    expect((await secretsBecameDue(session, t0 + 25 * DAY, t0 + 40 * DAY, 'UTC')).map((d) => d.state)).toEqual(['overdue']);
    await retireSecret(vault, 'STRIPE_KEY', audit);
    expect(await secretsBecameDue(session, t0 + 20 * DAY, t0 + 40 * DAY, 'UTC')).toEqual([]);
  });
});
