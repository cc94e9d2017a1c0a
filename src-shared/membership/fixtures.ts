/**
 * People and vaults for the membership tests beside this file. Pure (the suite is passed
 * in), so it type-checks with the rest of src-shared; nothing outside the tests imports it.
 */
import { toHex } from '../crypto/bytes';
import type { PublicIdentity } from '../crypto/identity';
import { KEY_BYTES, SEED_BYTES, type CryptoSuite } from '../crypto/suite';
import type { SigningKey } from '../envelope/envelope';
import { addMember, createGenesis, type BuiltEntry } from './builders';
import { keysFor, type MemberSecrets, type ScopeKeys } from './keys';
import type { MembershipState } from './state';

export interface Person {
  readonly name: string;
  readonly signing: SigningKey;
  readonly boxSecret: Uint8Array;
  readonly identity: PublicIdentity;
  readonly secrets: MemberSecrets;
}

export function person(suite: CryptoSuite, name: string): Person {
  const seed = suite.randomBytes(SEED_BYTES);
  const boxSecret = suite.randomBytes(KEY_BYTES);
  const signPublicKey = suite.ed25519.publicKeyFromSeed(seed);
  const identity = { signPublicKey, boxPublicKey: suite.box.publicKeyFromSecret(boxSecret) };
  return { name, signing: { seed, publicKey: signPublicKey }, boxSecret, identity, secrets: { signPublicKey, boxSecretKey: boxSecret } };
}

/** A log under construction: its entries, its state, and each entry's new keys merged. */
export interface Log {
  readonly entries: Uint8Array[];
  state: MembershipState;
  /** Every key anyone generated (what an omniscient keyring would hold), for assertions. */
  readonly allKeys: ScopeKeys;
}

export function append(log: Log, built: BuiltEntry): Log {
  log.entries.push(built.bytes);
  log.state = built.state;
  mergeKeys(log.allKeys, built.newKeys);
  return log;
}

export function mergeKeys(into: ScopeKeys, from: ScopeKeys): ScopeKeys {
  for (const [scope, epochs] of from) {
    if (!into.has(scope)) into.set(scope, new Map());
    for (const [epoch, key] of epochs) into.get(scope)!.set(epoch, key);
  }
  return into;
}

export interface Vault {
  readonly vaultId: Uint8Array;
  readonly meta: string;
  readonly envs: readonly string[];
  readonly log: Log;
}

/** A vault created by `creator` with a meta scope and `envCount` environments. */
export function newVault(suite: CryptoSuite, creator: Person, envCount: number, at = 1_700_000_000_000): Vault {
  const vaultId = suite.randomBytes(16);
  const meta = toHex(suite.randomBytes(16));
  const envs = Array.from({ length: envCount }, () => toHex(suite.randomBytes(16)));
  const built = createGenesis(suite, creator.signing, { vaultId, metaScope: meta, envScopes: envs, creator: creator.identity, name: creator.name, at });
  const log: Log = { entries: [], state: built.state, allKeys: new Map() };
  return { vaultId, meta, envs, log: append(log, built) };
}

/** `epochs` as a comparable object: scope → sorted epochs. */
export function epochsOf(keys: ScopeKeys): Record<string, number[]> {
  return Object.fromEntries([...keys].map(([s, e]) => [s, [...e.keys()].sort((a, b) => a - b)]));
}

/**
 * The tests' usual vault: Alice (owner) with three environments, Bob an editor of the first
 * two, Carol a viewer of the first. `keysOf` reads a person's keys from the log as it stands.
 */
export function aliceBobCarol(suite: CryptoSuite) {
  const alice = person(suite, 'Alice');
  const bob = person(suite, 'Bob');
  const carol = person(suite, 'Carol');
  const vault = newVault(suite, alice, 3);
  const [dev, staging, prod] = vault.envs as [string, string, string];
  const { log, meta } = vault;
  const keysOf = (p: Person) => keysFor(suite, log.state, log.entries, p.secrets);
  append(log, addMember(suite, log.state, alice.signing, keysOf(alice), { identity: bob.identity, name: 'Bob', role: 'editor', envScopes: [dev, staging] }));
  append(log, addMember(suite, log.state, alice.signing, keysOf(alice), { identity: carol.identity, name: 'Carol', role: 'viewer', envScopes: [dev] }));
  return { alice, bob, carol, log, meta, dev, staging, prod, keysOf, vault };
}
