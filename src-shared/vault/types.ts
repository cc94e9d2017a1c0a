/** What a vault holds, in the user's words. Identifiers are lowercase hex. */

export type SecretStatus = 'active' | 'retired' | 'deleted';

export interface RotationPolicy {
  /** Rotate every N days. */
  readonly intervalDays?: number;
  /** Explicitly recorded last rotation (ms since epoch); otherwise the latest version's time. */
  readonly lastRotatedAt?: number;
  /**
   * When lastRotatedAt was recorded: a value written after that supersedes it. (Without it,
   * as from older clients, the later of the two counts.)
   */
  readonly lastRotatedRecordedAt?: number;
  /** The provider's expiry for the current value (ms since epoch). */
  readonly expiresAt?: number;
}

/**
 * A command that prints a new value for the secret on stdout (it calls the provider's API,
 * say). Run without a shell, as argv; it is code that runs on whoever rotates, so each
 * device asks before running a command it has not run before.
 */
export interface CommandRotatorConfig {
  readonly command: readonly string[];
  readonly timeoutSeconds?: number;
}

/**
 * A rotator built into Tessera (src-main/rotation/builtin): it changes the credential at the
 * provider itself, with an admin credential that is another secret of the same vault and
 * environment. It runs no code from the vault, only Tessera's own.
 */
export interface BuiltinRotatorConfig {
  /** The provider module, e.g. 'postgres'. */
  readonly builtin: string;
  /** The name of the secret holding the admin credential (read in the environment being rotated). */
  readonly admin: string;
  /** The provider's account the secret belongs to (PostgreSQL: the group role of the two login roles). */
  readonly role: string;
  /** The environments it rotates in (others have no rotator). */
  readonly environments: readonly string[];
  /** How long the replaced credential keeps working when a rotation does not say (seconds). */
  readonly graceSeconds?: number;
}

export type RotatorConfig = CommandRotatorConfig | BuiltinRotatorConfig;

export function isBuiltinRotator(r: RotatorConfig): r is BuiltinRotatorConfig {
  return 'builtin' in r;
}

/** Rotation intervals that apply where a secret has none of its own. */
export interface RotationDefaults {
  /** For every environment of the vault. */
  readonly vault?: number;
  /** By environment id; wins over the vault's. */
  readonly environments: ReadonlyMap<string, number>;
}

/** The fields a metadata edit may set. */
export interface SecretFields {
  readonly name?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly service?: string;
  readonly owner?: string;
  readonly status?: SecretStatus;
  readonly rotation?: RotationPolicy;
  /** null removes it. */
  readonly rotator?: RotatorConfig | null;
}

export interface SecretMeta {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly service: string;
  readonly owner: string;
  readonly status: SecretStatus;
  readonly rotation: RotationPolicy;
  readonly rotator?: RotatorConfig;
  readonly createdAt: number;
  readonly createdBy: string;
  /** Last metadata edit (value changes are per environment: see SecretVersion). */
  readonly updatedAt: number;
  readonly updatedBy: string;
}

export interface SecretVersion {
  readonly id: string;
  readonly secretId: string;
  /** 1, 2, 3… per secret and environment; two devices writing at once may share a number. */
  readonly n: number;
  readonly value: string;
  readonly at: number;
  readonly by: string;
  readonly note: string;
}

export interface Environment {
  readonly id: string;
  readonly name: string;
  readonly order: number;
  readonly createdAt: number;
}

export interface VaultInfo {
  readonly name: string;
  readonly createdAt: number;
  readonly createdBy: string;
}

export interface Author {
  /** The member id (see identity) of whoever makes the change. */
  readonly by: string;
  /** Milliseconds since the epoch, from the caller's clock. */
  readonly at: number;
}

export const DEFAULT_ENVIRONMENTS = ['development', 'staging', 'production'] as const;

/** What a removed member could decrypt when removed: each should be rotated at its provider. */
export interface Exposure {
  readonly member: string;
  readonly fingerprint: string;
  readonly removedAt: number;
  readonly removedBy: string;
  readonly items: readonly { readonly secretId: string; readonly name: string; readonly environment: string; readonly lastRotatedAt: number }[];
}
