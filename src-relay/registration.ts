/**
 * Registering a vault: the one request that makes the relay keep something for a key nobody
 * has vouched for. So it is limited twice: the vaults one key may own (counted in the
 * database, in the transaction that creates the vault), and how fast one address may create
 * vaults (a token bucket per address, in memory: keys are free to make, addresses are not).
 * Registering a vault again, as the creator's clients do on every sync, creates nothing and
 * counts toward neither.
 */
import { equalBytes } from '../src-shared/crypto/bytes';
import { RelayFailure } from './access';
import { LruMap } from './lru';
import { TokenBucket, type RelayLimits } from './limits';
import type { RelayStorage } from './storage';

// Addresses whose registrations are tracked. Forgetting the least recent gives it a full
// bucket again, which any address it does not know starts with anyway: the bound costs
// nothing an attacker with that many addresses did not already have.
const TRACKED_ADDRESSES = 10_000;

type Limits = Pick<RelayLimits, 'maxVaultsPerKey' | 'registrationsPerHour' | 'maxVaultBytes' | 'maxKeyBytes'>;

export class Registrations {
  private readonly buckets = new LruMap<string, TokenBucket>(TRACKED_ADDRESSES);

  constructor(
    private readonly storage: RelayStorage,
    private readonly limits: Limits,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Creates the vault for `key` (with the membership log `genesis` starts, if any), or accepts
   * the same registration again. Throws RelayFailure: MEMBERSHIP_REFUSED, VAULT_EXISTS,
   * REGISTRATION_LIMITED, QUOTA_EXCEEDED.
   */
  async register(key: Uint8Array, address: string, vaultId: Uint8Array, genesis?: Uint8Array): Promise<void> {
    const { memberships } = this.storage;
    const checked = genesis && memberships.checkGenesis(vaultId, key, genesis);
    // The vault's owner is settled before its log: a stranger's genesis for somebody else's
    // vault (one registered before sharing) must never be stored.
    let vault = await this.storage.getVault(vaultId);
    if (!vault) {
      if (!this.bucket(address).take()) {
        throw new RelayFailure('REGISTRATION_LIMITED', `This address has registered ${this.limits.registrationsPerHour} vaults within an hour, the most this relay allows; try again later`);
      }
      const created = await this.storage.createVault(vaultId, key, Date.now(), this.limits.maxVaultsPerKey);
      if (!created.ok) throw new RelayFailure('REGISTRATION_LIMITED', `This key has registered ${created.limit} vaults, the most this relay allows one key`);
      vault = created.vault;
    }
    if (!equalBytes(vault.owner, key)) throw new RelayFailure('VAULT_EXISTS', 'This vault id is registered by another key');
    if (checked) await memberships.register(vaultId, checked, this.limits);
  }

  private bucket(address: string): TokenBucket {
    const group = addressGroup(address);
    let bucket = this.buckets.get(group);
    if (!bucket) {
      const perHour = this.limits.registrationsPerHour;
      bucket = new TokenBucket(perHour / 3600, perHour, this.now);
      this.buckets.set(group, bucket);
    }
    return bucket;
  }
}

/**
 * The unit one client is counted by: an IPv4 address, or an IPv6 /64 (a home or a server is
 * usually handed a whole /64, and would otherwise have 2^64 fresh buckets).
 */
export function addressGroup(address: string): string {
  const bare = address.split('%')[0]!; // a link-local zone
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return mapped[1]!;
  if (!bare.includes(':')) return bare;
  const [head = '', tail] = bare.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const front = groups(head);
  const back = groups(tail);
  const all = tail === undefined ? front : [...front, ...Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0'), ...back];
  return `${all
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}
