/**
 * The desktop app behind its window: one profile, unlocked or locked, its open vaults, the
 * clipboard, the idle lock and the settings. It serves the typed API (src-shared/api) that
 * the Electron main process exposes over IPC and the end-to-end test host over a loopback
 * WebSocket, so everything here runs and is tested without Electron.
 *
 * Keys live only in the Session; locking wipes them, drops every open vault (and with it
 * the decrypted documents) and clears a copied value from the clipboard.
 */
import type { Alert, AppEvent, LockReason, ProfileSummary, SessionStatus, Settings, TesseraApi } from '../../src-shared/api/types';
import { fromBase64Url } from '../../src-shared/crypto/bytes';
import { fingerprint, formatFingerprint } from '../../src-shared/crypto/identity';
import type { CryptoSuite } from '../../src-shared/crypto/suite';
import { isTesseraError, TesseraError } from '../../src-shared/errors';
import { nullAuditSink, type AuditSink } from '../audit/audit-sink';
import type { Keychain } from '../keychain/keychain';
import { createProfile, readProfileFile, unlockProfile, type ProfileFile, type Session } from '../profile/profile';
import { Vault, vaultIds } from '../vaults/vault';
import { healthReport } from '../health/report';
import { noteFailedUnlock } from '../audit/pending';
import { readScanFindings } from '../scan/findings-store';
import { lastAccessIndex } from '../audit/last-access';
import type { DesktopAudit } from './desktop-audit';
import { secretsBecameDue } from '../rotation/notify';
import { AutoLock } from './auto-lock';
import { ClipboardService, type ClipboardAdapter } from './clipboard-service';
import { systemClock, type Clock } from './clock';
import { membersApi, vaultsApi } from './members-api';
import { secretsApi, clipboardApi } from './secrets-api';
import { DEFAULT_SETTINGS, readAnnouncedDue, readSettings, writeAnnouncedDue, writeSettings } from './settings';

export interface DesktopOptions {
  readonly home: string;
  readonly suite: CryptoSuite;
  readonly keychain: Keychain;
  readonly clipboard: ClipboardAdapter;
  readonly clock?: Clock;
  /** Where an unlocked session's audit events go (the profile's audit log). */
  readonly auditFor?: (session: Session) => Promise<DesktopAudit>;
  readonly appVersion?: string;
  /** Opens a validated http(s) URL in the system browser (the shell's job). */
  readonly openExternal?: (url: URL) => Promise<void>;
  /** For tests: weaker scrypt parameters when setting a passphrase. */
  readonly passphraseOptions?: Parameters<typeof createProfile>[2]['passphraseOptions'];
}

/** What the per-domain API modules need from the app. */
export interface DesktopContext {
  session(): Session;
  vault(nameOrId: string): Promise<Vault>;
  vaults(): Promise<{ vaults: Vault[]; unreadable: Map<string, TesseraError> }>;
  forgetVaults(): void;
  readonly audit: AuditSink;
  readonly clipboard: ClipboardService;
  settings(): Settings;
  emit(event: AppEvent): void;
}

/** Calls that do not count as the user doing something (the UI polls some of them). */
const PASSIVE = new Set(['session.status', 'clipboard.status', 'audit.alerts', 'app.version']);

export class Desktop implements DesktopContext {
  private current: Session | null = null;
  private sink: DesktopAudit = nullAuditSink;
  private stopAlerts: (() => void) | null = null;
  /**
   * Reports to whatever log is current: the clipboard's clear on lock is still recorded by
   * the session that copied (it runs before the session is wiped).
   */
  readonly audit: AuditSink = { record: (e) => this.sink.record(e) };
  private open = new Map<string, Vault>();
  private unreadable = new Map<string, TesseraError>();
  private dueTimer: unknown = null;
  /** The due check in progress, which lock waits for (it reads vaults with the session's keys). */
  private dueRun: Promise<void> | null = null;
  private prefs: Settings = DEFAULT_SETTINGS;
  private listeners = new Set<(e: AppEvent) => void>();
  readonly clipboard: ClipboardService;
  private readonly autoLock: AutoLock;
  private readonly clock: Clock;
  readonly api: TesseraApi;

  constructor(private readonly opts: DesktopOptions) {
    this.clock = opts.clock ?? systemClock;
    this.clipboard = new ClipboardService(opts.clipboard, this.audit, (status) => this.emit({ type: 'clipboard', status }), this.clock);
    this.autoLock = new AutoLock((reason) => void this.lock(reason).catch(() => {}), this.clock);
    this.api = this.buildApi();
  }


  async start(): Promise<void> {
    this.prefs = await readSettings(this.opts.home);
  }

  onEvent(listener: (e: AppEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: AppEvent): void {
    for (const l of this.listeners) l(event);
  }

  settings(): Settings {
    return this.prefs;
  }

  /** The user is active (any call the UI makes on their behalf). */
  noteActivity(method: string): void {
    if (this.current && !PASSIVE.has(method)) this.autoLock.touch();
  }

  session(): Session {
    if (!this.current) throw new TesseraError('VAULT_LOCKED', 'Tessera is locked: unlock it first');
    return this.current;
  }

  get isUnlocked(): boolean {
    return this.current !== null;
  }

  async lock(reason: LockReason): Promise<void> {
    const session = this.current;
    if (!session) return;
    this.autoLock.stop();
    if (this.dueTimer !== null) this.clock.clearTimeout(this.dueTimer);
    this.dueTimer = null;
    await this.dueRun;
    await this.clipboard.clear(reason === 'quit' ? 'quit' : 'lock').catch(() => false);
    await this.sink.record({ action: 'lock', detail: { reason } }).catch(() => {});
    this.stopAlerts?.();
    this.stopAlerts = null;
    await this.sink.close?.().catch(() => {});
    this.current = null;
    this.sink = nullAuditSink;
    this.forgetVaults();
    session.lock();
    this.emit({ type: 'locked', reason });
  }

  forgetVaults(): void {
    this.open = new Map();
    this.unreadable = new Map();
  }

  /** Every vault of the profile, opened once per unlock and refreshed on each use. */
  async vaults(): Promise<{ vaults: Vault[]; unreadable: Map<string, TesseraError> }> {
    const session = this.session();
    await session.reloadKeyring(); // another process (the CLI) may have added a vault
    for (const id of await vaultIds(session)) {
      if (this.open.has(id)) continue;
      try {
        this.open.set(id, await Vault.open(session, id));
        this.unreadable.delete(id);
      } catch (e) {
        if (!isTesseraError(e)) throw e;
        this.unreadable.set(id, e);
      }
    }
    const vaults = [...this.open.values()];
    await Promise.all(vaults.map((v) => v.refresh()));
    return { vaults: vaults.sort((a, b) => a.name.localeCompare(b.name)), unreadable: this.unreadable };
  }

  async vault(nameOrId: string): Promise<Vault> {
    const find = () => [...this.open.values()].filter((v) => v.name === nameOrId || v.id === nameOrId);
    let found = find();
    if (found.length === 0) {
      await this.vaults();
      found = find();
    } else {
      await found[0]!.refresh();
    }
    if (found.length > 1) throw new TesseraError('INVALID_INPUT', `${JSON.stringify(nameOrId)} names more than one vault: use its id`);
    const v = found[0];
    if (!v) throw new TesseraError('NOT_FOUND', `No vault ${JSON.stringify(nameOrId)}`);
    return v;
  }

  private async unlocked(session: Session, method: string): Promise<ProfileSummary> {
    this.current = session;
    // Opening the log also records the failed unlocks noted while it could not be written.
    this.sink = this.opts.auditFor ? await this.opts.auditFor(session) : nullAuditSink;
    await this.sink.record({ action: 'unlock', detail: { method } });
    this.stopAlerts = (await this.sink.onAlert?.((alert) => this.emit({ type: 'alert', alert: this.withNames(alert) }))) ?? null;
    this.autoLock.start(this.prefs.autoLockMinutes);
    this.emit({ type: 'unlocked' });
    this.startDueCheck();
    return profileSummary(session.profile);
  }

  /**
   * Tells the user (an `alert` event, which the shell shows as an OS notification) about
   * secrets that need rotating, each state once: what was announced is kept in the profile,
   * so a secret that turned due while the app was closed is announced at the next unlock,
   * one whose policy was just set to an old rotation date is announced too, and one that
   * was rotated and later turns due again is announced again. Checks again hourly while
   * unlocked.
   */
  private startDueCheck(): void {
    this.dueRun = this.checkDue().catch(() => {});
  }

  async checkDue(): Promise<void> {
    const session = this.current;
    if (!session) return;
    if (this.dueTimer !== null) this.clock.clearTimeout(this.dueTimer);
    this.dueTimer = this.clock.setTimeout(() => this.startDueCheck(), 3_600_000);
    const now = this.clock.now();
    try {
      const announced = await readAnnouncedDue(this.opts.home);
      // Everything needing attention now (worse than at the epoch: due, overdue, expiring, expired).
      const { vaults } = await this.vaults();
      const current = await secretsBecameDue(session, 0, now, undefined, vaults);
      const keys = new Set<string>();
      for (const d of current) {
        const key = `${d.vaultId}/${d.secret}/${d.environment}/${d.state}`;
        keys.add(key);
        if (announced.has(key)) continue;
        const what = d.state === 'expired' ? 'is past its expiry' : d.state === 'expiring' ? 'is about to expire' : `is ${d.state} for rotation`;
        this.emit({
          type: 'alert',
          alert: { id: `${key}@${now}`, rule: 'rotation-due', at: now, severity: d.state === 'due' ? 'info' : 'warning', message: `${d.secret} (${d.environment}) in ${d.vault} ${what}`, vault: d.vault, secret: d.secret },
        });
      }
      await writeAnnouncedDue(this.opts.home, keys);
    } catch (e) {
      if (!isTesseraError(e)) throw e; // locked meanwhile, or a vault that will not open: next time
    }
  }

  /**
   * Alerts name members by id (the rules read only the log); show the names the open
   * vaults know, and "You" for this profile, so a notification says who in the user's words.
   */
  private withNames(alert: Alert): Alert {
    const me = this.current?.memberId;
    const message = alert.message.replace(/\b[0-9a-f]{16}\b/g, (id) => {
      if (id === me) return 'You';
      for (const v of this.open.values()) {
        const name = v.meta.memberName(id);
        if (name) return name;
      }
      return id;
    });
    return message === alert.message ? alert : { ...alert, message };
  }

  private buildApi(): TesseraApi {
    const { opts } = this;
    return {
      session: {
        status: async (): Promise<SessionStatus> => {
          let profile: ProfileFile;
          try {
            profile = await readProfileFile(opts.home);
          } catch (e) {
            if (isTesseraError(e, 'NO_PROFILE')) return { state: 'no-profile' };
            throw e;
          }
          if (!this.current) return { state: 'locked', profile: profileSummary(profile) };
          return { state: 'unlocked', profile: profileSummary(profile), locksAt: this.autoLock.locksAt() };
        },
        setup: async ({ name, useKeychain, passphrase }) => {
          if (this.current) throw new TesseraError('PROFILE_EXISTS', 'A profile is already unlocked');
          const session = await createProfile(opts.suite, opts.home, {
            name,
            ...(useKeychain ? { keychain: opts.keychain } : {}),
            ...(passphrase !== undefined ? { passphrase } : {}),
            ...(opts.passphraseOptions ? { passphraseOptions: opts.passphraseOptions } : {}),
          });
          return this.unlocked(session, 'setup');
        },
        unlock: async ({ method, passphrase }) => {
          if (this.current) return profileSummary(this.current.profile);
          if (method === 'passphrase' && passphrase === undefined) throw new TesseraError('INVALID_INPUT', 'Type your passphrase');
          try {
            const { session, method: used } = await unlockProfile(
              opts.suite,
              opts.home,
              method === 'keychain' ? { keychain: opts.keychain } : { passphrase: async () => passphrase!, preferPassphrase: true },
            );
            return await this.unlocked(session, used);
          } catch (e) {
            // Sealed events need the key this attempt did not get: noted in plain, moved into the log at the next unlock.
            if (isTesseraError(e)) await noteFailedUnlock(opts.home, method, this.clock.now()).catch(() => {});
            throw e;
          }
        },
        lock: () => this.lock('manual'),
        touch: async () => this.autoLock.touch(),
      },
      vaults: vaultsApi(this),
      secrets: secretsApi(this),
      clipboard: clipboardApi(this),
      members: membersApi(this),
      audit: {
        list: async (q) => {
          this.session();
          return (await this.sink.query?.(q)) ?? [];
        },
        alerts: async () => {
          this.session();
          return ((await this.sink.alerts?.()) ?? []).map((a) => this.withNames(a));
        },
        export: async ({ format, ...q }) => {
          this.session();
          return { text: (await this.sink.export?.(q, format)) ?? (format === 'json' ? '[]\n' : '') };
        },
      },
      health: {
        report: async ({ vault }) => {
          const session = this.session();
          const { vaults } = await this.vaults();
          const [events, leaks] = await Promise.all([this.sink.query?.({}) ?? [], readScanFindings(session)]);
          return healthReport(session, { ...(vault !== undefined ? { vault } : {}), now: this.clock.now(), vaults, lastAccess: lastAccessIndex(events), leaks });
        },
      },
      settings: {
        get: async () => this.prefs,
        set: async (change) => {
          const next: Settings = { ...this.prefs, ...change } as Settings;
          await writeSettings(opts.home, next);
          const changed = Object.keys(change).filter((k) => change[k as keyof Settings] !== this.prefs[k as keyof Settings]);
          this.prefs = next;
          if (this.current) {
            if (changed.includes('autoLockMinutes')) this.autoLock.start(next.autoLockMinutes);
            if (changed.length) await this.sink.record({ action: 'settings-changed', detail: { fields: changed } });
          }
          return next;
        },
      },
      app: {
        version: async () => opts.appVersion ?? 'dev',
        openExternal: async ({ url }) => {
          const parsed = safeExternalUrl(url);
          if (!opts.openExternal) throw new TesseraError('INVALID_INPUT', 'Opening links is not available here');
          // electronegativity: OPEN_EXTERNAL_JS_CHECK: `parsed` passed safeExternalUrl (http(s) only, no credentials).
          await opts.openExternal(parsed);
        },
      },
    };
  }
}

export function profileSummary(profile: ProfileFile): ProfileSummary {
  const id = { signPublicKey: fromBase64Url(profile.identity.signPublicKey), boxPublicKey: fromBase64Url(profile.identity.boxPublicKey) };
  return {
    name: profile.name,
    memberId: profile.identity.memberId,
    fingerprint: formatFingerprint(fingerprint(id)),
    unlockMethods: { keychain: profile.unlock.keychain, passphrase: Boolean(profile.unlock.passphrase) },
  };
}

/** Only plain web links leave the app: no file:, javascript:, custom schemes or credentials. */
export function safeExternalUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TesseraError('INVALID_INPUT', 'Not a valid link');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || !url.hostname) {
    throw new TesseraError('INVALID_INPUT', 'Only http and https links can be opened');
  }
  return url;
}
