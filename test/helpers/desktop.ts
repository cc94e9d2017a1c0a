/**
 * A desktop app (the services behind the window, no Electron) with a fresh profile and a
 * relay in this process, every call through dispatch() as the renderer sends it. For tests
 * of the API's domains; `close()` locks and stops both.
 */
import type { Method } from '../../src-shared/api/methods';
import { collectingAuditSink } from '../../src-main/audit/audit-sink';
import { MemoryClipboard } from '../../src-main/desktop/clipboard-service';
import { Desktop } from '../../src-main/desktop/desktop';
import { dispatch } from '../../src-main/desktop/dispatch';
import { createMemoryKeychain } from '../../src-main/keychain/memory-keychain';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { startTestRelay } from './relay-client';
import { tempHome } from './temp-home';

export async function desktopOnRelay() {
  const relay = await startTestRelay();
  const audit = collectingAuditSink();
  const desktop = new Desktop({ home: await tempHome(), suite: nodeSuite, keychain: createMemoryKeychain(), clipboard: new MemoryClipboard(), auditFor: async () => audit });
  await desktop.start();
  const call = async <T = unknown>(method: Method, payload?: unknown): Promise<T> => {
    const reply = await dispatch(desktop, method, payload);
    if (!reply.ok) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
    return reply.value as T;
  };
  const close = async () => {
    await desktop.lock('quit');
    await relay.close();
  };
  return { relay, audit, desktop, call, close };
}
