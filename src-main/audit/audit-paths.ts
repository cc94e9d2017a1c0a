/** Where a profile's audit log lives. */
import { join } from 'node:path';

export const auditPaths = (home: string) => ({
  dir: join(home, 'audit'),
  log: join(home, 'audit', 'audit.log'),
  head: join(home, 'audit', 'audit.head'),
  lock: join(home, 'audit', 'audit.lock'),
  pending: join(home, 'audit', 'pending.jsonl'),
});
