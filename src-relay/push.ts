/**
 * Deciding whether to accept a pushed envelope. The relay cannot read an envelope, but the
 * signature binds its vault, scope, epoch, author and place in the author's hash chain, so it
 * can refuse forgeries, replays, gaps and forks before anyone else sees them.
 *
 * checkPush needs no scope state (decode, membership, write right, signature); applyPush runs
 * under the scope's lock, so the chain checks and the write see one consistent head.
 */
import { nodeSuite } from '../src-main/crypto/node-suite';
import { equalBytes } from '../src-shared/crypto/bytes';
import { decodeEnvelope, envelopeHash, verifyEnvelopeAsync, ZERO_HASH, type Envelope } from '../src-shared/envelope/envelope';
import { isTesseraError } from '../src-shared/errors';
import { canWrite, isMember, RelayFailure } from './access';
import type { RelayStorage } from './storage';

export type PushOutcome =
  /** A new update, stored under `seq`: deliver it to the vault's subscribers. */
  | { readonly kind: 'stored'; readonly envelope: Envelope; readonly seq: number }
  /** The same bytes again (an ack was lost): answer with the original seq, deliver nothing. */
  | { readonly kind: 'duplicate'; readonly envelope: Envelope; readonly seq: number }
  /** A snapshot (stored, or older than the one kept): not delivered live, subscribers have its changes. */
  | { readonly kind: 'snapshot'; readonly envelope: Envelope; readonly seq: number };

// Another relay process sharing the database can move a head between the checks and the
// write; a few rounds settle it, more would mean something is wrong.
const APPEND_ATTEMPTS = 3;

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
  if (!(await isMember(storage, env.vaultId, pusher))) throw new RelayFailure('NOT_A_MEMBER', 'Your key is not a member of this vault');
  if (!(await canWrite(storage, env.vaultId, env.author, env.scopeId))) {
    throw new RelayFailure('NO_WRITE_ACCESS', "The envelope's author may not write this scope");
  }
  // On node:crypto's thread pool: a snapshot can be megabytes, and other sockets are waiting.
  if (!(await verifyEnvelopeAsync(nodeSuite, env))) throw new RelayFailure('BAD_SIGNATURE', "The envelope's signature does not verify");
  return env;
}

/** The chain and epoch checks, then the durable write. Call under the scope's lock. */
export async function applyPush(storage: RelayStorage, env: Envelope): Promise<PushOutcome> {
  return env.kind === 'snapshot' ? applySnapshot(storage, env) : applyUpdate(storage, env);
}

async function applyUpdate(storage: RelayStorage, env: Envelope): Promise<PushOutcome> {
  const hash = envelopeHash(env.bytes);
  for (let attempt = 0; attempt < APPEND_ATTEMPTS; attempt++) {
    const head = await storage.chainHead(env.vaultId, env.scopeId, env.author);
    const headCounter = head?.counter ?? 0;
    if (env.counter <= headCounter) {
      // Checked before the epoch: a re-push after a lost ack must be acked even if the
      // scope's key has been rotated since.
      if (head && env.counter === head.counter && equalBytes(hash, head.hash)) return { kind: 'duplicate', envelope: env, seq: head.seq };
      const earlier = await storage.findUpdate(env.vaultId, env.scopeId, env.author, env.counter);
      if (earlier && equalBytes(hash, earlier.hash)) return { kind: 'duplicate', envelope: env, seq: earlier.seq };
      throw new RelayFailure('REPLAY', `Counter ${env.counter} of this author was already used in this scope`);
    }
    const scope = await storage.scope(env.vaultId, env.scopeId);
    if (scope && env.epoch !== scope.epoch) throw new RelayFailure('STALE_EPOCH', `The scope is at epoch ${scope.epoch}, not ${env.epoch}`);
    if (env.counter > headCounter + 1) throw new RelayFailure('COUNTER_GAP', `Expected counter ${headCounter + 1}, got ${env.counter}`);
    if (!equalBytes(env.prevHash, head?.hash ?? ZERO_HASH)) {
      throw new RelayFailure('CHAIN_MISMATCH', "The envelope does not follow the author's previous one");
    }
    const result = await storage.appendUpdate({
      vaultId: env.vaultId,
      scopeId: env.scopeId,
      author: env.author,
      counter: env.counter,
      epoch: env.epoch,
      hash,
      bytes: env.bytes,
    });
    if (result.ok) return { kind: 'stored', envelope: env, seq: result.seq };
  }
  throw new RelayFailure('INTERNAL', 'The scope kept changing; try again');
}

async function applySnapshot(storage: RelayStorage, env: Envelope): Promise<PushOutcome> {
  const scope = await storage.scope(env.vaultId, env.scopeId);
  if (!scope || env.covers < 1 || env.covers > scope.lastSeq) {
    throw new RelayFailure('BAD_ENVELOPE', `A snapshot must cover 1..${scope?.lastSeq ?? 0}, not ${env.covers}`);
  }
  if (env.epoch !== scope.epoch) throw new RelayFailure('STALE_EPOCH', `The scope is at epoch ${scope.epoch}, not ${env.epoch}`);
  // The relay cannot check that the snapshot really holds what it claims to cover; a writer
  // could prune others' changes with a hollow one. Clients verify what they apply.
  await storage.putSnapshot(env.vaultId, env.scopeId, env.covers, env.bytes);
  return { kind: 'snapshot', envelope: env, seq: env.covers };
}
