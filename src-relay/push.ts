/**
 * Deciding whether to accept a pushed envelope. The relay cannot read an envelope, but the
 * signature binds its vault, scope, epoch, author and place in the author's hash chain, so it
 * can refuse forgeries, replays, gaps and forks before anyone else sees them.
 *
 * checkPush needs no scope state (decode, membership, write right, signature), so it may run
 * for many pushes at once. applyRound is the scope-ordered part, run by one writer at a time
 * (writer.ts): it checks a run of pushes' chains and epochs against the heads as the earlier
 * pushes of the run leave them, and stores the accepted ones in one transaction.
 */
import { nodeSuite } from '../src-node/crypto/node-suite';
import { equalBytes, toHex } from '../src-shared/crypto/bytes';
import { decodeEnvelope, envelopeHash, verifyEnvelopeAsync, ZERO_HASH, type Envelope } from '../src-shared/envelope/envelope';
import { isTesseraError } from '../src-shared/errors';
import { isAccessScope } from '../src-shared/membership/access-log';
import { assertMember, canWrite, RelayFailure } from './access';
import { checkAuthorAtHead } from './authorship';
import { quotaFailure } from './quota';
import type { ChainHead, NewUpdate, Quotas, RelayStorage } from './storage';

export type PushOutcome =
  /** A new update, stored under `seq`: deliver it to the vault's subscribers. */
  | { readonly kind: 'stored'; readonly envelope: Envelope; readonly seq: number }
  /** The same bytes again (an ack was lost): answer with the original seq, deliver nothing. */
  | { readonly kind: 'duplicate'; readonly envelope: Envelope; readonly seq: number }
  /** A snapshot (stored, or older than the one kept): not delivered live, subscribers have its changes. */
  | { readonly kind: 'snapshot'; readonly envelope: Envelope; readonly seq: number };

export type RoundResult =
  | { readonly kind: 'done'; readonly outcome: PushOutcome }
  /** A RelayFailure for an `error` answer, or whatever else went wrong (answered INTERNAL). */
  | { readonly kind: 'refused'; readonly error: unknown }
  /** Another relay process sharing the database moved a head between the checks and the write. */
  | { readonly kind: 'again' };

/** The checks that do not depend on the scope's state. Throws RelayFailure. */
export async function checkPush(storage: RelayStorage, pusher: Uint8Array, bytes: Uint8Array): Promise<Envelope> {
  let env: Envelope;
  try {
    env = decodeEnvelope(bytes);
  } catch (e) {
    if (isTesseraError(e)) throw new RelayFailure('BAD_ENVELOPE', e.message);
    throw e;
  }
  if (!(await storage.getVault(env.vaultId))) throw new RelayFailure('UNKNOWN_VAULT', 'No such vault on this relay');
  await assertMember(storage, env.vaultId, pusher);
  if (!(await canWrite(storage, env.vaultId, env.author, env.scopeId))) {
    throw new RelayFailure('NO_WRITE_ACCESS', "The envelope's author may not write this scope");
  }
  // On node:crypto's thread pool: a snapshot can be megabytes, and other sockets are waiting.
  if (!(await verifyEnvelopeAsync(nodeSuite, env))) throw new RelayFailure('BAD_SIGNATURE', "The envelope's signature does not verify");
  await checkAuthorAtHead(storage, env);
  return env;
}

/**
 * Settles the longest prefix of `envs` (checked envelopes, in the order their sockets sent
 * them) that fits one transaction: a snapshot on its own, or a run of updates. Returns one
 * result per envelope of that prefix, in order; the caller hands the rest to the next round.
 */
export async function applyRound(storage: RelayStorage, envs: readonly Envelope[], quotas: Quotas): Promise<RoundResult[]> {
  const first = envs[0];
  if (!first) return [];
  if (first.kind === 'snapshot') {
    try {
      return [{ kind: 'done', outcome: await applySnapshot(storage, first, quotas) }];
    } catch (error) {
      return [{ kind: 'refused', error }];
    }
  }
  return appendRun(storage, envs, quotas);
}

/** A verdict that rests on an update of this run, not yet committed: judge it next round. */
class Uncommitted extends Error {}

interface Head extends ChainHead {
  /** Moved by an update of this run, not yet committed (its seq is not known yet). */
  readonly planned: boolean;
}

/** The heads and epochs a run checks against: as stored, moved by the run's earlier updates. */
class RunView {
  private readonly heads = new Map<string, Head | undefined>();
  private readonly epochs = new Map<string, { readonly epoch: number; readonly planned: boolean } | undefined>();

  constructor(private readonly storage: RelayStorage) {}

  async head(env: Envelope): Promise<Head | undefined> {
    const key = headKey(env);
    if (!this.heads.has(key)) {
      const head = await this.storage.chainHead(env.vaultId, env.scopeId, env.author);
      this.heads.set(key, head && { ...head, planned: false });
    }
    return this.heads.get(key);
  }

  async epoch(env: Envelope): Promise<{ readonly epoch: number; readonly planned: boolean } | undefined> {
    const key = scopeKey(env);
    if (!this.epochs.has(key)) this.epochs.set(key, await currentEpoch(this.storage, env));
    return this.epochs.get(key);
  }

  /** The run will store `env`: later updates of the run see it as their author's head. */
  plan(env: Envelope, hash: Uint8Array): void {
    this.heads.set(headKey(env), { counter: env.counter, hash, seq: 0, planned: true });
    const key = scopeKey(env);
    if (!this.epochs.get(key)) this.epochs.set(key, { epoch: env.epoch, planned: true });
  }
}

const scopeKey = (env: Envelope) => toHex(env.vaultId) + toHex(env.scopeId);
const headKey = (env: Envelope) => scopeKey(env) + toHex(env.author);

/**
 * Checks the updates at the front of `envs` in order, then stores the accepted ones in one
 * transaction. The run ends before a snapshot (it needs the scope's committed last seq) and
 * before an update whose refusal or duplicate verdict would rest on an update of the run: if
 * the commit refused that one, the verdict would be wrong, so it waits for the next round.
 */
async function appendRun(storage: RelayStorage, envs: readonly Envelope[], quotas: Quotas): Promise<RoundResult[]> {
  const view = new RunView(storage);
  const results: RoundResult[] = [];
  const planned: { readonly at: number; readonly env: Envelope; readonly update: NewUpdate }[] = [];
  for (const env of envs) {
    if (env.kind !== 'update') break;
    try {
      const verdict = await checkChain(storage, view, env);
      if (verdict.kind === 'duplicate') {
        results.push({ kind: 'done', outcome: verdict });
        continue;
      }
      const { update } = verdict;
      view.plan(env, update.hash);
      planned.push({ at: results.length, env, update });
      results.push({ kind: 'again' }); // settled below, after the commit
    } catch (error) {
      if (error instanceof Uncommitted) break;
      results.push({ kind: 'refused', error });
    }
  }
  if (planned.length === 0) return results;
  let appended;
  try {
    appended = await storage.appendUpdates(planned.map((p) => p.update), quotas);
  } catch (error) {
    for (const p of planned) results[p.at] = { kind: 'refused', error };
    return results;
  }
  planned.forEach((p, i) => {
    const r = appended[i];
    if (r?.ok) results[p.at] = { kind: 'done', outcome: { kind: 'stored', envelope: p.env, seq: r.seq } };
    else if (r?.over) results[p.at] = { kind: 'refused', error: quotaFailure(r.over) };
  });
  return results;
}

/** Any verdict but "store it" must rest on committed heads and epochs only. */
function onlyIfCommitted(planned: boolean): void {
  if (planned) throw new Uncommitted();
}

/** The chain and epoch checks of one update: a duplicate to ack, or the update to store. Throws RelayFailure. */
async function checkChain(storage: RelayStorage, view: RunView, env: Envelope): Promise<Extract<PushOutcome, { kind: 'duplicate' }> | { kind: 'append'; update: NewUpdate }> {
  const hash = envelopeHash(env.bytes);
  const head = await view.head(env);
  const headPlanned = head?.planned ?? false;
  const headCounter = head?.counter ?? 0;
  if (env.counter <= headCounter) {
    onlyIfCommitted(headPlanned);
    // Checked before the epoch: a re-push after a lost ack must be acked even if the
    // scope's key has been rotated since.
    if (head && env.counter === head.counter && equalBytes(hash, head.hash)) return { kind: 'duplicate', envelope: env, seq: head.seq };
    const earlier = await storage.findUpdate(env.vaultId, env.scopeId, env.author, env.counter);
    if (earlier && equalBytes(hash, earlier.hash)) return { kind: 'duplicate', envelope: env, seq: earlier.seq };
    throw new RelayFailure('REPLAY', `Counter ${env.counter} of this author was already used in this scope`);
  }
  const scope = await view.epoch(env);
  if (scope && env.epoch !== scope.epoch) {
    onlyIfCommitted(scope.planned);
    throw new RelayFailure('STALE_EPOCH', `The scope is at epoch ${scope.epoch}, not ${env.epoch}`);
  }
  if (env.counter > headCounter + 1) {
    onlyIfCommitted(headPlanned);
    throw new RelayFailure('COUNTER_GAP', `Expected counter ${headCounter + 1}, got ${env.counter}`);
  }
  if (!equalBytes(env.prevHash, head?.hash ?? ZERO_HASH)) {
    onlyIfCommitted(headPlanned);
    throw new RelayFailure('CHAIN_MISMATCH', "The envelope does not follow the author's previous one");
  }
  const update = { vaultId: env.vaultId, scopeId: env.scopeId, author: env.author, counter: env.counter, epoch: env.epoch, hash, bytes: env.bytes };
  return { kind: 'append', update };
}

/**
 * The scope's current epoch: from the vault's membership log where it has one (rotations
 * raise it there), else the epoch of the scope's first envelope (a vault from before sharing).
 */
async function currentEpoch(storage: RelayStorage, env: Envelope): Promise<{ readonly epoch: number; readonly planned: false } | undefined> {
  const state = await storage.memberships.state(env.vaultId);
  // The access log is sealed under a key from the metadata key, so it moves with its epoch.
  if (state && isAccessScope(env.vaultId, env.scopeId)) return { epoch: state.epochs.get(state.metaScope) ?? 1, planned: false };
  const logged = state?.epochs.get(toHex(env.scopeId));
  if (logged !== undefined) return { epoch: logged, planned: false };
  const scope = await storage.scope(env.vaultId, env.scopeId);
  return scope && { epoch: scope.epoch, planned: false };
}

async function applySnapshot(storage: RelayStorage, env: Envelope, quotas: Quotas): Promise<PushOutcome> {
  // A snapshot prunes what it covers: in the access log it would let one member erase others' reports.
  if (isAccessScope(env.vaultId, env.scopeId)) throw new RelayFailure('BAD_ENVELOPE', 'The access log takes no snapshots');
  const scope = await storage.scope(env.vaultId, env.scopeId);
  if (!scope || env.covers < 1 || env.covers > scope.lastSeq) {
    throw new RelayFailure('BAD_ENVELOPE', `A snapshot must cover 1..${scope?.lastSeq ?? 0}, not ${env.covers}`);
  }
  const epoch = (await currentEpoch(storage, env))!.epoch;
  if (env.epoch !== epoch) throw new RelayFailure('STALE_EPOCH', `The scope is at epoch ${epoch}, not ${env.epoch}`);
  // The relay cannot check that the snapshot really holds what it claims to cover; a writer
  // could prune others' changes with a hollow one. Clients verify what they apply.
  const put = await storage.putSnapshot({ vaultId: env.vaultId, scopeId: env.scopeId, author: env.author, covers: env.covers, bytes: env.bytes }, quotas);
  if (!put.ok) throw quotaFailure(put.over);
  return { kind: 'snapshot', envelope: env, seq: env.covers };
}
