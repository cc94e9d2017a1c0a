/**
 * The desktop app behind its window: one profile, unlocked or locked, its open vaults, the
 * clipboard, the idle lock and the settings. It serves the typed API (src-shared/api) that
 * the Electron main process exposes over IPC and the end-to-end test host over a loopback
 * WebSocket, so everything here runs and is tested without Electron. Each API domain is a
 * module of its own over DesktopContext (desktop-context.ts); this file is the session's
 * lifecycle.
 *
 * Keys live only in the Session; locking wipes them, drops every open vault (and with it
 * the decrypted documents) and clears a copied value from the clipboard.
 */
import type { Alert, AppEvent, LockReason, Settings, TesseraApi } from '../../src-shared/api/types';
import type { CryptoSuite } from '../../src-shared/crypto/suite';
import { isTesseraError, TesseraError } from '../../src-shared/errors';
import { nullAuditSink, type AuditSink } from '../audit/audit-sink';
import { recordTo } from '../audit/session-audit';
import type { Keychain } from '../keychain/keychain';
import type { createProfile, Session } from '../profile/profile';
import type { Vault } from '../vaults/vault';
import { vaultDirectory, type OpenVaults } from '../vaults/vault-directory';
import { appApi } from './app-api';
import { auditApi } from './audit-api';
import { AutoLock } from './auto-lock';
import { ClipboardService, type ClipboardAdapter } from './clipboard-service';
import { systemClock, type Clock } from './clock';
import type { DesktopAudit } from './desktop-audit';
import type { DesktopContext } from './desktop-context';
import { announceDue, namedAlert } from './due-notices';
import { healthApi } from './health-api';
import { membersApi, vaultsApi } from './members-api';
import { secretsApi, clipboardApi } from './secrets-api';
import { sessionApi } from './session-api';
import { settingsApi } from './settings-api';
import { tokensApi } from './tokens-api';
import { devicesApi } from './devices-api';
import { DEFAULT_SETTINGS, readSettings } from './settings';

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

/** Calls that do not count as the user doing something (the UI polls some of them). */
const PASSIVE = new Set(['session.status', 'clipboard.status', 'audit.alerts', 'app.version']);
const HOUR = 3_600_000;

export class Desktop implements DesktopContext {
  private current: Session | null = null;
  private sink: DesktopAudit = nullAuditSink;
  private stopAlerts: (() => void) | null = null;
  /**
   * Reports to whatever log is current: the clipboard's clear on lock is still recorded by
   * the session that copied (it runs before the session is wiped).
   */
  readonly audit: AuditSink = { record: (e) => this.sink.record(e) };
  private dueTimer: unknown = null;
  /** The due check in progress, which lock waits for (it reads vaults with the session's keys). */
  private dueRun: Promise<void> | null = null;
  private prefs: Settings = DEFAULT_SETTINGS;
  private listeners = new Set<(e: AppEvent) => void>();
  readonly clipboard: ClipboardService;
  private readonly autoLock: AutoLock;
  readonly clock: Clock;
  readonly home: string;
  readonly api: TesseraApi;

  constructor(private readonly opts: DesktopOptions) {
    this.clock = opts.clock ?? systemClock;
    this.home = opts.home;
    this.clipboard = new ClipboardService(opts.clipboard, this.audit, (status) => this.emit({ type: 'clipboard', status }), this.clock);
    this.autoLock = new AutoLock((reason) => void this.lock(reason).catch(() => {}), this.clock);
    this.api = {
      session: sessionApi({
        home: opts.home,
        suite: opts.suite,
        keychain: opts.keychain,
        ...(opts.passphraseOptions ? { passphraseOptions: opts.passphraseOptions } : {}),
        current: () => this.current,
        begin: (session, method) => this.begin(session, method),
        lock: (reason) => this.lock(reason),
        locksAt: () => this.autoLock.locksAt(),
        touch: () => this.autoLock.touch(),
        now: () => this.clock.now(),
      }),
      vaults: vaultsApi(this),
      secrets: secretsApi(this),
      clipboard: clipboardApi(this),
      members: membersApi(this),
      tokens: tokensApi(this),
      devices: devicesApi(this),
      audit: auditApi(this),
      health: healthApi(this),
      settings: settingsApi(this),
      app: appApi(opts),
    };
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

  applySettings(next: Settings): void {
    const idleChanged = next.autoLockMinutes !== this.prefs.autoLockMinutes;
    this.prefs = next;
    if (this.current && idleChanged) this.autoLock.start(next.autoLockMinutes);
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

  auditLog(): DesktopAudit {
    return this.sink;
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
    if (this.current) vaultDirectory(this.current).forget();
  }

  /** Every vault of the profile, opened once per unlock and brought up to date on each use. */
  vaults(): Promise<OpenVaults> {
    return vaultDirectory(this.session()).openAll();
  }

  vault(nameOrId: string): Promise<Vault> {
    return vaultDirectory(this.session()).find(nameOrId);
  }

  named(alert: Alert): Alert {
    const session = this.current;
    return session ? namedAlert(alert, session.memberId, vaultDirectory(session).held()) : alert;
  }

  private async begin(session: Session, method: string): Promise<void> {
    this.current = session;
    recordTo(session, this.audit); // what the services do for this session goes to its log
    // Opening the log also records the failed unlocks noted while it could not be written.
    this.sink = this.opts.auditFor ? await this.opts.auditFor(session) : nullAuditSink;
    await this.sink.record({ action: 'unlock', detail: { method } });
    this.stopAlerts = (await this.sink.onAlert?.((alert) => this.emit({ type: 'alert', alert: this.named(alert) }))) ?? null;
    this.autoLock.start(this.prefs.autoLockMinutes);
    this.emit({ type: 'unlocked' });
    this.startDueCheck();
  }

  /** Announces secrets that need rotating now, and again hourly while unlocked (due-notices.ts). */
  private startDueCheck(): void {
    this.dueRun = this.checkDue().catch(() => {});
  }

  async checkDue(): Promise<void> {
    const session = this.current;
    if (!session) return;
    if (this.dueTimer !== null) this.clock.clearTimeout(this.dueTimer);
    this.dueTimer = this.clock.setTimeout(() => this.startDueCheck(), HOUR);
    try {
      const { vaults } = await this.vaults();
      await announceDue(session, vaults, this.clock.now(), (e) => this.emit(e));
    } catch (e) {
      if (!isTesseraError(e)) throw e; // locked meanwhile, or a vault that will not open: next time
    }
  }
}
