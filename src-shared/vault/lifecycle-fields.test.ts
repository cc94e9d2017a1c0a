// The fields rotation and the lifecycle added to the documents: grace records, rotators,
// rotation defaults. Old documents stay readable, newer clients' additions do not break
// this one, and replicas agree whatever order the changes arrive in.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MetaScope } from './meta-scope';
import { encodePatch, encodeVersion } from './records';
import { ValuesScope } from './values-scope';

const alice = { by: 'alice', at: 1_000 };

function exchange(a: Y.Doc, b: Y.Doc): void {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
}

describe('values: grace records', () => {
  it('records until when a replaced version stays valid; the latest record wins on every replica', () => {
    const a = new ValuesScope(new Y.Doc());
    const b = new ValuesScope(new Y.Doc());
    const v1 = a.addVersion('v1', 's1', 'old', alice);
    a.addVersion('v2', 's1', 'new', { by: 'alice', at: 2_000 });
    a.setValidUntil('s1', v1.id, 9_000, { by: 'alice', at: 2_000 });
    exchange(a.doc, b.doc);
    expect(b.validUntil(v1.id)).toBe(9_000);
    // Bob ends the grace early (a later record) while Alice's device is offline.
    b.setValidUntil('s1', v1.id, 3_000, { by: 'bob', at: 3_000 });
    exchange(a.doc, b.doc);
    expect([a.validUntil(v1.id), b.validUntil(v1.id)]).toEqual([3_000, 3_000]);
    // Grace records are not versions.
    expect(a.history('s1').map((v) => v.value)).toEqual(['old', 'new']);
    expect(a.currentAt('s1')).toBe(2_000);
  });

  it('purging a secret removes its grace records too', () => {
    const a = new ValuesScope(new Y.Doc());
    a.addVersion('v1', 's1', 'old', alice);
    a.addVersion('v2', 's1', 'new', alice);
    a.setValidUntil('s1', 'v1', 9_000, alice);
    a.addVersion('w1', 's2', 'other', alice);
    expect(a.purge('s1')).toBe(2);
    expect(a.validUntil('v1')).toBeUndefined();
    expect(a.doc.getArray<string>('versions').toArray().some((r) => r.includes(' s1 '))).toBe(false);
    expect(a.current('s2')?.value).toBe('other');
  });

  it('reads a version a newer client wrote with extra tail elements, and skips malformed grace records', () => {
    const doc = new Y.Doc();
    doc.getArray<string>('versions').push([
      `${encodeVersion({ secretId: 's1', n: 1, at: 5, versionId: 'v1' }, 'alice', 'note', 'value').slice(0, -1)},{"future":true}]`,
      'g s1 v1 6 alice {"validUntil":"tomorrow"}',
      'g s1 v1 x alice {"validUntil":7}',
      'z s1 something a future client added',
    ]);
    const values = new ValuesScope(doc);
    expect(values.current('s1')).toMatchObject({ value: 'value', note: 'note', by: 'alice' });
    expect(values.validUntil('v1')).toBeUndefined();
  });
});

describe('meta: rotators and rotation defaults', () => {
  it('keeps a well-formed rotator, drops a malformed one, and clears with null', () => {
    const meta = new MetaScope(new Y.Doc());
    meta.createSecret('s1', { name: 'API_KEY', rotator: { command: ['node', 'rotate.js'], timeoutSeconds: 30 } }, alice);
    expect(meta.secretById('s1')?.rotator).toEqual({ command: ['node', 'rotate.js'], timeoutSeconds: 30 });
    // A hostile or buggy client's patch with a non-argv command is ignored, not applied.
    meta.doc.getArray<string>('secrets').push([encodePatch({ secretId: 's1', clock: 50, at: 2_000, by: 'mallory' }, { rotator: { command: 'rm -rf ~' } })]);
    const reread = new MetaScope(meta.doc);
    expect(reread.secretById('s1')?.rotator).toEqual({ command: ['node', 'rotate.js'], timeoutSeconds: 30 });
    reread.updateSecret('s1', { rotator: null }, { by: 'alice', at: 3_000 });
    expect(reread.secretById('s1')?.rotator).toBeUndefined();
  });

  it('keeps a well-formed built-in rotator (names only) and drops malformed ones', () => {
    const meta = new MetaScope(new Y.Doc());
    const builtin = { builtin: 'postgres', admin: 'PG_ADMIN', role: 'app_user', environments: ['production'], graceSeconds: 3600 };
    meta.createSecret('s1', { name: 'DATABASE_URL', rotator: builtin }, alice);
    expect(meta.secretById('s1')?.rotator).toEqual(builtin);
    let clock = 50;
    for (const bad of [
      { builtin: 'postgres', admin: 'not a name', role: 'app_user', environments: ['production'] },
      { builtin: 'postgres', admin: 'PG_ADMIN', role: '', environments: ['production'] },
      { builtin: 'postgres', admin: 'PG_ADMIN', role: 'app_user', environments: [] },
      { builtin: 'Post Gres', admin: 'PG_ADMIN', role: 'app_user', environments: ['production'] },
    ]) meta.doc.getArray<string>('secrets').push([encodePatch({ secretId: 's1', clock: clock++, at: 2_000, by: 'mallory' }, { rotator: bad })]);
    expect(new MetaScope(meta.doc).secretById('s1')?.rotator).toEqual(builtin);
  });

  it('reads a secret written before rotators existed', () => {
    const doc = new Y.Doc();
    doc.getArray<string>('secrets').push([encodePatch({ secretId: 's1', clock: 1, at: 1, by: 'alice' }, { name: 'OLD', status: 'active', rotation: {} })]);
    const s = new MetaScope(doc).secretById('s1');
    expect(s).toMatchObject({ name: 'OLD', status: 'active', rotation: {} });
    expect(s?.rotator).toBeUndefined();
  });

  it('stores default intervals for the vault and per environment, and converges', () => {
    const a = new MetaScope(new Y.Doc());
    const b = new MetaScope(new Y.Doc());
    a.setRotationDefault(null, 180);
    b.setRotationDefault('env-prod', 90);
    exchange(a.doc, b.doc);
    for (const m of [a, b]) expect(m.rotationDefaults()).toEqual({ vault: 180, environments: new Map([['env-prod', 90]]) });
    a.setRotationDefault(null, null);
    a.doc.getMap('rotationDefaults').set('env-dev', 'often'); // malformed: ignored
    exchange(a.doc, b.doc);
    expect(b.rotationDefaults()).toEqual({ environments: new Map([['env-prod', 90]]) });
  });
});
