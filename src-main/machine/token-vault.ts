/**
 * A vault as a machine token reads it: no profile, no keychain, nothing written. It connects
 * to the token's relay, authenticates with the machine's own key, verifies the whole
 * membership log from the genesis the token pins, takes the keys the log wraps to the
 * machine (exactly its environments), fetches only those scopes (the latest snapshot and the
 * changes after it), checks every envelope as a member's device does (signature, seal, and
 * that its author could write it: vaults/admission.ts), and builds the documents in memory.
 */
import * as Y from 'yjs';
import { equalBytes, fromHex, toHex } from '../../src-shared/crypto/bytes';
import { decodeEnvelope, envelopeHash, openVerifiedEnvelope, sealEnvelope, ZERO_HASH, type SigningKey } from '../../src-shared/envelope/envelope';
import { decodeSnapshot } from '../../src-shared/envelope/snapshot';
import { isTesseraError, TesseraError } from '../../src-shared/errors';
import { accessScopeId, accessScopeKey, encodeReport, type AccessReport } from '../../src-shared/membership/access-log';
import { verifyChain } from '../../src-shared/membership/chain';
import { environmentNames, keysFor, type ScopeKeys } from '../../src-shared/membership/keys';
import type { MachineToken } from '../../src-shared/membership/machine-token';
import { currentMember, type Member } from '../../src-shared/membership/state';
import { MetaScope } from '../../src-shared/vault/meta-scope';
import type { Environment } from '../../src-shared/vault/types';
import { ValuesScope } from '../../src-shared/vault/values-scope';
import type { CryptoSuite } from '../../src-shared/crypto/suite';
import type { VaultLog } from '../membership/vault-log';
import { RelayClient, type Delivery } from '../sync/relay-client';
import { admit } from '../vaults/admission';
import { readTokenCache, writeTokenCache } from './token-cache';
import type { EnvironmentScope } from '../vaults/vault';
import type { VaultView } from '../vaults/vault-view';

export interface TokenVaultOptions {
  readonly timeoutMs?: number;
  /** A folder to keep what was fetched in, sealed under the token (token-cache.ts), for the next run. */
  readonly cache?: string;
}

/** What a machine holds while it reads: its keys and the connection, for reporting its use. */
export interface MachineIdentity {
  readonly signingKey: SigningKey;
  readonly boxSecret: Uint8Array;
  readonly member: Member;
}

export class TokenVault implements VaultView {
  private readonly scopes = new Map<string, EnvironmentScope>();

  private constructor(
    readonly id: string,
    readonly meta: MetaScope,
    readonly membership: VaultLog,
    private readonly envs: readonly Environment[],
    values: ReadonlyMap<string, ValuesScope>,
    readonly machine: MachineIdentity,
    /** Envelopes that failed their checks and were left out (never partly applied). */
    readonly rejected: number,
    private readonly suite: CryptoSuite,
    private readonly metaKeys: ReadonlyMap<number, Uint8Array>,
    /** This machine's last report in the team access log, which its next one follows. */
    private accessHead: { counter: number; hash: Uint8Array },
  ) {
    for (const e of envs) {
      const v = values.get(e.id);
      if (v) this.scopes.set(e.id, { environment: e, values: v });
    }
  }

  get name(): string {
    return this.meta.info().name;
  }

  environments(): Environment[] {
    return [...this.envs];
  }

  environmentByName(name: string): Environment | undefined {
    return this.envs.find((e) => e.name === name);
  }

  canRead(environmentName: string): boolean {
    const env = this.environmentByName(environmentName);
    return env !== undefined && this.scopes.has(env.id);
  }

  async environment(name: string): Promise<EnvironmentScope> {
    const env = this.environmentByName(name);
    if (!env) throw new TesseraError('NOT_FOUND', `No environment ${name} in this vault (it has: ${this.envs.map((e) => e.name).join(', ')})`);
    const scope = this.scopes.get(env.id);
    if (!scope) throw new TesseraError('NO_ACCESS', `This token does not read ${name} (it reads: ${this.readable().join(', ')})`);
    return scope;
  }

  /**
   * Tells the vault's owners and admins what this machine read (the team access log: names,
   * never values; sealed to them). Machines report every use, whatever the vault's policy:
   * a token is the credential most likely to be copied.
   */
  async reportUse(client: RelayClient, report: AccessReport): Promise<void> {
    const state = this.membership.state;
    const epoch = state.epochs.get(state.metaScope) ?? 1;
    const metaKey = this.metaKeys.get(epoch);
    if (!metaKey) throw new TesseraError('NO_ACCESS', 'No key for the vault’s current metadata epoch');
    const vaultId = state.vaultId;
    const envelope = sealEnvelope(
      this.suite,
      { kind: 'update', vaultId, scopeId: accessScopeId(vaultId), epoch, counter: this.accessHead.counter + 1, prevHash: this.accessHead.hash, covers: 0, logHead: state.head },
      encodeReport(this.suite, state, report),
      accessScopeKey(metaKey),
      this.machine.signingKey,
    );
    await client.request({ type: 'push', envelope }, 'ack');
    this.accessHead = { counter: this.accessHead.counter + 1, hash: envelopeHash(envelope) };
  }

  /** The environments this token reads. */
  readable(): string[] {
    return this.envs.filter((e) => this.scopes.has(e.id)).map((e) => e.name);
  }

  /**
   * Reads the vault the token names. Throws TOKEN_EXPIRED, NO_ACCESS (revoked: the relay
   * refuses the key), TAMPERED / LOG_FORKED (a log that does not verify from the pinned
   * genesis), RELAY_UNREACHABLE.
   */
  static async read(suite: CryptoSuite, token: MachineToken, opts: TokenVaultOptions = {}): Promise<{ vault: TokenVault; client: RelayClient }> {
    const signingKey = { seed: token.signSeed, publicKey: suite.ed25519.publicKeyFromSeed(token.signSeed) };
    const client = await RelayClient.connect(token.relay, suite, signingKey, opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {});
    try {
      const entries = await fetchLog(client, token.vaultId);
      const state = verifyChain(suite, token.genesisHash, entries);
      const log: VaultLog = { entries, state };
      const member = currentMember(state, signingKey.publicKey);
      if (!member?.machine) throw new TesseraError('NO_ACCESS', 'This token is not a member of its vault any more (revoked)');
      const keys = keysFor(suite, state, entries, { signPublicKey: signingKey.publicKey, boxSecretKey: token.boxSecret });
      const readable = [state.metaScope, ...state.envScopes.filter((s) => member.scopes.has(s))];
      const cached = opts.cache ? await readTokenCache(suite, opts.cache, token) : null;
      const since = new Map(readable.map((s) => [s, cached?.scopes.get(s)?.cursor ?? 0]));
      const delivered = await backfill(client, token.vaultId, readable, since);
      let rejected = 0;
      const docs = new Map<string, Y.Doc>();
      const reached = new Map<string, { cursor: number; state: Uint8Array }>();
      for (const scope of readable) {
        const doc = new Y.Doc();
        const from = cached?.scopes.get(scope);
        if (from) Y.applyUpdate(doc, from.state); // checked when it was fetched; sealed since
        let cursor = from?.cursor ?? 0;
        let clean = true;
        for (const d of (delivered.get(scope) ?? []).sort((a, b) => a.seq - b.seq)) {
          try {
            applyDelivery(suite, log, keys, scope, doc, d);
            if (clean) cursor = Math.max(cursor, d.seq);
          } catch (e) {
            if (!isTesseraError(e)) throw e;
            rejected++; // a relay can drop or alter, never forge: what fails its checks stays out
            clean = false; // and the cache never moves past it
          }
        }
        docs.set(scope, doc);
        if (clean) reached.set(scope, { cursor, state: Y.encodeStateAsUpdate(doc) });
        else if (from) reached.set(scope, from);
      }
      if (opts.cache) await writeTokenCache(suite, opts.cache, token, { scopes: reached });
      const meta = new MetaScope(docs.get(state.metaScope)!);
      const metaKeys = keys.get(state.metaScope) ?? new Map();
      const bound = environmentNames(suite, state, metaKeys);
      const envs: Environment[] = bound
        ? bound.map((b, order) => ({ id: b.scopeId, name: b.name, order, createdAt: 0 }))
        : meta.environments(); // a vault whose owner has not bound the names in the log yet
      const values = new Map([...docs].filter(([s]) => s !== state.metaScope).map(([s, doc]) => [s, new ValuesScope(doc)]));
      const accessHead = ownHead(delivered.get(toHex(accessScopeId(token.vaultId))) ?? [], signingKey.publicKey);
      const vault = new TokenVault(toHex(token.vaultId), meta, log, envs, values, { signingKey, boxSecret: token.boxSecret, member }, rejected, suite, metaKeys, accessHead);
      return { vault, client };
    } catch (e) {
      client.close();
      throw relayRefusal(e);
    }
  }
}

/** The whole membership log, page by page. */
async function fetchLog(client: RelayClient, vaultId: Uint8Array): Promise<Uint8Array[]> {
  const entries: Uint8Array[] = [];
  for (let round = 0; round < 1000; round++) {
    const answer = await client.request({ type: 'log-fetch', vaultId, from: entries.length }, 'log');
    entries.push(...answer.entries);
    if (answer.entries.length === 0 || entries.length >= answer.length) break;
  }
  return entries;
}

/** Everything the relay holds of `scopes` (a snapshot first where it covers more), plus the machine's own access-log chain. */
async function backfill(client: RelayClient, vaultId: Uint8Array, scopes: readonly string[], since: ReadonlyMap<string, number>): Promise<Map<string, Delivery[]>> {
  const out = new Map<string, Delivery[]>();
  client.onDelivery((d) => {
    const scope = toHex(d.scopeId);
    if (!out.has(scope)) out.set(scope, []);
    out.get(scope)!.push(d);
  });
  const cursors = [...scopes.map((s) => ({ scopeId: fromHex(s), since: since.get(s) ?? 0 })), { scopeId: accessScopeId(vaultId), since: 0 }];
  await client.request({ type: 'subscribe', vaultId, cursors }, 'synced');
  return out;
}

function applyDelivery(suite: CryptoSuite, log: VaultLog, keys: ScopeKeys, scope: string, doc: Y.Doc, d: Delivery): void {
  const { envelope, plaintext } = openVerifiedEnvelope(suite, d.envelope, (e) => {
    const key = keys.get(scope)?.get(e.epoch);
    if (!key) throw new TesseraError('NO_ACCESS', `No key for epoch ${e.epoch} of this scope`);
    return key;
  });
  if (toHex(envelope.scopeId) !== scope || toHex(envelope.vaultId) !== toHex(log.state.vaultId)) throw new TesseraError('TAMPERED', 'An envelope of another scope');
  admit(log, scope, envelope, plaintext);
  Y.applyUpdate(doc, envelope.kind === 'snapshot' ? decodeSnapshot(plaintext).state : plaintext);
}

/** Where this key's own chain in a scope ends, from that scope's deliveries. */
function ownHead(deliveries: readonly Delivery[], author: Uint8Array): { counter: number; hash: Uint8Array } {
  let head = { counter: 0, hash: ZERO_HASH as Uint8Array };
  for (const d of deliveries) {
    try {
      const env = decodeEnvelope(d.envelope);
      if (equalBytes(env.author, author) && env.counter > head.counter) head = { counter: env.counter, hash: envelopeHash(d.envelope) };
    } catch {
      // not ours to follow
    }
  }
  return head;
}

/** The relay's refusals in the words a machine's operator needs. */
function relayRefusal(e: unknown): unknown {
  if (!isTesseraError(e, 'RELAY_REJECTED')) return e;
  if (e.details.relayCode === 'TOKEN_EXPIRED') return new TesseraError('TOKEN_EXPIRED', 'This machine token has expired: make a new one (tessera token create)');
  if (e.details.relayCode === 'NOT_A_MEMBER') return new TesseraError('NO_ACCESS', 'The relay refuses this token: it was revoked, or never belonged to this vault');
  return e;
}
