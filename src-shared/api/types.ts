/**
 * What the desktop UI sees of the vault: plain data, never keys, and values only from the
 * two calls that exist to show one (secrets.reveal) or put one on the clipboard (which main
 * does itself: the renderer never receives a copied value).
 *
 * The same API is served by the Electron main process over IPC (preload) and, in end-to-end
 * tests, by a test host over a loopback WebSocket; both validate every request against
 * schemas.ts and answer errors with a code (ApiError).
 */
import type { RotationStatus } from '../rotation/schedule';
import type { z } from 'zod';
import type { AuditEvent } from '../audit/events';
import type { ErrorCode } from '../errors';
import type { requestSchemas } from './schemas';

export type Role = 'owner' | 'admin' | 'editor' | 'viewer';
export type Theme = 'system' | 'light' | 'dark';
export type SecretStatus = 'active' | 'retired' | 'deleted';
export type RotationState = 'ok' | 'due' | 'overdue' | 'expiring' | 'expired' | 'none';

export interface ProfileSummary {
  readonly name: string;
  readonly memberId: string;
  /** The safety number teammates compare (groups of digits). */
  readonly fingerprint: string;
  readonly unlockMethods: { readonly keychain: boolean; readonly passphrase: boolean };
}

export type LockReason = 'manual' | 'idle' | 'suspend' | 'screen-lock' | 'quit';

export interface SessionStatus {
  readonly state: 'no-profile' | 'locked' | 'unlocked';
  /** Present once a profile exists. */
  readonly profile?: ProfileSummary;
  /** When the idle timer will lock, ms since epoch (unlocked only; null when disabled). */
  readonly locksAt?: number | null;
}

export interface EnvironmentSummary {
  readonly name: string;
  /** This profile holds the key for its values. */
  readonly readable: boolean;
}

export interface VaultSummary {
  readonly id: string;
  readonly name: string;
  readonly environments: readonly EnvironmentSummary[];
  readonly secrets: number;
  readonly role: Role | null;
  readonly members: number;
  readonly relay: string | null;
  /** Set when the vault could not be opened: an error code such as TAMPERED. */
  readonly error?: ErrorCode | string;
}

export interface SecretSummary {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly status: SecretStatus;
  /** Environments where this profile can see a value. */
  readonly environments: readonly string[];
  readonly updatedAt: number;
  readonly updatedBy: string;
  readonly rotation: RotationState;
}

export interface EnvironmentValueInfo {
  readonly environment: string;
  readonly readable: boolean;
  /** The current version, without its value; null when the environment has none. */
  readonly current: VersionInfo | null;
}

export interface VersionInfo {
  readonly n: number;
  readonly at: number;
  /** Member id, and the display name when known. */
  readonly by: string;
  readonly byName: string;
  readonly note: string;
  /** What the version still means at the provider (history only). */
  readonly standing?:
    | { readonly state: 'current' }
    | { readonly state: 'valid'; readonly until: number }
    | { readonly state: 'revoked'; readonly since: number }
    | { readonly state: 'replaced'; readonly since: number };
}

export interface SecretDetail extends SecretSummary {
  readonly createdAt: number;
  readonly createdBy: string;
  readonly values: readonly EnvironmentValueInfo[];
  /** The secret's own policy, as the editor shows it (an environment's default is not here). */
  readonly policy: { readonly intervalDays?: number; readonly expiresAt?: number; readonly lastRotatedAt?: number };
  /** Per environment with a value this profile reads: when it was last rotated, and what is due. */
  readonly rotations: readonly EnvironmentRotation[];
  /** What rotates it: a command (set from the CLI; its program's name) or a built-in rotator. */
  readonly rotator?: RotatorInfo;
}

export type RotatorInfo =
  | { readonly kind: 'command'; readonly program: string }
  | { readonly kind: 'builtin'; readonly builtin: string; readonly admin: string; readonly role: string; readonly environments: readonly string[]; readonly graceSeconds?: number };

/** One environment's schedule, by the same rule as the list and Health (the value's age counts). */
export interface EnvironmentRotation extends RotationStatus {
  readonly environment: string;
  readonly lastRotatedAt: number;
}

/**
 * What importing a .env text would do, by key: new in that environment, or already set
 * there. Whether an existing value differs is not said: that would let anyone at an
 * unlocked app test guesses of a value with no reveal recorded. The import (audited)
 * reports it after the fact.
 */
export interface ImportPreview {
  readonly added: readonly string[];
  readonly existing: readonly string[];
}

/** The formats another tool's export may be in (`tessera import --from`). */
export const IMPORT_FORMATS = [
  'dotenv',
  'dotenvx',
  'kdbx',
  'keepassxc-csv',
  'bitwarden-json',
  '1pux',
  '1password-csv',
  'infisical-json',
  'infisical-csv',
  'doppler-json',
  'doppler-csv',
  'csv',
] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/**
 * What importing another tool's export would do. Unlike ImportPreview it compares values
 * (updated / unchanged), so main records the preview in the audit log as the CLI's does.
 */
export interface ImportFilePlan {
  /** The format read: the one chosen, or the one detected from the file. */
  readonly format: ImportFormat;
  readonly added: readonly string[];
  readonly updated: readonly string[];
  readonly unchanged: readonly string[];
  /** Entries not imported and why (attachments, passkeys, empty values…); never a value. */
  readonly skipped: readonly { readonly index: number; readonly title: string; readonly why: string }[];
}

/** What an import did: keys added, given a new value, or left as they were. */
export interface ImportResult {
  readonly added: readonly string[];
  readonly updated: readonly string[];
  readonly unchanged: readonly string[];
}

export interface MemberInfo {
  readonly memberId: string;
  readonly name: string;
  readonly fingerprint: string;
  readonly role: Role;
  readonly environments: readonly string[];
  readonly you: boolean;
}

export interface InviteCreated {
  readonly code: string;
  readonly expiresAt: number;
}

export interface JoinRequestInfo {
  readonly name: string;
  readonly fingerprint: string;
  readonly role: Role;
  readonly environments: readonly string[];
}

export interface SyncResult {
  readonly sent: number;
  readonly received: number;
}

export interface ClipboardStatus {
  /** A value Tessera copied is on the clipboard. */
  readonly active: boolean;
  /** When it will be cleared (ms since epoch), or null for never. */
  readonly clearsAt: number | null;
  readonly secret?: string;
}

export interface Settings {
  /** Lock after this many idle minutes; 0 = never. */
  readonly autoLockMinutes: number;
  /** Clear a copied value after this many seconds (5–300); null = never. */
  readonly clipboardSeconds: number | null;
  readonly theme: Theme;
  readonly lockOnSuspend: boolean;
}

export interface AuditQuery {
  readonly vault?: string;
  readonly secret?: string;
  readonly action?: string;
  readonly since?: number;
  readonly limit?: number;
}

export interface HealthFinding {
  readonly kind: 'rotation-failed' | 'rotation-overdue' | 'rotation-due' | 'expiring' | 'exposed' | 'reused' | 'weak' | 'stale' | 'leaked';
  readonly vault: string;
  readonly secret: string;
  readonly environment?: string;
  readonly message: string;
  /** What to do about it, as the command to run (what `tessera health` prints). */
  readonly fix: string;
  /** The same fix as what the app offers to do (its buttons), in the order offered. */
  readonly actions: readonly HealthAction[];
}

/** Something the app can do about a finding, for the finding's vault and secret. */
export type HealthAction =
  /** A new value for one environment; `generate` is the generator the fix proposes. */
  | { readonly kind: 'rotate'; readonly environment: string; readonly generate?: GenerateSpec }
  /** Edit the rotation policy (interval, expiry). */
  | { readonly kind: 'policy' }
  | { readonly kind: 'retire' }
  /** Show the secret. */
  | { readonly kind: 'open' };

/** A built-in rotator as the setRotator call takes it. */
export type BuiltinRotatorRequest = NonNullable<Req<'secrets', 'setRotator'>['rotator']>;

/** How to generate a value (the rotate call's `generate`, as its schema admits it). */
export type GenerateSpec = NonNullable<Req<'secrets', 'rotate'>['generate']>;

export interface Alert {
  readonly id: string;
  readonly rule: string;
  readonly at: number;
  readonly severity: 'info' | 'warning' | 'critical';
  readonly message: string;
  readonly vault?: string;
  readonly secret?: string;
}

/** A machine token of a vault (its member in the log; the token itself is shown once, at creation). */
export interface TokenInfo {
  readonly name: string;
  readonly memberId: string;
  readonly role: 'viewer' | 'editor';
  readonly environments: string[];
  readonly createdAt: number;
  readonly createdBy: string;
  readonly expiresAt: number | null;
  readonly expired: boolean;
}

/** One of this person's devices (a computer with its own keys), across the vaults they hold. */
export interface DeviceInfo {
  /** "desktop"; "first device" for the profile the person started with. */
  readonly name: string;
  readonly fingerprint: string;
  readonly memberId: string;
  /** When it was linked; null for the first device. */
  readonly addedAt: number | null;
  /** The device that linked it ('' for the first device). */
  readonly addedBy: string;
  readonly you: boolean;
  /** The newest change it signed that this device holds (its clock); null when none. */
  readonly lastSeenAt: number | null;
  readonly vaults: string[];
}

/** A new device that asked to be linked under one of this device's link codes. */
export interface DeviceRequestInfo {
  readonly name: string;
  readonly fingerprint: string;
  /** The vault the two devices meet through. */
  readonly vault: string;
}

/** Pushed from main to the UI. */
export type AppEvent =
  | { readonly type: 'locked'; readonly reason: LockReason }
  | { readonly type: 'unlocked' }
  | { readonly type: 'clipboard'; readonly status: ClipboardStatus }
  | { readonly type: 'vault-changed'; readonly vault: string }
  | { readonly type: 'alert'; readonly alert: Alert }
  | { readonly type: 'progress'; readonly task: string; readonly done: number; readonly total: number };

/**
 * A request as its schema admits it (schemas.ts): the schema is the one definition, so the
 * type the UI sends and what main accepts cannot drift. A type-only import: zod stays out of
 * the renderer's bundle.
 */
type Req<D extends keyof typeof requestSchemas, M extends keyof (typeof requestSchemas)[D]> = z.input<(typeof requestSchemas)[D][M]>;

/** Every call the UI can make. Each domain is one object on `window.tessera`. */
export interface TesseraApi {
  readonly session: {
    status(): Promise<SessionStatus>;
    /** First run: creates the profile; stores the device key in the OS keychain and/or wraps it with a passphrase. */
    setup(req: Req<'session', 'setup'>): Promise<ProfileSummary>;
    unlock(req: Req<'session', 'unlock'>): Promise<ProfileSummary>;
    lock(): Promise<void>;
    /** The user did something: restarts the idle timer. */
    touch(): Promise<void>;
  };
  readonly vaults: {
    list(): Promise<VaultSummary[]>;
    create(req: Req<'vaults', 'create'>): Promise<VaultSummary>;
    sync(req: Req<'vaults', 'sync'>): Promise<SyncResult>;
    setRelay(req: Req<'vaults', 'setRelay'>): Promise<void>;
  };
  readonly secrets: {
    list(req: Req<'secrets', 'list'>): Promise<SecretSummary[]>;
    get(req: Req<'secrets', 'get'>): Promise<SecretDetail>;
    /** The one call that returns a value to the UI; audited. */
    reveal(req: Req<'secrets', 'reveal'>): Promise<{ value: string }>;
    set(req: Req<'secrets', 'set'>): Promise<SecretSummary>;
    update(req: Req<'secrets', 'update'>): Promise<SecretSummary>;
    history(req: Req<'secrets', 'history'>): Promise<VersionInfo[]>;
    remove(req: Req<'secrets', 'remove'>): Promise<void>;
    importPreview(req: Req<'secrets', 'importPreview'>): Promise<ImportPreview>;
    importApply(req: Req<'secrets', 'importApply'>): Promise<ImportResult>;
    /** Another tool's export (format chosen, or detected from the file), previewed; nothing written. */
    importFilePreview(req: Req<'secrets', 'importFilePreview'>): Promise<ImportFilePlan>;
    importFileApply(req: Req<'secrets', 'importFileApply'>): Promise<ImportResult>;
    /** A new value, typed or generated in main (the generated value is not returned: reveal it). */
    rotate(req: Req<'secrets', 'rotate'>): Promise<VersionInfo>;
    /** Saves an earlier version's value as a new version. */
    rollback(req: Req<'secrets', 'rollback'>): Promise<VersionInfo>;
    retire(req: Req<'secrets', 'retire'>): Promise<SecretSummary>;
    restore(req: Req<'secrets', 'restore'>): Promise<SecretSummary>;
    setPolicy(req: Req<'secrets', 'setPolicy'>): Promise<SecretDetail>;
    /** Sets a built-in rotator (checked against its provider first) or removes the rotator. */
    setRotator(req: Req<'secrets', 'setRotator'>): Promise<SecretDetail>;
  };
  readonly clipboard: {
    copy(req: Req<'clipboard', 'copy'>): Promise<ClipboardStatus>;
    clear(): Promise<void>;
    status(): Promise<ClipboardStatus>;
  };
  readonly members: {
    list(req: Req<'members', 'list'>): Promise<MemberInfo[]>;
    invite(req: Req<'members', 'invite'>): Promise<InviteCreated>;
    /** Sends a join request for an invite code; the vault arrives once an admin approves. */
    join(req: Req<'members', 'join'>): Promise<{ fingerprint: string }>;
    /** Picks up vaults whose join requests were approved. */
    completeJoins(): Promise<{ joined: string[]; waiting: number }>;
    pending(req: Req<'members', 'pending'>): Promise<JoinRequestInfo[]>;
    /**
     * Approves the request from `name` whose fingerprint is exactly `fingerprint` (all 12
     * groups, as shown and confirmed by the user); FINGERPRINT_MISMATCH when there is none.
     */
    approve(req: Req<'members', 'approve'>): Promise<MemberInfo>;
    remove(req: Req<'members', 'remove'>): Promise<void>;
  };
  readonly tokens: {
    list(req: Req<'tokens', 'list'>): Promise<TokenInfo[]>;
    /** Makes a machine member; `token` is its secret, returned this once and never again. */
    create(req: Req<'tokens', 'create'>): Promise<{ token: string; info: TokenInfo }>;
    /** A removal: new keys for all it could read. */
    revoke(req: Req<'tokens', 'revoke'>): Promise<void>;
  };
  readonly devices: {
    list(): Promise<DeviceInfo[]>;
    /** A one-time code for a new computer (shown as text and as a QR code), valid for an hour. */
    link(req: Req<'devices', 'link'>): Promise<{ code: string; vault: string; expiresAt: number }>;
    /** New devices waiting for this device's approval, each with the fingerprint to compare. */
    waiting(): Promise<DeviceRequestInfo[]>;
    /** Links the device of that name whose fingerprint is exactly `fingerprint` to every shared vault. */
    approve(req: Req<'devices', 'approve'>): Promise<{ name: string; vaults: string[] }>;
    /** Cuts the device off everywhere (new keys for what it read); this person stays a member. */
    revoke(req: Req<'devices', 'revoke'>): Promise<{ vaults: string[] }>;
  };
  readonly audit: {
    list(req: Req<'audit', 'list'>): Promise<AuditEvent[]>;
    alerts(): Promise<Alert[]>;
    /** CSV or JSON text of the events the query selects, for the user to save. */
    export(req: Req<'audit', 'export'>): Promise<{ text: string }>;
  };
  readonly health: {
    report(req: Req<'health', 'report'>): Promise<HealthFinding[]>;
  };
  readonly settings: {
    get(): Promise<Settings>;
    set(req: Req<'settings', 'set'>): Promise<Settings>;
  };
  readonly app: {
    version(): Promise<string>;
    /** Opens an http(s) URL in the system browser; anything else is refused. */
    openExternal(req: Req<'app', 'openExternal'>): Promise<void>;
  };
}

export type Domain = keyof TesseraApi;
