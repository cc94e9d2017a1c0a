/**
 * How the relay says no to a write over quota: which quota, its size, and where the vault or
 * key stands, so an operator reading a client's error knows which flag to raise.
 */
import { RelayFailure } from './access';
import type { OverQuota } from './storage';

export function quotaFailure(over: OverQuota): RelayFailure {
  const where = over.quota === 'vault' ? 'this vault holds' : 'changes signed by this key take';
  const quota = over.quota === 'vault' ? 'vault quota' : 'key quota';
  const per = over.quota === 'vault' ? 'per vault' : 'per key, across its vaults';
  return new RelayFailure(
    'QUOTA_EXCEEDED',
    `Over the relay's ${quota} of ${over.limit} bytes ${per}: ${where} ${over.used} bytes, and this needs ${over.adding} more`,
  );
}
