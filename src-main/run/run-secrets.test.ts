import { describe, expect, it } from 'vitest';
import { tempHome } from '../../test/helpers/temp-home';
import { collectingAuditSink } from '../audit/audit-sink';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createMemoryKeychain } from '../keychain/memory-keychain';
import { createProfile } from '../profile/profile';
import { importEntries } from '../vaults/secrets';
import { createVault } from '../vaults/vaults';
import { prepareRun } from './run-secrets';

describe('prepareRun', () => {
  it('hands over live secrets with references expanded, and audits the command and key names only', async () => {
    const session = await createProfile(nodeSuite, await tempHome(), { name: 'Alice', keychain: createMemoryKeychain() });
    const vault = await createVault(session, 'app', ['dev']);
    await importEntries(vault, 'dev', [
      { key: 'HOST', value: 'db.audit-marker.internal' },
      { key: 'URL', value: 'postgres://u:pw-audit-marker@${HOST}/x' },
      { key: 'OLD', value: 'retired-audit-marker' },
    ]);
    await vault.edit((author) => vault.meta.updateSecret(vault.meta.secretByName('OLD')!.id, { status: 'retired' }, author));
    const audit = collectingAuditSink();
    const { secrets } = await prepareRun(vault, 'dev', { command: 'npm', audit });
    expect(secrets).toEqual([
      { key: 'HOST', value: 'db.audit-marker.internal' },
      { key: 'URL', value: 'postgres://u:pw-audit-marker@db.audit-marker.internal/x' },
    ]);
    expect(audit.events).toEqual([{ action: 'run', vaultId: vault.id, vault: 'app', environment: 'dev', secrets: ['HOST', 'URL'], detail: { command: 'npm' } }]);
    expect(JSON.stringify(audit.events)).not.toMatch(/marker/);
    session.lock();
  });
});
